package extract

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Mode is how an object was pulled.
type Mode string

// Extract modes.
const (
	ModeFull        Mode = "full"        // no usable watermark/snapshot, or a resync
	ModeIncremental Mode = "incremental" // REST query since the watermark
	ModeBulk        Mode = "bulk"        // Bulk API 2.0 (above BulkThreshold)
	ModeBackfill    Mode = "backfill"    // an explicit SystemModstamp range
	ModeSkipped     Mode = "skipped"     // an optional object the org lacks
)

// ObjectSummary is one object's outcome.
type ObjectSummary struct {
	Object       string
	Mode         Mode
	Committed    bool
	SnapshotRows int64
	Upserts      int64
	Deletes      int64
	Rejects      int64
	// Accounting: Received are the records the source returned for
	// tonight's upsert, delete and re-read pulls. Each is exactly one of:
	// Written (the newest copy of its Id, merged into the snapshot, of
	// which Unchanged were identical to the snapshot's row), a reject, or
	// a duplicate (an older copy of an Id, or the earlier of two with the
	// same stamp, resolved away). Received = Written + Rejects + Duplicates
	// is checked on every run. Conflicts are the duplicates with the same
	// stamp but different values (logged by Id).
	Received        int64
	ReceivedUpserts int64
	ReceivedDeletes int64
	ReceivedReread  int64
	Written         int64
	Unchanged       int64
	Duplicates      int64
	Conflicts       int64
	// Stuck rejects (stuck.go): records rejected on some night and not yet
	// read correctly; StuckSince is the oldest first-seen night.
	Stuck      int
	StuckSince string
	Recovered  int // stuck records read correctly tonight
	Gone       int // stuck records the org no longer returns
	// WatermarkHeld: a reject without a usable Id kept the cursor back so
	// the next window reads it again.
	WatermarkHeld bool
	Pages         int
	Retries       int
	Requests      int
	NewFields     []string
	RemovedFields []string
	Manifest      string // committed manifest key
	Watermark     time.Time
	Duration      time.Duration
	Err           string // why the object failed, if it did
	// Notes are what the run did not take as configured: "skipped: not in
	// org", a mapped field the org lacks (with the KPIs it leaves empty),
	// an extra field skipped, why live Ids were reconciled.
	Notes []string
	// Reconciled says why the object's live Ids were compared with the
	// snapshot tonight ("" = not); ReconcileDeletes counts the records it
	// removed (also counted in Deletes).
	Reconciled       string
	ReconcileDeletes int64
	// Pending: the object's pull is checkpointed, not committed; the next
	// invocation resumes it (resume.go). Invocations counts the pull's
	// invocations so far (0: a pull that never had to stop), Staged the
	// records its checkpoint holds.
	Pending     bool
	Invocations int
	Staged      int64
}

// Summary is a run's outcome, per object and in total.
type Summary struct {
	RunID    string
	Night    string
	Objects  []ObjectSummary
	Duration time.Duration
	// More: an object's pull was checkpointed before the deadline (or
	// objects after it were not started); invoke the same event again to
	// go on. The state machine loops on it.
	More bool `json:"more"`
}

// Pending lists the objects whose pulls are checkpointed.
func (s Summary) Pending() []string {
	var names []string
	for _, o := range s.Objects {
		if o.Pending {
			names = append(names, o.Object)
		}
	}
	return names
}

// Totals sums the per-object counts.
func (s Summary) Totals() ObjectSummary {
	t := ObjectSummary{Object: "TOTAL", Committed: true}
	for _, o := range s.Objects {
		t.SnapshotRows += o.SnapshotRows
		t.Upserts += o.Upserts
		t.Deletes += o.Deletes
		t.Rejects += o.Rejects
		t.Received += o.Received
		t.ReceivedUpserts += o.ReceivedUpserts
		t.ReceivedDeletes += o.ReceivedDeletes
		t.ReceivedReread += o.ReceivedReread
		t.Written += o.Written
		t.Unchanged += o.Unchanged
		t.Duplicates += o.Duplicates
		t.Conflicts += o.Conflicts
		t.Stuck += o.Stuck
		if o.StuckSince != "" && (t.StuckSince == "" || o.StuckSince < t.StuckSince) {
			t.StuckSince = o.StuckSince
		}
		t.Recovered += o.Recovered
		t.Gone += o.Gone
		t.WatermarkHeld = t.WatermarkHeld || o.WatermarkHeld
		t.Pages += o.Pages
		t.Retries += o.Retries
		t.Requests += o.Requests
		t.ReconcileDeletes += o.ReconcileDeletes
		t.Committed = t.Committed && (o.Committed || o.Mode == ModeSkipped)
	}
	t.Duration = s.Duration
	return t
}

// Skipped counts the optional objects skipped as not in the org.
func (s Summary) Skipped() int {
	n := 0
	for _, o := range s.Objects {
		if o.Mode == ModeSkipped {
			n++
		}
	}
	return n
}

func (s Summary) committed() string {
	var names []string
	for _, o := range s.Objects {
		if o.Committed {
			names = append(names, o.Object)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// WriteTable prints the summary as an aligned table, one line per object
// and a total line.
func (s Summary) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "object\tmode\trows\treceived\twritten\tupserts\tdeletes\trejects\tdups\tstuck\tstuck since\tpages\tretries\trequests\tduration\tnotes\t\n")
	line := func(o ObjectSummary) {
		fields := ""
		if len(o.NewFields) > 0 {
			fields += "+" + strings.Join(o.NewFields, ",+")
		}
		if len(o.RemovedFields) > 0 {
			if fields != "" {
				fields += " "
			}
			fields += "-" + strings.Join(o.RemovedFields, ",-")
		}
		var notes []string
		if fields != "" {
			notes = append(notes, fields)
		}
		if o.Reconciled != "" {
			notes = append(notes, fmt.Sprintf("ids reconciled (%s): %d deleted", o.Reconciled, o.ReconcileDeletes))
		}
		notes = append(notes, o.Notes...)
		if o.Conflicts > 0 {
			notes = append(notes, fmt.Sprintf("%d same-stamp conflicts", o.Conflicts))
		}
		if o.Recovered > 0 || o.Gone > 0 {
			notes = append(notes, fmt.Sprintf("stuck: %d recovered, %d gone", o.Recovered, o.Gone))
		}
		if o.WatermarkHeld {
			notes = append(notes, "watermark held")
		}
		if o.Pending {
			notes = append(notes, fmt.Sprintf("pending: %d records staged over %d invocations, resumes next invocation", o.Staged, o.Invocations))
		}
		if o.Err != "" {
			notes = []string{"FAILED: " + o.Err}
		}
		since := o.StuckSince
		if since == "" {
			since = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t%s\t%s\t\n", o.Object, o.Mode, o.SnapshotRows, o.Received, o.Written, o.Upserts, o.Deletes, o.Rejects, o.Duplicates, o.Stuck, since, o.Pages, o.Retries, o.Requests, o.Duration.Round(time.Millisecond), strings.Join(notes, "; "))
	}
	for _, o := range s.Objects {
		line(o)
	}
	line(s.Totals())
	return tw.Flush()
}

// String is the table, for logs and the demo.
func (s Summary) String() string {
	var sb strings.Builder
	s.WriteTable(&sb)
	return sb.String()
}
