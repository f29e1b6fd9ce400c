// Package ackstore keeps plan acknowledgements (comp.Acknowledgement) in
// the results store: one item per person, plan version and plan file (PK
// "PLANACK#<plan id@vN>", SK "<person id>#<file sha256>"), written once
// with a conditional put (IfAbsent). The first acknowledgement stands: a
// second one, or two racing, leave the first, and every caller is told
// which one is stored. A conditional write that fails although the stored
// item is this call's own (an SDK retry of a write whose response was
// lost) counts as this call's.
package ackstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/results"
)

// Kind is the items' kind.
const Kind = "plan_ack"

// PK is the partition of a plan version's acknowledgements.
func PK(plan string) string { return "PLANACK#" + plan }

func sk(person, sha string) string { return person + "#" + sha }

// Put stores a unless the same person already acknowledged the same plan
// file. It returns what is stored and whether this call stored it.
func Put(ctx context.Context, store results.Store, a *comp.Acknowledgement) (*comp.Acknowledgement, bool, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return nil, false, fmt.Errorf("encode acknowledgement: %w", err)
	}
	it := results.Item{PK: PK(a.Plan), SK: sk(a.PersonID, a.FileSHA256), Kind: Kind, Version: 1, Body: body}
	err = store.Put(ctx, it, results.Condition{IfAbsent: true})
	if err == nil {
		return a, true, nil
	}
	if !errors.Is(err, results.ErrConditionFailed) {
		return nil, false, fmt.Errorf("store acknowledgement %s of %s: %w", a.PersonID, a.Plan, err)
	}
	got, err := store.Get(ctx, it.PK, it.SK)
	if err != nil {
		return nil, false, fmt.Errorf("read acknowledgement %s of %s: %w", a.PersonID, a.Plan, err)
	}
	stored, err := decode(got)
	if err != nil {
		return nil, false, err
	}
	return stored, results.SameBody(got.Body, body), nil
}

// List returns the acknowledgements of plan version plan, by person.
func List(ctx context.Context, store results.Store, plan string) ([]comp.Acknowledgement, error) {
	items, err := store.Query(ctx, PK(plan), "")
	if err != nil {
		return nil, fmt.Errorf("acknowledgements of %s: %w", plan, err)
	}
	out := make([]comp.Acknowledgement, 0, len(items))
	for _, it := range items {
		if it.Kind != Kind {
			continue
		}
		a, err := decode(it)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, nil
}

// ListPlans returns the acknowledgements of every plan version named.
func ListPlans(ctx context.Context, store results.Store, plans []string) ([]comp.Acknowledgement, error) {
	var out []comp.Acknowledgement
	seen := map[string]bool{}
	for _, p := range plans {
		if seen[p] {
			continue
		}
		seen[p] = true
		acks, err := List(ctx, store, p)
		if err != nil {
			return nil, err
		}
		out = append(out, acks...)
	}
	return out, nil
}

func decode(it results.Item) (*comp.Acknowledgement, error) {
	var a comp.Acknowledgement
	if err := json.Unmarshal(it.Body, &a); err != nil {
		return nil, fmt.Errorf("decode acknowledgement %s/%s: %w", it.PK, it.SK, err)
	}
	return &a, nil
}
