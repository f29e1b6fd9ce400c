package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/period"
)

// PlanDocsFolder is where a payouts run writes the documents of the plan
// versions its statements pay on: beside the statements, with the run id
// of the statement-lines commit (comp/quarter=Q/plans/run=<id>/).
func PlanDocsFolder(q period.Quarter, runID string) string {
	return lake.RunFolder(fmt.Sprintf("comp/quarter=%s/plans", q), runID)
}

// PlanDocFormats are the renderings of a plan document, by file extension.
var PlanDocFormats = []struct {
	Ext   string
	Write func(d *comp.PlanDoc, w io.Writer) error
}{
	{".md", (*comp.PlanDoc).WriteMarkdown},
	{".html", (*comp.PlanDoc).WriteHTML},
	{".txt", (*comp.PlanDoc).WriteText},
}

// writePlanDocs writes every plan version the statements name, in every
// format, into folder.
func (e *Env) writePlanDocs(ctx context.Context, folder string, plans []*comp.Plan, stmts []comp.Statement) error {
	used := map[string]bool{}
	for _, s := range stmts {
		for _, u := range s.Plans {
			used[u.Plan] = true
		}
	}
	for _, p := range plans {
		if !used[p.Ref()] {
			continue
		}
		d, err := p.Document()
		if err != nil {
			return err
		}
		for _, f := range PlanDocFormats {
			var b bytes.Buffer
			if err := f.Write(d, &b); err != nil {
				return fmt.Errorf("plan %s document: %w", p.Ref(), err)
			}
			if err := e.Blob.Put(ctx, folder+"/"+comp.PlanDocFileName(p)+f.Ext, &b); err != nil {
				return err
			}
		}
	}
	return nil
}
