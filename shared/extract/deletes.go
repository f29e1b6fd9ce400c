package extract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/results"
)

// Deletes that queryAll can no longer see.
//
// queryAll shows a soft-deleted record only while the Recycle Bin holds it:
// 15 days in Salesforce, less when someone empties the bin, never for a
// hard delete. So each night, for an object with soft delete and a
// previous snapshot:
//
//   - getDeleted (when the source offers it) lists what the delete log
//     still covers since the last good extract; its earliestDateAvailable
//     says whether the log was purged after that extract;
//   - when the gap since the last good extract is longer than the bin
//     keeps deletes, when the log was purged inside the gap, when getDeleted
//     fails, or when the object's last reconciliation is older than
//     ReconcileEvery, the live Id set (an Id-only query) is compared with
//     the snapshot and every record no longer in the org is removed.
//
// Objects without soft delete (CampaignMember, OpportunitySplit) compare
// their Id sets every night. Removals go to the change files as deletes
// and are counted (ObjectSummary.ReconcileDeletes).

// DeletedLister is a Source that offers getDeleted (the Salesforce
// adapter does; GET sobjects/<Object>/deleted/).
type DeletedLister interface {
	Deleted(ctx context.Context, object string, start, end time.Time) (DeletedResult, Stats, error)
}

// DeletedResult is one getDeleted answer.
type DeletedResult struct {
	Records []DeletedRecord
	// EarliestAvailable is the oldest instant the delete log still covers
	// (zero: not reported); deletes before it may be gone from the log.
	EarliestAvailable time.Time
	// LatestCovered is the last instant the answer covers (zero: end).
	LatestCovered time.Time
}

// DeletedRecord is one deleted Id and when it was deleted.
type DeletedRecord struct {
	ID      string
	Deleted time.Time
}

// getDeletedWindow is the longest span one getDeleted call may cover.
const getDeletedWindow = 30 * 24 * time.Hour

// ReconcilePK is the results-store partition of the last Id
// reconciliation of each object; the sort key is the object name.
const ReconcilePK = "RECONCILED"

// Reconciliation is the body of an object's reconciliation item.
type Reconciliation struct {
	At     time.Time `json:"at"`
	RunID  string    `json:"run_id"`
	Reason string    `json:"reason"`
}

// ReadReconciliation returns the object's last Id reconciliation, or
// ok=false when none is recorded.
func ReadReconciliation(ctx context.Context, s results.Store, object string) (Reconciliation, bool, error) {
	it, err := s.Get(ctx, ReconcilePK, object)
	if errors.Is(err, results.ErrNotFound) {
		return Reconciliation{}, false, nil
	}
	if err != nil {
		return Reconciliation{}, false, fmt.Errorf("read reconciliation of %s: %w", object, err)
	}
	var rc Reconciliation
	if err := json.Unmarshal(it.Body, &rc); err != nil {
		return Reconciliation{}, false, fmt.Errorf("decode reconciliation of %s: %w", object, err)
	}
	return rc, true, nil
}

func recordReconciliation(ctx context.Context, s results.Store, object string, rc Reconciliation) error {
	body, err := json.Marshal(rc)
	if err != nil {
		return err
	}
	// Unconditional: the latest reconciliation wins; an older run's late
	// write only makes the next reconciliation come sooner.
	if err := s.Put(ctx, results.Item{PK: ReconcilePK, SK: object, Kind: "reconciliation", Body: body}, results.Condition{}); err != nil {
		return fmt.Errorf("record reconciliation of %s: %w", object, err)
	}
	return nil
}

// deletions are the deletes found beyond the pulled changes.
type deletions struct {
	// alive is the org's live Id set; nil when not listed tonight.
	alive map[string]struct{}
	// gone is getDeleted's answer: Id → deletion instant (micros).
	gone map[string]int64
}

// deleted reports whether row (a previous snapshot row or a pulled
// upsert) is no longer in the org: absent from the live Id list, or listed
// by getDeleted as deleted at or after its stamp (a later stamp means it
// was undeleted or changed since).
func (d *deletions) deleted(row *crm.Row) bool {
	if d == nil {
		return false
	}
	if d.alive != nil {
		if _, ok := d.alive[row.ID()]; !ok {
			return true
		}
	}
	if at, ok := d.gone[row.ID()]; ok && at >= row.Modstamp() {
		return true
	}
	return false
}

