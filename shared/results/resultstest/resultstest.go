// Package resultstest is the conformance suite every results.Store must pass:
// the local store in unit tests and the DynamoDB adapter against dynalite.
package resultstest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/results"
)

// Run exercises s. The store must be empty of keys starting with "T#".
func Run(t *testing.T, s results.Store) {
	ctx := context.Background()
	t.Run("get missing", func(t *testing.T) {
		if _, err := s.Get(ctx, "T#none", "x"); !errors.Is(err, results.ErrNotFound) {
			t.Fatalf("want ErrNotFound, got %v", err)
		}
	})
	t.Run("put if absent", func(t *testing.T) {
		it := results.Item{PK: "T#abs", SK: "a", Kind: "k", Version: 1, Body: []byte(`{"n":1}`)}
		if err := s.Put(ctx, it, results.Condition{IfAbsent: true}); err != nil {
			t.Fatal(err)
		}
		it.Body = []byte(`{"n":2}`)
		if err := s.Put(ctx, it, results.Condition{IfAbsent: true}); !errors.Is(err, results.ErrConditionFailed) {
			t.Fatalf("second IfAbsent put: want ErrConditionFailed, got %v", err)
		}
		got, err := s.Get(ctx, "T#abs", "a")
		if err != nil || string(got.Body) != `{"n":1}` || got.Version != 1 || got.Kind != "k" {
			t.Fatalf("stored item changed: %+v %v", got, err)
		}
	})
	t.Run("lock expiry", func(t *testing.T) {
		lock := results.Item{PK: "T#lock", SK: "l", Version: 1, Expires: 1000}
		if err := s.Put(ctx, lock, results.Condition{IfAbsent: true, ExpiredBefore: 500}); err != nil {
			t.Fatal(err)
		}
		// Still held at t=999.
		if err := s.Put(ctx, lock, results.Condition{IfAbsent: true, ExpiredBefore: 999}); !errors.Is(err, results.ErrConditionFailed) {
			t.Fatalf("held lock taken: %v", err)
		}
		// Expired at t=1001.
		lock.Expires = 2000
		if err := s.Put(ctx, lock, results.Condition{IfAbsent: true, ExpiredBefore: 1001}); err != nil {
			t.Fatalf("expired lock not taken: %v", err)
		}
		// An item without expiry never expires.
		forever := results.Item{PK: "T#lock", SK: "forever", Version: 1}
		if err := s.Put(ctx, forever, results.Condition{IfAbsent: true}); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, forever, results.Condition{IfAbsent: true, ExpiredBefore: 1 << 40}); !errors.Is(err, results.ErrConditionFailed) {
			t.Fatalf("item without expiry was treated as expired: %v", err)
		}
	})
	t.Run("if version", func(t *testing.T) {
		it := results.Item{PK: "T#ver", SK: "s", Version: 1, Body: []byte("1")}
		if err := s.Put(ctx, it, results.Condition{IfVersion: 1}); !errors.Is(err, results.ErrConditionFailed) {
			t.Fatalf("IfVersion on a missing item: %v", err)
		}
		if err := s.Put(ctx, it, results.Condition{IfAbsent: true}); err != nil {
			t.Fatal(err)
		}
		it.Version, it.Body = 2, []byte("2")
		if err := s.Put(ctx, it, results.Condition{IfVersion: 1}); err != nil {
			t.Fatal(err)
		}
		it.Version, it.Body = 3, []byte("stale")
		if err := s.Put(ctx, it, results.Condition{IfVersion: 1}); !errors.Is(err, results.ErrConditionFailed) {
			t.Fatalf("stale version accepted: %v", err)
		}
		got, _ := s.Get(ctx, "T#ver", "s")
		if got.Version != 2 || string(got.Body) != "2" {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("statement body round trip", func(t *testing.T) {
		// A statement-kind JSON body: the DynamoDB adapter stores it as
		// native attributes. What comes back is the same value (keys in any
		// order, numbers by value), exact to the last digit, and optimistic
		// versioning holds as for any item.
		body := []byte(`{"status":"draft","statement":{"name":"Zoë <Ødegård> & 李","total":"3370.00","empty":"",` +
			`"lines":[{"kind":"clawback","amount":"-250.50","exact":"-250.4999999999999999999999999"},{"kind":"bonus","n":1.50,"big":12345678901234567890123456789012345678}],` +
			`"none":null,"ok":true,"tags":[],"meta":{}},"history":[{"status":"draft","by":"","at":"2026-10-05T09:00:00Z"}],"version_note":-0.000001}`)
		it := results.Item{PK: "T#stmt", SK: "P1", GSI1PK: "T#person", GSI1SK: "2026Q3", Kind: "statement", Version: 1, Body: body}
		if err := s.Put(ctx, it, results.Condition{IfAbsent: true}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "T#stmt", "P1")
		if err != nil || got.Version != 1 || got.Kind != "statement" || !results.SameBody(got.Body, body) {
			t.Fatalf("got %+v %s, %v; want the body put:\n%s", got, got.Body, err, body)
		}
		if results.SameBody(got.Body, []byte(strings.Replace(string(body), "-250.50", "-250.51", 1))) {
			t.Fatal("SameBody cannot tell a cent apart")
		}
		next := it
		next.Version, next.Body = 2, []byte(strings.Replace(string(body), `"status":"draft"`, `"status":"approved"`, 1))
		if err := s.Put(ctx, next, results.Condition{IfVersion: 1}); err != nil {
			t.Fatal(err)
		}
		stale := next
		stale.Version = 3
		if err := s.Put(ctx, stale, results.Condition{IfVersion: 1}); !errors.Is(err, results.ErrConditionFailed) {
			t.Fatalf("stale statement version accepted: %v", err)
		}
		got, err = s.Get(ctx, "T#stmt", "P1")
		if err != nil || got.Version != 2 || !results.SameBody(got.Body, next.Body) {
			t.Fatalf("after the versioned put: %+v %s, %v", got, got.Body, err)
		}
	})
	t.Run("query and index", func(t *testing.T) {
		var items []results.Item
		for i := 0; i < 60; i++ { // more than one BatchWriteItem (25)
			items = append(items, results.Item{PK: "T#q", SK: fmt.Sprintf("A#%03d", 59-i), GSI1PK: "T#person", GSI1SK: fmt.Sprintf("Q#%03d", i), Body: []byte(`{}`)})
		}
		items = append(items, results.Item{PK: "T#q", SK: "B#000"})
		if err := s.BatchPut(ctx, items); err != nil {
			t.Fatal(err)
		}
		got, err := s.Query(ctx, "T#q", "A#")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 60 || got[0].SK != "A#000" || got[59].SK != "A#059" {
			t.Fatalf("query: %d items, first %q", len(got), first(got))
		}
		idx, err := s.QueryIndex(ctx, "T#person", "Q#00")
		if err != nil {
			t.Fatal(err)
		}
		if len(idx) != 10 || idx[0].GSI1SK != "Q#000" || idx[9].GSI1SK != "Q#009" {
			t.Fatalf("index: %d items", len(idx))
		}
	})
}

func first(items []results.Item) string {
	if len(items) == 0 {
		return ""
	}
	return items[0].SK
}
