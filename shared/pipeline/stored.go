package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/results"
)

// StoredKPISet is a KPI set as the kpi job stored it.
type StoredKPISet struct {
	Result *kpi.Result
	Gold   string // the gold table's manifest key
}

// StoredKPIs reads a KPI set back from the results store as the kpi job
// stored it: the quarter's final figures, or one night's quarter to date
// (asOfDay YYYY-MM-DD; "": the newest night stored). Nothing is computed.
func (e *Env) StoredKPIs(ctx context.Context, q period.Quarter, final bool, asOfDay string) (*StoredKPISet, error) {
	pk := kpiPK(q.String())
	prefix := "FINAL#"
	what := "final KPIs of " + q.String()
	if !final {
		if asOfDay == "" {
			day, err := e.newestNight(ctx, q)
			if err != nil {
				return nil, err
			}
			asOfDay = day
		}
		prefix = "ASOF#" + asOfDay + "#"
		what = fmt.Sprintf("KPIs of %s to date as of %s", q, asOfDay)
	}
	head, err := e.Store.Get(ctx, pk, prefix+"_run")
	if errors.Is(err, results.ErrNotFound) {
		mode := "close or rerun"
		if !final {
			mode = "qtd"
		}
		return nil, fmt.Errorf("%s: none stored (run the kpi job with mode %s first): %w", what, mode, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var rec kpiRunRecord
	if err := json.Unmarshal(head.Body, &rec); err != nil {
		return nil, fmt.Errorf("%s: run record %s: %w", what, head.SK, err)
	}
	res := &kpi.Result{Quarter: rec.Quarter, AsOf: rec.AsOf, Final: rec.Final, ConfigVersion: rec.Config, ConfigHash: rec.ConfigHash, RetentionSource: rec.RetentionSource, LeadExitSource: rec.LeadExitSource}
	if res.Values, err = e.storedValues(ctx, q, prefix); err != nil {
		return nil, err
	}
	if len(res.Values) != rec.Values {
		return nil, fmt.Errorf("%s: %d values stored, the run record says %d", what, len(res.Values), rec.Values)
	}
	return &StoredKPISet{Result: res, Gold: rec.Gold}, nil
}

// newestNight is the newest night with a complete quarter-to-date set of q.
func (e *Env) newestNight(ctx context.Context, q period.Quarter) (string, error) {
	items, err := e.Store.Query(ctx, kpiPK(q.String()), "ASOF#")
	if err != nil {
		return "", fmt.Errorf("KPIs of %s to date: %w", q, err)
	}
	newest := ""
	for _, it := range items {
		day, ok := strings.CutSuffix(strings.TrimPrefix(it.SK, "ASOF#"), "#_run")
		if ok && day > newest {
			newest = day
		}
	}
	if newest == "" {
		return "", fmt.Errorf("KPIs of %s to date: none stored (run the kpi job with mode qtd first)", q)
	}
	if _, err := time.Parse(time.DateOnly, newest); err != nil {
		return "", fmt.Errorf("KPIs of %s to date: run record ASOF#%s#_run: %w", q, newest, err)
	}
	return newest, nil
}
