package extract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/venn-revops/venn/shared/results"
)

// WatermarkPK is the results-store partition of the extract watermarks; the
// sort key is the object name.
const WatermarkPK = "WATERMARK"

// Watermark is the body of an object's watermark item: the newest
// SystemModstamp committed to the lake (an append-only object's CreatedDate)
// and the manifest that holds it.
type Watermark struct {
	SystemModstamp time.Time `json:"system_modstamp"`
	Manifest       string    `json:"manifest"`
	RunID          string    `json:"run_id"`
}

// storedWatermark is a watermark with its item version (0 = absent).
type storedWatermark struct {
	Watermark
	version int64
}

// ReadWatermark returns the object's watermark, or ok=false when it has none.
func ReadWatermark(ctx context.Context, s results.Store, object string) (w Watermark, ok bool, err error) {
	sw, err := readWatermark(ctx, s, object)
	return sw.Watermark, sw.version > 0, err
}

func readWatermark(ctx context.Context, s results.Store, object string) (storedWatermark, error) {
	it, err := s.Get(ctx, WatermarkPK, object)
	if errors.Is(err, results.ErrNotFound) {
		return storedWatermark{}, nil
	}
	if err != nil {
		return storedWatermark{}, fmt.Errorf("read watermark of %s: %w", object, err)
	}
	var w Watermark
	if err := json.Unmarshal(it.Body, &w); err != nil {
		return storedWatermark{}, fmt.Errorf("decode watermark of %s: %w", object, err)
	}
	if it.Version <= 0 {
		return storedWatermark{}, fmt.Errorf("watermark of %s has version %d; it must be written by the extract", object, it.Version)
	}
	return storedWatermark{Watermark: w, version: it.Version}, nil
}

// advanceWatermark moves the watermark to w unless the stored one is
// already at or past it. The write is conditional on the version read
// (IfAbsent for the first), so two runs racing can never move it backwards:
// the loser re-reads and stops when the winner's is newer.
func advanceWatermark(ctx context.Context, s results.Store, object string, prev storedWatermark, w Watermark) error {
	body, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("encode watermark of %s: %w", object, err)
	}
	for attempt := 0; attempt < 3; attempt++ {
		if prev.version > 0 && !w.SystemModstamp.After(prev.SystemModstamp) {
			return nil
		}
		cond := results.Condition{IfAbsent: prev.version == 0, IfVersion: prev.version}
		err := s.Put(ctx, results.Item{PK: WatermarkPK, SK: object, Kind: "watermark", Version: prev.version + 1, Body: body}, cond)
		if err == nil {
			return nil
		}
		if !errors.Is(err, results.ErrConditionFailed) {
			return fmt.Errorf("advance watermark of %s to %s: %w", object, w.SystemModstamp.Format(time.RFC3339Nano), err)
		}
		// Another run wrote it (or our own write's response was lost).
		if prev, err = readWatermark(ctx, s, object); err != nil {
			return err
		}
		if prev.Watermark == w {
			return nil
		}
	}
	return fmt.Errorf("advance watermark of %s: kept losing the conditional write", object)
}
