package comp

import (
	"errors"
	"fmt"
	"io/fs"
)

// Config is the comp configuration folder loaded in one call: the layout of
// shared/config/comp (plans/*.yaml, assignments.yaml, adjustments.yaml,
// quotas.yaml, payroll.yaml, approvals.yaml).
type Config struct {
	Plans       []*Plan
	Assignments *Assignments
	Adjustments []Adjustment
	Quotas      []Quota
	// Payroll is payroll.yaml, the payroll export's codes, pay date and
	// entities; nil when the folder has none (no long format).
	Payroll *PayrollConfig
	// Approvals is approvals.yaml (nil when the folder has none: payouts
	// run without it; the approve job refuses to).
	Approvals *ApprovalPolicy
	// Accounting is accounting.yaml, the ASC 340-40 finance export (nil:
	// none is written).
	Accounting *AccountingConfig
}

// LoadConfig reads plans/, assignments.yaml, adjustments.yaml (optional),
// quotas.yaml (optional), payroll.yaml (optional) and approvals.yaml (optional) from fsys, for example
// os.DirFS("shared/config/comp"), and returns the decoding errors of all of
// them together, with what did decode (so CheckConfig can validate the
// rest and report everything at once). Plans are checked against the KPI
// catalog later, by CheckConfig, Validate or Run.
func LoadConfig(fsys fs.FS) (*Config, error) {
	var all ValidationErrors
	cfg := &Config{}
	plansFS, err := fs.Sub(fsys, "plans")
	if err != nil {
		return nil, fmt.Errorf("load comp config: %w", err)
	}
	cfg.Plans, err = LoadPlans(plansFS)
	if err != nil {
		if !isValidation(err) {
			return nil, err
		}
		asValidation(&all, prefixFiles(err, "plans/"))
	}
	for _, p := range cfg.Plans {
		p.File = "plans/" + p.File
	}
	cfg.Assignments, err = LoadAssignments(fsys, "assignments.yaml")
	if err != nil {
		if !isValidation(err) {
			return nil, err
		}
		asValidation(&all, err)
	}
	if _, statErr := fs.Stat(fsys, "adjustments.yaml"); statErr == nil {
		cfg.Adjustments, err = LoadAdjustments(fsys, "adjustments.yaml")
		if err != nil {
			if !isValidation(err) {
				return nil, err
			}
			asValidation(&all, err)
		}
	}
	if _, statErr := fs.Stat(fsys, "quotas.yaml"); statErr == nil {
		cfg.Quotas, err = LoadQuotas(fsys, "quotas.yaml")
		if err != nil {
			if !isValidation(err) {
				return nil, err
			}
			asValidation(&all, err)
		}
	}
	if _, statErr := fs.Stat(fsys, PayrollFile); statErr == nil {
		cfg.Payroll, err = LoadPayroll(fsys, PayrollFile)
		if err != nil {
			if !isValidation(err) {
				return nil, err
			}
			asValidation(&all, err)
		}
	}
	if cfg.Accounting, err = loadOptional(fsys, AccountingFile, LoadAccounting, &all); err != nil {
		return nil, err
	}
	asValidation(&all, CheckAccountingSPIFs(cfg.Accounting, cfg.Plans))
	if _, statErr := fs.Stat(fsys, ApprovalsFile); statErr == nil {
		cfg.Approvals, err = LoadApprovals(fsys)
		if err != nil {
			if !isValidation(err) {
				return nil, err
			}
			asValidation(&all, err)
		}
	}
	if len(all) > 0 {
		return cfg, all
	}
	return cfg, nil
}

func isValidation(err error) bool {
	var v ValidationErrors
	return errors.As(err, &v)
}

// prefixFiles names plan files by their path under the config folder.
func prefixFiles(err error, prefix string) error {
	var v ValidationErrors
	if errors.As(err, &v) {
		out := make(ValidationErrors, len(v))
		for i, e := range v {
			c := *e
			c.File = prefix + c.File
			out[i] = &c
		}
		return out
	}
	return err
}

// loadOptional loads an optional file of the folder with load: the zero T
// when it is absent, its validation errors added to all, any other error
// returned.
func loadOptional[T any](fsys fs.FS, name string, load func(fs.FS, string) (T, error), all *ValidationErrors) (T, error) {
	var zero T
	if _, err := fs.Stat(fsys, name); err != nil {
		return zero, nil
	}
	v, err := load(fsys, name)
	if err != nil {
		if !isValidation(err) {
			return zero, err
		}
		asValidation(all, err)
	}
	return v, nil
}
