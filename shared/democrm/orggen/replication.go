package orggen

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/venn-revops/venn/shared/crm"
)

// The replication calls (getDeleted, getUpdated) follow Salesforce's rules:
// the seconds of start and end are ignored; start must precede end; start may
// be at most ReplicationDays before now; results stop at the
// latestDateCovered (end, or now if end is later); at most MaxReplicationIDs
// Ids per call. getDeleted also refuses a start before earliestDateAvailable,
// the deletion time of the last record physically removed (purged from the
// Recycle Bin or hard-deleted), because the log no longer covers it.
const (
	ReplicationDays   = 30
	MaxReplicationIDs = 600_000
)

// ReplicationError is a replication call Salesforce refuses, with its
// errorCode: INVALID_REPLICATION_DATE or EXCEEDED_ID_LIMIT.
type ReplicationError struct {
	Code, Message string
}

func (e *ReplicationError) Error() string { return e.Code + ": " + e.Message }

// DeletedRecord is one entry of getDeleted's deletedRecords.
type DeletedRecord struct {
	ID          string
	DeletedDate time.Time
}

// DeletedResult is getDeleted's answer.
type DeletedResult struct {
	Records               []DeletedRecord // in deletion order, then Id
	EarliestDateAvailable time.Time
	LatestDateCovered     time.Time
}

// UpdatedResult is getUpdated's answer.
type UpdatedResult struct {
	IDs               []string // in Id order
	LatestDateCovered time.Time
}

// replicationWindow applies the common rules; the caller holds o.mu.
func (o *Org) replicationWindow(start, end time.Time) (from, to int64, err error) {
	start, end = start.UTC().Truncate(time.Minute), end.UTC().Truncate(time.Minute)
	now := o.clock.Truncate(time.Minute)
	switch {
	case !start.Before(end):
		return 0, 0, &ReplicationError{"INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate"}
	case start.Before(o.clock.Add(-ReplicationDays * 24 * time.Hour)):
		return 0, 0, &ReplicationError{"INVALID_REPLICATION_DATE", fmt.Sprintf("startDate cannot be more than %d days ago", ReplicationDays)}
	}
	if end.After(now) {
		end = now
	}
	return crm.Micros(start), crm.Micros(end), nil
}

// EarliestDateAvailable is getDeleted's earliestDateAvailable for obj: the
// deletion time of the last record physically removed, or the start of the
// org's history if none was.
func (o *Org) EarliestDateAvailable(obj *crm.Object) time.Time {
	t, err := o.table(obj)
	if err != nil {
		return time.Time{}
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.earliest(t)
}

func (o *Org) earliest(t *table) time.Time {
	if t.lastPurge == 0 {
		return o.cfg.HistoryStart
	}
	return crm.TimeOfMicros(t.lastPurge)
}

// GetDeleted answers sObject Get Deleted: the records of obj deleted in
// [start, end) (seconds ignored) that the delete log still holds.
func (o *Org) GetDeleted(obj *crm.Object, start, end time.Time) (DeletedResult, error) {
	t, err := o.table(obj)
	if err != nil {
		return DeletedResult{}, err
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	from, to, err := o.replicationWindow(start, end)
	if err != nil {
		return DeletedResult{}, err
	}
	res := DeletedResult{EarliestDateAvailable: o.earliest(t), LatestDateCovered: crm.TimeOfMicros(to)}
	if crm.Micros(start.UTC().Truncate(time.Minute)) < crm.Micros(res.EarliestDateAvailable) {
		return DeletedResult{}, &ReplicationError{"INVALID_REPLICATION_DATE",
			fmt.Sprintf("startDate is before earliestDateAvailable %s: records deleted before it were purged", crm.FormatDateTime(res.EarliestDateAvailable))}
	}
	type entry struct{ n, at int64 }
	var found []entry
	for n, at := range t.deletedAt {
		if at >= from && at < to {
			found = append(found, entry{n, at})
		}
	}
	if len(found) > MaxReplicationIDs {
		return DeletedResult{}, &ReplicationError{"EXCEEDED_ID_LIMIT", "too many deleted records: choose start and end dates closer together"}
	}
	slices.SortFunc(found, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.n, b.n))
	})
	for _, e := range found {
		res.Records = append(res.Records, DeletedRecord{ID: t.id(e.n), DeletedDate: crm.TimeOfMicros(e.at)})
	}
	return res, nil
}

// GetUpdated answers sObject Get Updated: the Ids of obj's live records
// whose SystemModstamp is in [start, end) (seconds ignored).
func (o *Org) GetUpdated(obj *crm.Object, start, end time.Time) (UpdatedResult, error) {
	t, err := o.table(obj)
	if err != nil {
		return UpdatedResult{}, err
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	from, to, err := o.replicationWindow(start, end)
	if err != nil {
		return UpdatedResult{}, err
	}
	res := UpdatedResult{LatestDateCovered: crm.TimeOfMicros(to), IDs: []string{}}
	for i := int64(0); i < t.n+t.inserted; i++ {
		if t.gone[i] || t.deleted(i) {
			continue
		}
		if s := t.stamp(i); s >= from && s < to {
			if len(res.IDs) == MaxReplicationIDs {
				return UpdatedResult{}, &ReplicationError{"EXCEEDED_ID_LIMIT", "too many updated records: choose start and end dates closer together"}
			}
			res.IDs = append(res.IDs, t.id(i))
		}
	}
	return res, nil
}
