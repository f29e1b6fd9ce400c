package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/venn-revops/venn/shared/salesforce"
	"github.com/venn-revops/venn/shared/score"
)

// LeadWriter updates CRM records: *salesforce.Client.
type LeadWriter interface {
	UpdateRecords(ctx context.Context, object string, records []salesforce.RecordUpdate) ([]salesforce.SaveResult, error)
}

// WriteBack is what a score write-back did.
type WriteBack struct {
	DryRun  bool `json:"dry_run"`
	Leads   int  `json:"leads"`   // open leads with a score to write
	Written int  `json:"written"` // saved by the CRM (0 in a dry run)
	// Failed names each lead the CRM refused and why; the others are
	// written all the same, and the next night writes the refused ones
	// again.
	Failed []WriteBackFailure `json:"failed,omitempty"`
}

// WriteBackFailure is one lead the CRM refused.
type WriteBackFailure struct {
	LeadID string `json:"lead_id"`
	Reason string `json:"reason"`
}

// maxFactorsText bounds the factors text: a Text(255) field.
const maxFactorsText = 255

// WriteBackScores writes each scored lead's score and top factors to the
// configured Lead fields (writeback.score_field, writeback.factors_field)
// through w, 200 leads a request. It writes nothing unless write-back is
// enabled and not a dry run (the default configuration is a dry run, which
// counts what it would write). A run that did not publish writes nothing.
func (e *Env) WriteBackScores(ctx context.Context, run *ScoreRun, w LeadWriter) (*WriteBack, error) {
	cfg := e.scoreConfig().Writeback
	wb := &WriteBack{DryRun: !cfg.Enabled || cfg.DryRun}
	if !run.Published {
		return wb, nil
	}
	updates := make([]salesforce.RecordUpdate, len(run.Result.Scores))
	for i, s := range run.Result.Scores {
		text := score.FactorsText(s.Factors)
		if len(text) > maxFactorsText {
			text = strings.ToValidUTF8(text[:maxFactorsText], "")
		}
		updates[i] = salesforce.RecordUpdate{ID: s.LeadID, Fields: map[string]any{cfg.ScoreField: s.Score, cfg.FactorsField: text}}
	}
	wb.Leads = len(updates)
	if wb.DryRun {
		e.log().Info("score write-back: dry run, nothing written", "leads", wb.Leads, "score_field", cfg.ScoreField, "factors_field", cfg.FactorsField)
		return wb, nil
	}
	res, err := w.UpdateRecords(ctx, "Lead", updates)
	for _, r := range res {
		if r.Success {
			wb.Written++
			continue
		}
		var why []string
		for _, e := range r.Errors {
			why = append(why, e.StatusCode+": "+e.Message)
		}
		wb.Failed = append(wb.Failed, WriteBackFailure{LeadID: r.ID, Reason: strings.Join(why, "; ")})
	}
	if err != nil {
		return wb, fmt.Errorf("score write-back: %d of %d leads written: %w", wb.Written, wb.Leads, err)
	}
	if len(wb.Failed) > 0 {
		e.log().Warn("score write-back: leads refused by the CRM", "refused", len(wb.Failed), "first", wb.Failed[0].LeadID, "reason", wb.Failed[0].Reason)
	}
	e.log().Info("score write-back", "leads", wb.Leads, "written", wb.Written, "refused", len(wb.Failed))
	return wb, nil
}
