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
)

// ObjectSummary is one object's outcome.
type ObjectSummary struct {
	Object        string
	Mode          Mode
	Committed     bool
	SnapshotRows  int64
	Upserts       int64
	Deletes       int64
	Rejects       int64
	Pages         int
	Retries       int
	Requests      int
	NewFields     []string
	RemovedFields []string
	Manifest      string // committed manifest key
	Watermark     time.Time
	Duration      time.Duration
	Err           string // why the object failed, if it did
}

// Summary is a run's outcome, per object and in total.
type Summary struct {
	RunID    string
	Night    string
	Objects  []ObjectSummary
	Duration time.Duration
}

// Totals sums the per-object counts.
func (s Summary) Totals() ObjectSummary {
	t := ObjectSummary{Object: "TOTAL", Committed: true}
	for _, o := range s.Objects {
		t.SnapshotRows += o.SnapshotRows
		t.Upserts += o.Upserts
		t.Deletes += o.Deletes
		t.Rejects += o.Rejects
		t.Pages += o.Pages
		t.Retries += o.Retries
		t.Requests += o.Requests
		t.Committed = t.Committed && o.Committed
	}
	t.Duration = s.Duration
	return t
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
	fmt.Fprintf(tw, "object\tmode\trows\tupserts\tdeletes\trejects\tpages\tretries\trequests\tduration\tfields\t\n")
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
		if o.Err != "" {
			fields = "FAILED: " + o.Err
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", o.Object, o.Mode, o.SnapshotRows, o.Upserts, o.Deletes, o.Rejects, o.Pages, o.Retries, o.Requests, o.Duration.Round(time.Millisecond), fields)
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
