// Package acktest checks shared/comp/ackstore against any results.Store:
// the embedded local store and DynamoDB (dynalite) run the same cases.
package acktest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/ackstore"
	"github.com/venn-revops/venn/shared/results"
)

func ack(person, sha, by, at string) *comp.Acknowledgement {
	return &comp.Acknowledgement{PersonID: person, Plan: "ae@v1", FileSHA256: sha, By: by, At: at}
}

// Run runs the cases, each on a fresh store.
func Run(t *testing.T, newStore func(t *testing.T) results.Store) {
	ctx := context.Background()
	t.Run("first stands", func(t *testing.T) {
		s := newStore(t)
		got, created, err := ackstore.Put(ctx, s, ack("P1", "aaa", "local:pat", "2026-11-20T10:00:00Z"))
		if err != nil || !created || got.At != "2026-11-20T10:00:00Z" {
			t.Fatalf("first: %+v %v %v", got, created, err)
		}
		got, created, err = ackstore.Put(ctx, s, ack("P1", "aaa", "local:pat", "2026-11-21T09:00:00Z"))
		if err != nil || created || got.At != "2026-11-20T10:00:00Z" {
			t.Fatalf("again: %+v created %v %v; want the first, not created", got, created, err)
		}
		// Another file of the same version is another acknowledgement.
		if _, created, err := ackstore.Put(ctx, s, ack("P1", "bbb", "local:pat", "2026-11-22T09:00:00Z")); err != nil || !created {
			t.Fatalf("other file: created %v %v", created, err)
		}
		all, err := ackstore.List(ctx, s, "ae@v1")
		if err != nil || len(all) != 2 {
			t.Fatalf("list: %+v %v", all, err)
		}
		st := comp.AckOf("P1", "ae@v1", "bbb", all)
		if !st.Acknowledged || st.At != "2026-11-22T09:00:00Z" {
			t.Errorf("status of bbb: %+v", st)
		}
		if st := comp.AckOf("P1", "ae@v1", "ccc", all); st.Acknowledged || st.Other == "" {
			t.Errorf("status of a third file: %+v, want not acknowledged, another on record", st)
		}
	})
	t.Run("race", func(t *testing.T) {
		// Eight writers acknowledge the same file at once: exactly one
		// stores, and every one is told the same stored acknowledgement.
		s := newStore(t)
		const n = 8
		var wg sync.WaitGroup
		got := make([]*comp.Acknowledgement, n)
		created := make([]bool, n)
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], created[i], errs[i] = ackstore.Put(ctx, s, ack("P2", "aaa", "local:sam", fmt.Sprintf("2026-11-20T10:00:0%dZ", i)))
			}()
		}
		wg.Wait()
		winners := 0
		for i := 0; i < n; i++ {
			if errs[i] != nil {
				t.Fatalf("writer %d: %v", i, errs[i])
			}
			if created[i] {
				winners++
			}
		}
		if winners != 1 {
			t.Fatalf("%d writers stored, want exactly 1", winners)
		}
		all, err := ackstore.List(ctx, s, "ae@v1")
		if err != nil || len(all) != 1 {
			t.Fatalf("stored %+v %v, want one", all, err)
		}
		for i := 0; i < n; i++ {
			if got[i].At != all[0].At {
				t.Errorf("writer %d was told %s, the store holds %s", i, got[i].At, all[0].At)
			}
		}
	})
}