// findDeletes decides, for an incremental night, whether the live Ids must
// be reconciled and collects what getDeleted still reports. lastGood is
// the previous snapshot's commit instant.
func (r *objectRun) findDeletes(ctx context.Context, lastGood time.Time) (*deletions, error) {
	del := &deletions{}
	var reasons []string
	opts := r.cfg.Deletes
	if !r.o.SoftDelete {
		reasons = append(reasons, "no soft delete: Ids compared every night")
	} else {
		since := lastGood.Add(-r.cfg.Overlap)
		gap := r.runStart.Sub(lastGood)
		if gap > opts.RecycleBin {
			reasons = append(reasons, fmt.Sprintf("%s since the last good extract, longer than the Recycle Bin's %s", days(gap), days(opts.RecycleBin)))
			// getDeleted still covers the bin's span: ask for that.
			since = r.runStart.Add(-opts.RecycleBin).Add(time.Hour)
		}
		if lister, ok := r.d.Source.(DeletedLister); ok {
			earliest, err := r.getDeleted(ctx, lister, since, del)
			switch {
			case err != nil && ctx.Err() != nil:
				return nil, err
			case errors.Is(err, ErrNotInOrg):
				// Not replicable through getDeleted (the org does not offer
				// it for this object): the gap and periodic rules remain.
				r.log.Debug("getDeleted not offered for the object", "error", err.Error())
			case err != nil:
				r.log.Warn("getDeleted failed: reconciling live Ids instead", "error", err.Error())
				reasons = append(reasons, "getDeleted failed")
			case earliest.After(since):
				reasons = append(reasons, "the delete log was purged after the last good extract (earliestDateAvailable "+earliest.UTC().Format(time.RFC3339)+")")
			}
		}
		last, ok, err := ReadReconciliation(ctx, r.d.Store, r.o.Name)
		switch {
		case err != nil:
			return nil, err
		case !ok:
			reasons = append(reasons, "no reconciliation recorded yet")
		case r.runStart.Sub(last.At) >= opts.ReconcileEvery:
			reasons = append(reasons, fmt.Sprintf("periodic: last one %s ago (every %s)", days(r.runStart.Sub(last.At)), days(opts.ReconcileEvery)))
		}
	}
	if len(reasons) == 0 {
		return del, nil
	}
	alive, err := r.pullIDs(ctx)
	if err != nil && r.o.SoftDelete && ctx.Err() == nil {
		// queryAll still delivered tonight's soft deletes; without a
		// trustworthy Id list nothing more is removed, and the
		// reconciliation is tried again next night (none is recorded).
		r.log.Warn("live Id list failed: reconciliation postponed", "reasons", reasons, "error", err.Error())
		r.sum.Notes = append(r.sum.Notes, "Id reconciliation postponed: "+err.Error())
		return del, nil
	}
	if err != nil {
		return nil, err
	}
	del.alive = alive
	// Objects without soft delete compare Ids every night: routine, not
	// worth a note in the summary.
	if r.o.SoftDelete {
		r.sum.Reconciled = reasons[0]
		if len(reasons) > 1 {
			r.sum.Reconciled = fmt.Sprintf("%s (+%d more)", reasons[0], len(reasons)-1)
		}
		r.log.Info("reconciling live Ids", "reasons", reasons)
	}
	return del, nil
}

// getDeleted asks for [since, runStart) in windows of at most 30 days and
// returns the latest earliestDateAvailable reported.
func (r *objectRun) getDeleted(ctx context.Context, lister DeletedLister, since time.Time, del *deletions) (time.Time, error) {
	var earliest time.Time
	del.gone = map[string]int64{}
	for start := since; start.Before(r.runStart); {
		end := minTime(start.Add(getDeletedWindow), r.runStart)
		if end.Sub(start) < time.Minute {
			break // getDeleted wants start before end by more than a minute
		}
		res, st, err := lister.Deleted(ctx, r.o.Name, start, end)
		r.stats.add(st)
		if err != nil {
			return earliest, fmt.Errorf("getDeleted %s..%s: %w", start.Format(time.RFC3339), end.Format(time.RFC3339), err)
		}
		if res.EarliestAvailable.After(earliest) {
			earliest = res.EarliestAvailable
		}
		for _, d := range res.Records {
			if at := crm.Micros(d.Deleted); at > del.gone[d.ID] {
				del.gone[d.ID] = at
			}
		}
		start = end
	}
	return earliest, nil
}

// days renders a duration in days for summaries ("16d", "7d").
func days(d time.Duration) string {
	return fmt.Sprintf("%.0fd", d.Hours()/24)
}
