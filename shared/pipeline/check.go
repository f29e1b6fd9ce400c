package pipeline

import (
	"errors"
	"fmt"

	"github.com/venn-revops/venn/shared/comp"
)

// CheckConfig validates the business configuration a run would use (the
// KPI definitions and the comp configuration) without reading the lake or
// computing anything: `venn validate`. The extract configuration is
// validated when the Env is built.
func (e *Env) CheckConfig() error {
	var errs []error
	if e.KPIConfig == nil {
		errs = append(errs, errors.New("KPI definitions: none configured"))
	}
	if _, err := comp.CheckConfig(e.CompConfig, knownKPI); err != nil {
		errs = append(errs, fmt.Errorf("comp configuration: %w", err))
	}
	return errors.Join(errs...)
}
