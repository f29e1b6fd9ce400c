// Package dynamo is the DynamoDB adapter of the results store: one table, the
// attribute names pk, sk, gsi1pk, gsi1sk, kind, version (N), expires (N, also
// the TTL attribute) and body (B) or doc (M: the body of a statement or
// correction as native attributes, readable in the console), and the
// person-history index GSI1.
//
// Conditional single-item writes carry every invariant (locks, final
// statements, watermarks); see docs/dynamodb.md for why there are no
// transactions.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/venn-revops/venn/shared/awsretry"
	"github.com/venn-revops/venn/shared/results"
)

// Attribute and index names. template.yaml declares the same (checked by infra tests).
const (
	AttrPK      = "pk"
	AttrSK      = "sk"
	AttrGSI1PK  = "gsi1pk"
	AttrGSI1SK  = "gsi1sk"
	AttrKind    = "kind"
	AttrVersion = "version"
	AttrExpires = "expires" // Unix seconds; the table's TTL attribute
	AttrBody    = "body"
	IndexGSI1   = "GSI1"
)

// maxBatch is BatchWriteItem's limit on items per request.
const maxBatch = 25

// maxBody keeps an item under DynamoDB's 400 KB item limit with room for the
// keys; the local store enforces the same budget so local runs fail alike.
const maxBody = 350 * 1024

// Store is a results.Store over one DynamoDB table.
type Store struct {
	client *dynamodb.Client
	table  string

	batchAttempts int           // BatchWriteItem rounds before giving up
	backoffBase   time.Duration // first backoff; doubles each round
	backoffMax    time.Duration
	sleep         func(context.Context, time.Duration) error
}

// Option configures a Store.
type Option func(*Store)

// WithBatchRetry sets how many BatchWriteItem rounds BatchPut makes while
// DynamoDB keeps returning UnprocessedItems, and the backoff between rounds
// (exponential from base, capped at max, with full jitter). The defaults are
// 10 rounds from 50ms up to 5s: about 20s worst case, well inside a Lambda
// deadline, and loud when the table is persistently throttled.
func WithBatchRetry(attempts int, base, max time.Duration) Option {
	return func(s *Store) {
		if attempts > 0 {
			s.batchAttempts = attempts
		}
		if base > 0 {
			s.backoffBase = base
		}
		if max >= base && max > 0 {
			s.backoffMax = max
		}
	}
}

// New returns a Store over table. The client carries region, credentials,
// endpoint and the SDK's own retry policy for throttling and 5xx.
func New(client *dynamodb.Client, table string, opts ...Option) *Store {
	s := &Store{
		client:        client,
		table:         table,
		batchAttempts: 10,
		backoffBase:   50 * time.Millisecond,
		backoffMax:    5 * time.Second,
		sleep:         awsretry.Sleep,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Get implements results.Store with a strongly consistent read, so a reader
// sees the lock or statement it (or a racing writer) just wrote.
func (s *Store) Get(ctx context.Context, pk, sk string) (results.Item, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            keyOf(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return results.Item{}, fmt.Errorf("dynamo: get %s/%s from %s: %w", pk, sk, s.table, err)
	}
	if out.Item == nil {
		return results.Item{}, results.ErrNotFound
	}
	it, err := decode(out.Item)
	if err != nil {
		return results.Item{}, fmt.Errorf("dynamo: get %s/%s: %w", pk, sk, err)
	}
	return it, nil
}

// Put implements results.Store. The Condition becomes a ConditionExpression:
//
//	IfAbsent:                attribute_not_exists(pk)
//	IfAbsent+ExpiredBefore:  attribute_not_exists(pk) OR (expires <> :zero AND expires < :now)
//	IfVersion:               version = :v
//
// The SDK retries a write whose response was lost; the retry then fails its
// own condition although the first attempt succeeded. So when a conditional
// put was sent more than once and fails, Put reads the item back and reports
// success if the stored item is exactly the one it wrote.
func (s *Store) Put(ctx context.Context, it results.Item, cond results.Condition) error {
	if err := validate(it); err != nil {
		return err
	}
	in := &dynamodb.PutItemInput{TableName: &s.table, Item: encode(it)}
	switch {
	case cond.IfAbsent && cond.ExpiredBefore > 0:
		in.ConditionExpression = aws.String("attribute_not_exists(pk) OR (expires <> :zero AND expires < :now)")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":zero": num(0),
			":now":  num(cond.ExpiredBefore),
		}
	case cond.IfAbsent:
		in.ConditionExpression = aws.String("attribute_not_exists(pk)")
	case cond.IfVersion > 0:
		in.ConditionExpression = aws.String("version = :v")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(cond.IfVersion)}
	}
	var attempts int
	_, err := s.client.PutItem(ctx, in, countAttempts(&attempts))
	if err == nil {
		return nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return fmt.Errorf("dynamo: put %s/%s into %s: %w", it.PK, it.SK, s.table, err)
	}
	if attempts > 1 {
		stored, gerr := s.Get(ctx, it.PK, it.SK)
		if gerr == nil && sameItem(stored, it) {
			return nil // our first attempt landed; its response was lost
		}
	}
	return results.ErrConditionFailed
}

