package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/period"
	"github.com/venn-revops/venn/shared/results"
	"github.com/venn-revops/venn/shared/scorecard"
)

// ScorecardFiles are the lake keys of a KPI run's scorecard page and weekly
// digest.
type ScorecardFiles struct {
	Page, DigestText, DigestHTML string
}

// historyQuarters is how many earlier quarters' finals the sparklines show.
const historyQuarters = 4

// ScorecardFolder is where a KPI run's page and digest go: beside the gold
// partition, in a folder of the run's own, outside the Parquet run folder
// that Athena reads (the statements' rule, payouts.go).
func ScorecardFolder(gold *lake.Manifest) string {
	return lake.RunFolder(gold.Partition+"/scorecard", gold.RunID)
}

// ScorecardFilesOf names the page and digest files of the KPI run that
// committed gold.
func ScorecardFilesOf(gold *lake.Manifest) *ScorecardFiles {
	folder := ScorecardFolder(gold)
	return &ScorecardFiles{Page: folder + "/scorecard.html", DigestText: folder + "/digest.txt", DigestHTML: folder + "/digest.html"}
}

// writeScorecard renders the run's page and digest from its values, the
// comparison, earlier finals and the set of a week before, and writes them
// beside the gold partition. Sets the results store does not hold (the
// first runs, the demo) are computed over the run's snapshots, as the
// terminal scorecard does; the page itself computes nothing.
func (e *Env) writeScorecard(ctx context.Context, run *KPIRun, snaps map[string]*lake.Manifest) (*ScorecardFiles, error) {
	res := run.Result
	q, err := period.Parse(res.Quarter)
	if err != nil {
		return nil, fmt.Errorf("scorecard: %w", err)
	}
	p := &scorecard.Page{
		Run:   *setOf(res),
		RunID: run.Gold.RunID, ConfigVersion: res.ConfigVersion, ConfigHash: res.ConfigHash, Gold: run.Gold.Key(),
		Responses: res.Responses, Credits: res.Credits, SLAHours: e.KPIConfig.Response.SLAHours, LeadExitSource: res.LeadExitSource,
	}
	if p.Names, err = e.userNames(ctx, snaps["User"]); err != nil {
		return nil, err
	}
	// The comparison: last quarter's final for a final, the same point of
	// last quarter for a quarter to date.
	cmpAsOf := q.SamePointIn(res.AsOf, q.Prev())
	if res.Final {
		cmpAsOf = q.Prev().End()
	}
	if p.Compare, _, err = e.kpiSet(ctx, q.Prev(), cmpAsOf, res.Final, snaps); err != nil {
		return nil, err
	}
	for i := historyQuarters; i >= 1; i-- {
		hq := q
		for range i {
			hq = hq.Prev()
		}
		s, err := e.storedSet(ctx, hq, hq.End(), true)
		if err != nil {
			return nil, err
		}
		if s != nil {
			p.History = append(p.History, *s)
		}
	}
	// A week earlier, within the quarter.
	if week := res.AsOf.AddDate(0, 0, -7); week.After(q.Start()) {
		var credits []kpi.Credit
		if p.Week, credits, err = e.kpiSet(ctx, q, week, false, snaps); err != nil {
			return nil, err
		}
		if p.WeekCredits = credits; p.Week != nil && credits == nil {
			if p.WeekCredits, err = e.storedCredits(ctx, run.Credits, asOfDate(week, false)); err != nil {
				return nil, err
			}
		}
	}
	files := ScorecardFilesOf(run.Gold)
	for _, f := range []struct {
		key   string
		write func(*bytes.Buffer) error
	}{
		{files.Page, func(b *bytes.Buffer) error { return scorecard.WritePage(b, p) }},
		{files.DigestText, func(b *bytes.Buffer) error { return scorecard.WriteDigestText(b, p) }},
		{files.DigestHTML, func(b *bytes.Buffer) error { return scorecard.WriteDigestHTML(b, p) }},
	} {
		var b bytes.Buffer
		if err := f.write(&b); err != nil {
			return nil, err
		}
		if err := e.Blob.Put(ctx, f.key, &b); err != nil {
			return nil, fmt.Errorf("scorecard %s: %w", f.key, err)
		}
	}
	return files, nil
}

func setOf(r *kpi.Result) *scorecard.Set {
	return &scorecard.Set{Quarter: r.Quarter, AsOf: r.AsOf, Final: r.Final, Values: r.Values}
}

// kpiSet is the KPI set of quarter q as of asOf: the stored one, or else
// computed over snaps (with its credit rows).
func (e *Env) kpiSet(ctx context.Context, q period.Quarter, asOf time.Time, final bool, snaps map[string]*lake.Manifest) (*scorecard.Set, []kpi.Credit, error) {
	s, err := e.storedSet(ctx, q, asOf, final)
	if err != nil || s != nil {
		return s, nil, err
	}
	res, err := e.computeKPIs(ctx, q, asOf, final, snaps, kpi.WithCredits())
	if err != nil {
		return nil, nil, fmt.Errorf("scorecard comparison: %w", err)
	}
	return setOf(res), res.Credits, nil
}

// storedSet is the KPI set stored for q as of asOf (final: the final
// set), as StoredKPIs reads it; nil when none is stored.
func (e *Env) storedSet(ctx context.Context, q period.Quarter, asOf time.Time, final bool) (*scorecard.Set, error) {
	st, err := e.StoredKPIs(ctx, q, final, asOfDate(asOf, final))
	if errors.Is(err, results.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return setOf(st.Result), nil
}

// storedCredits reads the committed credit rows of the run dated day in
// the partition beside credits (same table, another as-of day); nil when
// that day has none.
func (e *Env) storedCredits(ctx context.Context, credits *lake.Manifest, day string) ([]kpi.Credit, error) {
	if credits == nil {
		return nil, nil
	}
	// The as-of day is the partition's last key; its name is the
	// pipeline's, not repeated here.
	dir, last := path.Split(credits.Partition)
	name, _, ok := strings.Cut(last, "=")
	if !ok {
		return nil, fmt.Errorf("scorecard: credit partition %s has no key=value last segment", credits.Partition)
	}
	m, err := lake.Latest(ctx, e.Blob, dir+name+"="+day)
	if errors.Is(err, lake.ErrNoSnapshot) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("scorecard: credits of %s: %w", day, err)
	}
	out := []kpi.Credit{}
	err = lake.Scan(ctx, e.Blob, m, func(rows []kpi.CreditRow) error {
		for _, r := range rows {
			out = append(out, kpi.Credit{Model: r.Model, Opportunity: r.Opportunity, Campaign: r.Campaign, Channel: r.Channel, Cents: r.Credit, Amount: r.Amount, Pipeline: r.Pipeline, Bookings: r.Bookings})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scorecard: credits of %s: %w", day, err)
	}
	return out, nil
}

// userName is the User snapshot's projection for the owner views' labels.
type userName struct {
	ID   string `parquet:"id"`
	Name string `parquet:"name,optional"`
}

// userNames maps user Ids to names from the User snapshot the run read.
func (e *Env) userNames(ctx context.Context, users *lake.Manifest) (map[string]string, error) {
	names := map[string]string{}
	if users == nil {
		return names, nil
	}
	err := lake.Scan(ctx, e.Blob, users, func(rows []userName) error {
		for _, u := range rows {
			if u.Name != "" {
				names[u.ID] = u.Name
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scorecard: user names: %w", err)
	}
	return names, nil
}
