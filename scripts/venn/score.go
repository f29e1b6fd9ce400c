package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/venn-revops/venn/shared/pipeline"
)

// scoreCommand runs the lead-scoring job (docs/scoring.md).
func scoreCommand() *command {
	return &command{
		name:     "score",
		summary:  "learn which leads convert, measure the model on the most recent leads and score the open ones, as the score Lambda",
		synopsis: "score [storage]",
		about: `Reads the newest Lead, CampaignMember and Task snapshots, trains on older leads,
measures on the most recent (AUC, Brier, calibration, top-decile lift), and writes every
open lead's score and top factors to the lake (score/) and the results store. Publishes
nothing, and says why, below the configured minimum of conversions. The same night over
the same snapshots replays the stored result.`,
		examples: []string{
			"venn score --out mylake",
			"venn score --lake s3://my-lake/lake --results dynamodb://venn-results --json",
		},
		setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			st := addStorage(fs)
			ef := addEventFlags(fs)
			build := func() pipeline.Event { return pipeline.Event{} }
			return jobAction("score", st, ef, build, func(b *backend) pipeline.Planner { return b.env.PlanScore(nil) }, func(ctx context.Context, b *backend, out []byte) error {
				var r struct {
					Published       bool    `json:"published"`
					Refused         string  `json:"refused"`
					Target          string  `json:"target"`
					AUC             float64 `json:"auc"`
					Brier           float64 `json:"brier"`
					TopDecileLift   float64 `json:"top_decile_lift"`
					Scored          int     `json:"scored"`
					TrainLeads      int     `json:"train_leads"`
					TestLeads       int     `json:"test_leads"`
					TestConversions int     `json:"test_conversions"`
					Scores          string  `json:"scores"`
					Warning         string  `json:"warning"`
				}
				if err := json.Unmarshal(out, &r); err != nil {
					return fmt.Errorf("score response: %w", err)
				}
				if !r.Published {
					fmt.Fprintf(stdout, "scores not published: %s\n", r.Refused)
					return nil
				}
				fmt.Fprintf(stdout, "lead scores (%s): AUC %.3f, Brier %.4f, top-decile lift %.2f on the %d most recent leads (%d converted); trained on %d\n%d open leads scored: %s\n",
					r.Target, r.AUC, r.Brier, r.TopDecileLift, r.TestLeads, r.TestConversions, r.TrainLeads, r.Scored, b.where(r.Scores))
				if r.Warning != "" {
					fmt.Fprintf(stdout, "warning: %s\n", r.Warning)
				}
				return nil
			})
		},
	}
}
