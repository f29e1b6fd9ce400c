package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/venn-revops/venn/shared/runledger"
)

// Run is one job for the Lambda handler: what it is keyed by, and the work.
type Run struct {
	// Period is what the run is about ("2026-11-20", "2026Q3").
	Period string
	// InputHash identifies the run's inputs (snapshot manifests, KPI set,
	// configuration, the event's own parameters): a duplicate delivery over
	// the same inputs replays the stored result; changed inputs run anew.
	InputHash string
	// Request is what the run does, as the ledger compares duplicates (nil:
	// the event itself). Set it when different events mean the same run,
	// like a close and a rerun of the same closed quarter.
	Request any
	// Do performs the job and returns a small JSON-able summary, plus the
	// metrics to emit.
	Do func(ctx context.Context) (any, Metrics, error)
}

// Planner turns an event into a Run. It may read manifests to hash inputs
// but must not write anything.
type Planner func(ctx context.Context, ev Event) (Run, error)

// LogReplayed is the handler's log message when a duplicate delivery
// returns the stored result instead of running the job again.
const LogReplayed = "duplicate delivery: returning the stored result"

// Handler is the Lambda handler of one job: it parses the event strictly,
// takes the run's idempotency lock in the ledger, runs the job once, logs in
// JSON with the run ID, job and period, and emits EMF metrics. A duplicate
// delivery returns the stored result without doing the work again.
func (e *Env) Handler(job string, ledger *runledger.Ledger, plan Planner) func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
	return func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
		start := time.Now()
		ev, err := ParseEvent(raw, job)
		if err != nil {
			return nil, err
		}
		requestID := ""
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			requestID = lc.AwsRequestID
		}
		// The configuration in force now, before planning: a push applies
		// to the next run, and its version is part of the run's key.
		if err := e.LoadConfig(ctx); err != nil {
			e.log().Error("configuration failed", "job", job, "run_id", requestID, "error", err.Error())
			return nil, err
		}
		r, err := plan(ctx, ev)
		if err != nil {
			e.log().Error("plan failed", "job", job, "run_id", requestID, "error", err.Error())
			return nil, err
		}
		log := e.log().With("job", job, "period", r.Period, "run_id", requestID, "input_hash", r.InputHash)
		key := runledger.Key{Job: job, Period: r.Period, InputHash: r.InputHash}
		var metrics Metrics
		payload := canonical(ev)
		if r.Request != nil {
			payload, _ = json.Marshal(r.Request)
		}
		out, replayed, err := ledger.Do(ctx, key, payload, func(ctx context.Context) ([]byte, error) {
			summary, m, err := r.Do(ctx)
			metrics = m
			if err != nil {
				return nil, err
			}
			return json.Marshal(summary)
		})
		metrics.Stage, metrics.Job, metrics.Period, metrics.Duration = e.Stage, job, r.Period, time.Since(start)
		if err != nil {
			log.Error("run failed", "error", err.Error(), "duration_ms", metrics.Duration.Milliseconds())
			_ = metrics.WriteEMF(e.metricsOut(), time.Now())
			return nil, err
		}
		if replayed {
			log.Info(LogReplayed, "duration_ms", metrics.Duration.Milliseconds())
			return out, nil
		}
		attrs := []any{"duration_ms", metrics.Duration.Milliseconds()}
		names := make([]string, 0, len(metrics.Values))
		for k := range metrics.Values {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			attrs = append(attrs, slog.Float64(k, metrics.Values[k]))
		}
		log.Info("run finished", attrs...)
		_ = metrics.WriteEMF(e.metricsOut(), time.Now())
		return out, nil
	}
}

// canonical is the event as the ledger compares it: re-encoded, so
// whitespace or key order in a manual event does not count as a different
// payload.
func canonical(ev Event) []byte {
	b, _ := json.Marshal(ev)
	return b
}

// hashOf is the SHA-256 of its parts, each length-prefixed so parts cannot
// run into each other.
func hashOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