// BatchPut implements results.Store: chunks of 25 items, each chunk's
// UnprocessedItems resent with exponential backoff and full jitter until none
// remain or the attempts run out, which fails loudly with the count left.
// A key given twice is written once, with its last value, as sequential
// writes would leave it (BatchWriteItem rejects duplicate keys in a request).
func (s *Store) BatchPut(ctx context.Context, items []results.Item) error {
	items, err := lastPerKey(items)
	if err != nil {
		return err
	}
	for start := 0; start < len(items); start += maxBatch {
		end := min(start+maxBatch, len(items))
		reqs := make([]types.WriteRequest, 0, end-start)
		for _, it := range items[start:end] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: encode(it)}})
		}
		if err := s.writeBatch(ctx, reqs); err != nil {
			return fmt.Errorf("dynamo: batch put items %d-%d of %d into %s: %w", start, end-1, len(items), s.table, err)
		}
	}
	return nil
}

func (s *Store) writeBatch(ctx context.Context, reqs []types.WriteRequest) error {
	pending := map[string][]types.WriteRequest{s.table: reqs}
	for attempt := 1; ; attempt++ {
		out, err := s.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return err
		}
		left := len(out.UnprocessedItems[s.table])
		if left == 0 {
			return nil
		}
		if attempt >= s.batchAttempts {
			return fmt.Errorf("%d items still unprocessed after %d attempts (table throttled or over capacity)", left, attempt)
		}
		if err := s.sleep(ctx, s.backoff(attempt)); err != nil {
			return fmt.Errorf("%d items unprocessed: %w", left, err)
		}
		pending = out.UnprocessedItems
	}
}

// backoff is "full jitter": uniform in [0, min(max, base·2^(attempt-1))], which
// spreads retrying writers apart instead of letting them collide in step.
func (s *Store) backoff(attempt int) time.Duration {
	d := s.backoffBase << min(attempt-1, 20)
	if d > s.backoffMax || d <= 0 {
		d = s.backoffMax
	}
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// Query implements results.Store.
func (s *Store) Query(ctx context.Context, pk, skPrefix string) ([]results.Item, error) {
	return s.query(ctx, "", AttrPK, AttrSK, pk, skPrefix)
}

// QueryIndex implements results.Store over GSI1. GSIs are eventually
// consistent: a statement written a moment ago may be missing.
func (s *Store) QueryIndex(ctx context.Context, gsi1pk, skPrefix string) ([]results.Item, error) {
	return s.query(ctx, IndexGSI1, AttrGSI1PK, AttrGSI1SK, gsi1pk, skPrefix)
}

func (s *Store) query(ctx context.Context, index, pkAttr, skAttr, pk, prefix string) ([]results.Item, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": pkAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
	}
	if index != "" {
		in.IndexName = &index
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	if prefix != "" {
		in.KeyConditionExpression = aws.String("#pk = :pk AND begins_with(#sk, :prefix)")
		in.ExpressionAttributeNames["#sk"] = skAttr
		in.ExpressionAttributeValues[":prefix"] = str(prefix)
	}
	var items []results.Item
	pages := dynamodb.NewQueryPaginator(s.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamo: query %s %s=%q prefix %q: %w", s.nameOf(index), pkAttr, pk, prefix, err)
		}
		for _, av := range page.Items {
			it, err := decode(av)
			if err != nil {
				return nil, fmt.Errorf("dynamo: query %s %s=%q: %w", s.nameOf(index), pkAttr, pk, err)
			}
			items = append(items, it)
		}
	}
	return items, nil
}

