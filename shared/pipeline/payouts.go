package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/period"
)

// PayoutRun is one quarter's computed statements and where they went.
type PayoutRun struct {
	Quarter    period.Quarter
	Statements []comp.Statement
	Outcomes   []statementstore.Outcome
	// Corrections are differences found against final statements; they are
	// paid in the next quarter.
	Corrections []comp.Correction
	// Lines is the committed comp/quarter=…/ statement-lines table.
	Lines *lake.Manifest
	// Status is the quarter's committed statement-status table.
	Status *lake.Manifest
	// PlanDocs is the folder of the documents (Markdown, HTML, text) of
	// the plan versions the statements pay on.
	PlanDocs string
}

// userRow is the projection of the User snapshot that pay needs.
type userRow struct {
	ID             string `parquet:"id"`
	Name           string `parquet:"name,optional"`
	Team           string `parquet:"team,optional"`
	ManagerID      string `parquet:"manager_id,optional"`
	EmployeeNumber string `parquet:"employee_number,optional"`
	CostCenter     string `parquet:"cost_center,optional"`
}

// clawbackQuarters is how many earlier quarters of final statements are read
// for clawbacks: enough for any window up to a year.
const clawbackQuarters = 4

// payoutInputs are the snapshots payouts read besides the final KPIs.
var payoutInputs = []*crm.Object{crm.User, crm.Opportunity, crm.OpportunityHistory, crm.OpportunitySplit, crm.Task, crm.Lead}

// payoutOptionalInputs are read when the org has them: the products sold,
// which SPIFs pay on, and a multi-currency org's exchange rates.
var payoutOptionalInputs = append([]*crm.Object{crm.OpportunityLineItem, crm.Product2}, rateInputs...)

// payoutSnapshots resolves payouts' inputs (snapshotsWithOptional).
func (e *Env) payoutSnapshots(ctx context.Context) (map[string]*lake.Manifest, error) {
	return e.snapshotsWithOptional(ctx, payoutInputs, payoutOptionalInputs)
}

// PayoutsFor validates the comp configuration, then computes and stores the
// draft statements of quarter q from its final KPIs and the deals.
func (e *Env) PayoutsFor(ctx context.Context, q period.Quarter) (*PayoutRun, error) {
	return e.payoutsFor(ctx, q, nil)
}

// payoutsFor is PayoutsFor over snapshots already resolved by the run's plan
// (nil: resolve them here, after validation).
func (e *Env) payoutsFor(ctx context.Context, q period.Quarter, snaps map[string]*lake.Manifest) (*PayoutRun, error) {
	// Validation first: a bad plan is rejected before anything is read or
	// computed, and nothing is written.
	cfg, err := comp.CheckConfig(e.CompConfig, knownKPI)
	if err != nil {
		return nil, fmt.Errorf("payouts %s: comp configuration: %w", q, err)
	}
	values, err := e.FinalKPIs(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("payouts %s: %w", q, err)
	}
	if snaps == nil {
		if snaps, err = e.payoutSnapshots(ctx); err != nil {
			return nil, fmt.Errorf("payouts %s: %w", q, err)
		}
	}
	in, _, err := e.compInput(ctx, q, q.End(), cfg, values, snaps)
	if err != nil {
		return nil, fmt.Errorf("payouts %s: %w", q, err)
	}
	out, err := comp.Run(in)
	if err != nil {
		return nil, fmt.Errorf("payouts %s: %w", q, err)
	}
	if err := e.markAcknowledgements(ctx, out.Statements); err != nil {
		return nil, fmt.Errorf("payouts %s: %w", q, err)
	}
	run := &PayoutRun{Quarter: q, Statements: out.Statements}
	// Files first, then the store: a crash in between leaves committed files
	// and no drafts, and the rerun writes the same content again.
	if run.Lines, err = e.writeStatements(ctx, q, out.Statements, snaps); err != nil {
		return nil, fmt.Errorf("payouts %s: %w", q, err)
	}
	if err := e.register(ctx, run.Lines); err != nil {
		return nil, fmt.Errorf("payouts %s: %w", q, err)
	}
	run.PlanDocs = PlanDocsFolder(q, run.Lines.RunID)
	if err := e.writePlanDocs(ctx, run.PlanDocs, cfg.Plans, out.Statements); err != nil {
		return nil, fmt.Errorf("payouts %s: %w", q, err)
	}
	run.Outcomes, run.Corrections, err = statementstore.SaveDrafts(ctx, e.Store, out.Statements)
	if err != nil {
		return run, fmt.Errorf("payouts %s: save drafts: %w", q, err)
	}
	if run.Status, err = e.writeStatus(ctx, q); err != nil {
		return run, fmt.Errorf("payouts %s: %w", q, err)
	}
	e.log().Info("payouts computed", "quarter", q.String(), "statements", len(out.Statements), "corrections", len(run.Corrections), "lines", run.Lines.Key())
	return run, nil
}

