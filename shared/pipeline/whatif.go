package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/period"
)

// WhatIfRun is one night's quarter to date and what-if, and where the
// files went.
type WhatIfRun struct {
	Quarter period.Quarter
	AsOf    time.Time
	Result  *comp.WhatIfRun
	// Folder holds one JSON and one text file per person (named as the
	// statements are), beside the statements: pay is private, so these
	// files live only where statements live, never in logs or KPI gold.
	Folder string
}

// WhatIfFolder is where a night's what-if files go: under the quarter's
// comp partition, beside the statements, in a run folder of their own
// (comp/quarter=Q/whatif/asof=YYYY-MM-DD/run=<run id>/). A rerun of the
// same night writes a new run folder; the newest run id is the current one.
func WhatIfFolder(q period.Quarter, asOf time.Time, runID string) string {
	return lake.RunFolder(fmt.Sprintf("comp/quarter=%s/whatif/asof=%s", q, lake.DateString(asOf)), runID)
}

// WhatIfFor computes quarter q to date as of cut and every person's
// what-if over their open pipeline (comp.WhatIfs), from the night's
// quarter-to-date KPIs (the kpi job's qtd run of cut's day), and writes the
// files. Nothing goes to the results store: a what-if is not a statement.
func (e *Env) WhatIfFor(ctx context.Context, q period.Quarter, cut time.Time) (*WhatIfRun, error) {
	return e.whatIfFor(ctx, q, cut, lake.DateString(cut), nil)
}

// whatIfFor is WhatIfFor with the KPI night kpiDay ("": the newest) and
// snapshots already resolved (nil: resolve them here).
func (e *Env) whatIfFor(ctx context.Context, q period.Quarter, cut time.Time, kpiDay string, snaps map[string]*lake.Manifest) (*WhatIfRun, error) {
	day := lake.DateString(cut)
	fail := func(err error) (*WhatIfRun, error) { return nil, fmt.Errorf("what-if %s as of %s: %w", q, day, err) }
	cfg, err := comp.CheckConfig(e.CompConfig, knownKPI)
	if err != nil {
		return fail(fmt.Errorf("comp configuration: %w", err))
	}
	kpis, err := e.StoredKPIs(ctx, q, false, kpiDay)
	if err != nil {
		return fail(err)
	}
	if snaps == nil {
		if snaps, err = e.payoutSnapshots(ctx); err != nil {
			return fail(err)
		}
	}
	in, book, err := e.compInput(ctx, q, cut, cfg, kpis.Result.Values, snaps)
	if err != nil {
		return fail(err)
	}
	res, err := comp.WhatIfs(comp.WhatIfInput{Run: in, AsOf: cut, Open: book.openAt(cut, e.KPIConfig)})
	if err != nil {
		return fail(err)
	}
	run := &WhatIfRun{Quarter: q, AsOf: cut, Result: res, Folder: WhatIfFolder(q, cut, runID(e.now()))}
	for i := range res.People {
		w := &res.People[i]
		js, err := w.JSON()
		if err != nil {
			return fail(fmt.Errorf("%s: %w", w.PersonID, err))
		}
		var txt bytes.Buffer
		if err := w.WriteText(&txt); err != nil {
			return fail(fmt.Errorf("%s: %w", w.PersonID, err))
		}
		if err := e.Blob.Put(ctx, run.Folder+"/"+comp.StatementFileName(w.Name, w.PersonID, ".json"), bytes.NewReader(js)); err != nil {
			return fail(err)
		}
		if err := e.Blob.Put(ctx, run.Folder+"/"+comp.StatementFileName(w.Name, w.PersonID, ".txt"), &txt); err != nil {
			return fail(err)
		}
	}
	// Counts only: amounts stay in the files.
	e.log().Info("what-if computed", "quarter", q.String(), "as_of", day, "people", len(res.People), "refused_deals", len(res.Refused), "folder", run.Folder)
	return run, nil
}
