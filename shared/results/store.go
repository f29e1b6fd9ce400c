// Package results defines the results store: a single-table, DynamoDB-shaped
// item store that holds watermarks, the run ledger, KPI values and statements.
// The DynamoDB adapter (shared/dynamo) and the embedded local store
// (shared/results/localstore) both implement Store and pass the same
// conformance suite (shared/results/resultstest).
package results

import (
	"context"
	"errors"
)

// ErrNotFound is returned by Get when no item has the key.
var ErrNotFound = errors.New("results: item not found")

// ErrConditionFailed is returned by Put when the write's condition does not
// hold. The item is unchanged.
var ErrConditionFailed = errors.New("results: condition failed")

// Item is one record in the table. Body is the domain record as JSON; the
// store never interprets its meaning. A store may keep a JSON object body
// in native attributes and hand it back re-encoded (keys sorted, numbers
// normalized): the same value, not necessarily the same bytes (SameBody).
type Item struct {
	PK string // partition key, e.g. "KPI#2025Q3"
	SK string // sort key, e.g. "ASOF#2025-08-10#win_rate#org#all"
	// GSI1PK/GSI1SK feed the person-history index ("all my quarters").
	// Empty means the item is not indexed.
	GSI1PK string
	GSI1SK string
	Kind   string // "watermark", "run", "kpi", "statement", …
	// Version is the optimistic-concurrency counter. Writers that protect
	// state (final statements, watermarks, locks) put with IfVersion.
	Version int64
	// Expires is a Unix time in seconds: a lock's in-progress expiry or a
	// TTL. Zero means never.
	Expires int64
	Body    []byte
}

// Condition guards a Put. The zero Condition writes unconditionally.
type Condition struct {
	// IfAbsent: the key must not exist, or (with ExpiredBefore > 0) the
	// stored item's Expires must be non-zero and earlier than ExpiredBefore.
	IfAbsent      bool
	ExpiredBefore int64
	// IfVersion (when IfAbsent is false and IfVersion > 0): the stored item
	// must exist with exactly this Version.
	IfVersion int64
}

// Store is the results table.
type Store interface {
	// Get returns the item, or ErrNotFound.
	Get(ctx context.Context, pk, sk string) (Item, error)
	// Put writes the item if cond holds, else returns ErrConditionFailed.
	Put(ctx context.Context, it Item, cond Condition) error
	// Query returns the items of a partition whose SK starts with prefix,
	// in ascending SK order.
	Query(ctx context.Context, pk, skPrefix string) ([]Item, error)
	// QueryIndex is Query over the person-history index (GSI1).
	QueryIndex(ctx context.Context, gsi1pk, skPrefix string) ([]Item, error)
	// BatchPut writes items unconditionally, all of them or an error: the
	// DynamoDB adapter retries UnprocessedItems with backoff until done.
	BatchPut(ctx context.Context, items []Item) error
}