// compInput reads everything comp.Run needs for quarter q as it stood at
// cut (the quarter's end at close; the night's cut for the quarter to
// date): people, the deals in their state at cut, the activities up to
// cut, earlier final statements and corrections. The deal book is
// returned too, for the what-if's open deals.
func (e *Env) compInput(ctx context.Context, q period.Quarter, cut time.Time, cfg *comp.Config, values []kpi.Value, snaps map[string]*lake.Manifest) (comp.RunInput, *dealBook, error) {
	rates, err := e.readRates(ctx, snaps)
	if err != nil {
		return comp.RunInput{}, nil, err
	}
	people, err := e.people(ctx, snaps[crm.User.Name])
	if err != nil {
		return comp.RunInput{}, nil, fmt.Errorf("users: %w", err)
	}
	book, err := e.readDeals(ctx, snaps)
	if err != nil {
		return comp.RunInput{}, nil, fmt.Errorf("deals: %w", err)
	}
	if book.dates, err = e.dealDates(ctx, snaps[crm.Opportunity.Name], comp.HoldDateFields(cfg.Plans)); err != nil {
		return comp.RunInput{}, nil, fmt.Errorf("deals: %w", err)
	}
	activities, err := e.activities(ctx, snaps, q.Start(), cut)
	if err != nil {
		return comp.RunInput{}, nil, err
	}
	previous, err := statementstore.PreviousFinal(ctx, e.Store, q.String(), clawbackQuarters)
	if err != nil {
		return comp.RunInput{}, nil, fmt.Errorf("previous statements: %w", err)
	}
	corrections, err := statementstore.Corrections(ctx, e.Store, q.String())
	if err != nil {
		return comp.RunInput{}, nil, fmt.Errorf("corrections: %w", err)
	}
	disputes, err := statementstore.DisputeAdjustments(ctx, e.Store, q.String())
	if err != nil {
		return comp.RunInput{}, nil, err
	}
	return comp.RunInput{
		Quarter:       q,
		People:        people,
		Plans:         cfg.Plans,
		Assignments:   cfg.Assignments,
		Adjustments:   cfg.Adjustments,
		Metrics:       metricTable(values),
		Activities:    activities,
		Quotas:        cfg.Quotas,
		KnownKPI:      knownKPI,
		Deals:         book.dealsAt(cut, e.KPIConfig),
		Products:      book.products,
		Cancellations: book.cancellations(cut, e.KPIConfig),
		Rates:         rates,
		Previous:      previous,
		Corrections:   corrections,
		Disputes:      disputes,
		CodeVersion:   e.CodeVersion,
		ConfigVersion: e.ConfigVersion,
	}, book, nil
}

func knownKPI(name string) bool { _, ok := kpi.Lookup(name); return ok }

// metricTable maps KPI dimensions to plan scopes: owner → individual,
// team → team, org → org. Other dimensions are not pay scopes.
func metricTable(values []kpi.Value) comp.MetricTable {
	scopes := map[string]string{kpi.DimOrg: comp.ScopeOrg, "team": comp.ScopeTeam, "owner": comp.ScopeIndividual}
	t := comp.MetricTable{}
	for _, v := range values {
		scope, ok := scopes[v.Dimension]
		if !ok || !v.Defined {
			continue
		}
		t[comp.MetricKey{KPI: v.KPI, Scope: scope, Key: v.Key, Model: v.Model}] = v.Value
	}
	return t
}

func (e *Env) people(ctx context.Context, m *lake.Manifest) ([]comp.Person, error) {
	var out []comp.Person
	err := lake.Scan(ctx, e.Blob, m, func(rows []userRow) error {
		for _, u := range rows {
			out = append(out, comp.Person{ID: u.ID, EmployeeID: u.EmployeeNumber, Name: u.Name, CostCenter: u.CostCenter, Team: u.Team, ManagerID: u.ManagerID, Currency: e.KPIConfig.Currency})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// writeStatements writes each statement as deterministic JSON and readable
// text into the run folder, then commits the statement-lines table whose
// manifest names that folder.
func (e *Env) writeStatements(ctx context.Context, q period.Quarter, stmts []comp.Statement, inputs map[string]*lake.Manifest) (*lake.Manifest, error) {
	partition := fmt.Sprintf("comp/quarter=%s", q)
	id := runID(e.now())
	// Beside the table's run folder, not inside it: Athena reads every file
	// under a registered partition location as Parquet.
	folder := lake.RunFolder(partition+"/statements", id)
	for i := range stmts {
		s := &stmts[i]
		js, err := s.JSON()
		if err != nil {
			return nil, fmt.Errorf("statement %s: %w", s.ID, err)
		}
		var txt bytes.Buffer
		if err := s.WriteText(&txt); err != nil {
			return nil, fmt.Errorf("statement %s: %w", s.ID, err)
		}
		// Named so a person finds theirs: jane-doe-<person id>.txt.
		if err := e.Blob.Put(ctx, folder+"/"+comp.StatementFileName(s.Name, s.PersonID, ".json"), bytes.NewReader(js)); err != nil {
			return nil, err
		}
		if err := e.Blob.Put(ctx, folder+"/"+comp.StatementFileName(s.Name, s.PersonID, ".txt"), &txt); err != nil {
			return nil, err
		}
	}
	meta := map[string]string{"statements": folder, "code_version": e.CodeVersion, "config_version": e.ConfigVersion}
	for name, m := range inputs {
		meta["input."+name] = m.Key()
	}
	rows, err := comp.LineRows(stmts)
	if err != nil {
		return nil, err
	}
	return lake.WriteTable(ctx, e.Blob, partition, rows, lake.TableOptions{Table: "comp/statement_lines", RunID: id, Meta: meta, Now: e.Now})
}