func (s *Store) nameOf(index string) string {
	if index == "" {
		return s.table
	}
	return s.table + "/" + index
}

// CreateTableInput is the table's definition: keys, attribute types, GSI1 and
// on-demand billing. template.yaml declares the same (infra tests compare
// them); TTL, PITR, SSE and deletion protection are set by the template only.
func CreateTableInput(name string) *dynamodb.CreateTableInput {
	strAttr := func(n string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS}
	}
	keys := func(h, r string) []types.KeySchemaElement {
		return []types.KeySchemaElement{
			{AttributeName: aws.String(h), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(r), KeyType: types.KeyTypeRange},
		}
	}
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{strAttr(AttrPK), strAttr(AttrSK), strAttr(AttrGSI1PK), strAttr(AttrGSI1SK)},
		KeySchema:            keys(AttrPK, AttrSK),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String(IndexGSI1),
			KeySchema:  keys(AttrGSI1PK, AttrGSI1SK),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	}
}

// CreateTable creates the results table (for tests and local setup) and waits
// until it is ACTIVE. Deployed tables come from template.yaml.
func CreateTable(ctx context.Context, client *dynamodb.Client, name string) error {
	if _, err := client.CreateTable(ctx, CreateTableInput(name)); err != nil {
		return fmt.Errorf("dynamo: create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("dynamo: table %s not active: %w", name, err)
	}
	return nil
}

func encode(it results.Item) map[string]types.AttributeValue {
	av := map[string]types.AttributeValue{
		AttrPK:      str(it.PK),
		AttrSK:      str(it.SK),
		AttrVersion: num(it.Version),
	}
	// Index keys are set only together: a half-keyed item would be invisible
	// to GSI1 anyway, and DynamoDB rejects empty strings in index keys.
	if it.GSI1PK != "" && it.GSI1SK != "" {
		av[AttrGSI1PK] = str(it.GSI1PK)
		av[AttrGSI1SK] = str(it.GSI1SK)
	}
	if it.Kind != "" {
		av[AttrKind] = str(it.Kind)
	}
	// Zero means "never": writing 0 would make TTL treat the item as expired.
	if it.Expires != 0 {
		av[AttrExpires] = num(it.Expires)
	}
	if len(it.Body) > 0 {
		if doc, ok := readableDoc(it); ok {
			av[AttrDoc] = doc
		} else {
			av[AttrBody] = &types.AttributeValueMemberB{Value: it.Body}
		}
	}
	return av
}

// readableDoc is the body of a readable item (ReadableKinds) as a native
// map, when it is a JSON object DynamoDB can hold exactly and the map fits
// the same item budget as the bytes; otherwise the bytes are stored (the
// code reads both alike; the console shows base64 for those).
func readableDoc(it results.Item) (types.AttributeValue, bool) {
	if !ReadableKinds[it.Kind] {
		return nil, false
	}
	doc, size, ok := toDoc(it.Body)
	if !ok || len(AttrDoc)+size > maxBody {
		return nil, false
	}
	return doc, true
}

func decode(av map[string]types.AttributeValue) (results.Item, error) {
	var it results.Item
	var err error
	getS := func(name string, dst *string) {
		switch v := av[name].(type) {
		case nil:
		case *types.AttributeValueMemberS:
			*dst = v.Value
		default:
			err = errors.Join(err, fmt.Errorf("attribute %s: want S, got %T", name, v))
		}
	}
	getN := func(name string, dst *int64) {
		switch v := av[name].(type) {
		case nil:
		case *types.AttributeValueMemberN:
			n, perr := strconv.ParseInt(v.Value, 10, 64)
			if perr != nil {
				err = errors.Join(err, fmt.Errorf("attribute %s: %w", name, perr))
			}
			*dst = n
		default:
			err = errors.Join(err, fmt.Errorf("attribute %s: want N, got %T", name, v))
		}
	}
	getS(AttrPK, &it.PK)
	getS(AttrSK, &it.SK)
	getS(AttrGSI1PK, &it.GSI1PK)
	getS(AttrGSI1SK, &it.GSI1SK)
	getS(AttrKind, &it.Kind)
	getN(AttrVersion, &it.Version)
	getN(AttrExpires, &it.Expires)
	if doc, ok := av[AttrDoc]; ok {
		body, derr := fromDoc(doc)
		if derr != nil {
			err = errors.Join(err, fmt.Errorf("attribute %s: %w", AttrDoc, derr))
		}
		it.Body = body
	}
	switch v := av[AttrBody].(type) {
	case nil:
	case *types.AttributeValueMemberB:
		it.Body = v.Value
	case *types.AttributeValueMemberS: // items written by hand in the console
		it.Body = []byte(v.Value)
	default:
		err = errors.Join(err, fmt.Errorf("attribute %s: want B or S, got %T", AttrBody, v))
	}
	if err != nil {
		return results.Item{}, fmt.Errorf("item %s/%s: %w", it.PK, it.SK, err)
	}
	return it, nil
}

// sameItem reports whether stored is what writing mine leaves in the table
// (encode drops a half-set index key, so compare after the same rule).
func sameItem(stored, mine results.Item) bool {
	if mine.GSI1PK == "" || mine.GSI1SK == "" {
		mine.GSI1PK, mine.GSI1SK = "", ""
	}
	return stored.PK == mine.PK && stored.SK == mine.SK && stored.Kind == mine.Kind &&
		stored.Version == mine.Version && stored.Expires == mine.Expires &&
		stored.GSI1PK == mine.GSI1PK && stored.GSI1SK == mine.GSI1SK &&
		results.SameBody(stored.Body, mine.Body)
}

func validate(it results.Item) error {
	if it.PK == "" || it.SK == "" {
		return fmt.Errorf("dynamo: item %q/%q: empty key", it.PK, it.SK)
	}
	if len(it.Body) > maxBody {
		return fmt.Errorf("dynamo: item %s/%s: body is %d bytes, over the 350 KiB budget under DynamoDB's 400 KB item limit", it.PK, it.SK, len(it.Body))
	}
	return nil
}

func lastPerKey(items []results.Item) ([]results.Item, error) {
	type key struct{ pk, sk string }
	last := make(map[key]int, len(items))
	for i, it := range items {
		if err := validate(it); err != nil {
			return nil, err
		}
		last[key{it.PK, it.SK}] = i
	}
	if len(last) == len(items) {
		return items, nil
	}
	out := make([]results.Item, 0, len(last))
	for i, it := range items {
		if last[key{it.PK, it.SK}] == i {
			out = append(out, it)
		}
	}
	return out, nil
}

func keyOf(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: str(pk), AttrSK: str(sk)}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// countAttempts counts the HTTP attempts the SDK's retry loop makes for one
// call: a middleware after "Retry" in the finalize step runs once per attempt.
func countAttempts(n *int) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("VennCountAttempts",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					*n++
					return next.HandleFinalize(ctx, in)
				}), "Retry", middleware.After)
		})
	}
}
