package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/venn-revops/venn/shared/dynamo"
	"github.com/venn-revops/venn/shared/dynamo/dynamotest"
	"github.com/venn-revops/venn/shared/results"
	"github.com/venn-revops/venn/shared/results/resultstest"
)

// fast keeps backoff short: the servers are local.
var fast = dynamo.WithBatchRetry(10, time.Millisecond, 5*time.Millisecond)

func TestConformance(t *testing.T) {
	srv := dynamotest.Start(t)
	resultstest.Run(t, dynamo.New(srv.Client(), srv.NewTable(t), fast))
}

func TestStoredAttributes(t *testing.T) {
	srv := dynamotest.Start(t)
	client, table := srv.Client(), srv.NewTable(t)
	s := dynamo.New(client, table, fast)
	ctx := context.Background()
	tests := []struct {
		name string
		item results.Item
		want map[string]string // attribute → "S:value" / "N:value" / "B:value"; others must be absent
	}{
		{
			name: "statement with index keys: body as a native map",
			item: results.Item{PK: "STMT#2026Q3", SK: "005A1", GSI1PK: "PERSON#005A1", GSI1SK: "2026Q3", Kind: "statement", Version: 3, Body: []byte(`{"total":"1.00","n":2}`)},
			want: map[string]string{"pk": "S:STMT#2026Q3", "sk": "S:005A1", "gsi1pk": "S:PERSON#005A1", "gsi1sk": "S:2026Q3", "kind": "S:statement", "version": "N:3", "doc": `M:[n:N:2 total:S:1.00]`},
		},
		{
			name: "other kinds keep the binary body",
			item: results.Item{PK: "KPI#2026Q3", SK: "x", Kind: "kpi", Version: 1, Body: []byte(`{"total":"1.00"}`)},
			want: map[string]string{"pk": "S:KPI#2026Q3", "sk": "S:x", "kind": "S:kpi", "version": "N:1", "body": `B:{"total":"1.00"}`},
		},
		{
			name: "a statement body that is no JSON object stays bytes",
			item: results.Item{PK: "STMT#2026Q3", SK: "005A2", Kind: "statement", Version: 1, Body: []byte(`[1]`)},
			want: map[string]string{"pk": "S:STMT#2026Q3", "sk": "S:005A2", "kind": "S:statement", "version": "N:1", "body": `B:[1]`},
		},
		{
			name: "a number DynamoDB cannot hold exactly (39 digits) keeps the bytes",
			item: results.Item{PK: "STMT#2026Q3", SK: "005A3", Kind: "statement", Version: 1, Body: []byte(`{"n":123456789012345678901234567890123456789}`)},
			want: map[string]string{"pk": "S:STMT#2026Q3", "sk": "S:005A3", "kind": "S:statement", "version": "N:1", "body": `B:{"n":123456789012345678901234567890123456789}`},
		},
		{
			name: "lock with expiry, no index, no body",
			item: results.Item{PK: "RUN#kpi", SK: "2026Q3#abc", Kind: "run", Version: 1, Expires: 1795000000},
			want: map[string]string{"pk": "S:RUN#kpi", "sk": "S:2026Q3#abc", "kind": "S:run", "version": "N:1", "expires": "N:1795000000"},
		},
		{
			name: "half an index key is not written",
			item: results.Item{PK: "X#1", SK: "s", GSI1PK: "PERSON#1"},
			want: map[string]string{"pk": "S:X#1", "sk": "S:s", "version": "N:0"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Put(ctx, tc.item, results.Condition{}); err != nil {
				t.Fatal(err)
			}
			out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: tc.item.PK}, "sk": &types.AttributeValueMemberS{Value: tc.item.SK}}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for k, v := range out.Item {
				got[k] = rawAttr(v)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("stored attributes\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

// rawAttr renders a stored attribute with its type: "S:x", "N:1",
// "B:bytes", "M:[k:S:v …]" (keys sorted), "L:[…]".
func rawAttr(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return "S:" + v.Value
	case *types.AttributeValueMemberN:
		return "N:" + v.Value
	case *types.AttributeValueMemberB:
		return "B:" + string(v.Value)
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprint("BOOL:", v.Value)
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberL:
		parts := make([]string, len(v.Value))
		for i, e := range v.Value {
			parts[i] = rawAttr(e)
		}
		return "L:[" + strings.Join(parts, " ") + "]"
	case *types.AttributeValueMemberM:
		m := map[string]string{}
		for k, e := range v.Value {
			m[k] = rawAttr(e)
		}
		return "M:" + strings.TrimPrefix(fmt.Sprint(m), "map")
	}
	return fmt.Sprintf("%T", v)
}

// A statement whose native map would outgrow the item budget although its
// JSON fits (a long list of small numbers: 2 bytes each in JSON, 3 in a
// map) is stored as bytes and read back the same.
func TestReadableBodyOverBudgetKeepsBytes(t *testing.T) {
	srv := dynamotest.Start(t)
	client, table := srv.Client(), srv.NewTable(t)
	s := dynamo.New(client, table, fast)
	ctx := context.Background()
	body := []byte(`{"n":[` + strings.Repeat("1,", 150_000) + `1]}`)
	it := results.Item{PK: "STMT#2026Q3", SK: "big", Kind: "statement", Version: 1, Body: body}
	if err := s.Put(ctx, it, results.Condition{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: it.PK}, "sk": &types.AttributeValueMemberS{Value: it.SK}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.Item["body"].(*types.AttributeValueMemberB); !ok || out.Item["doc"] != nil {
		t.Fatalf("over-budget statement stored as %T / %T, want the bytes", out.Item["body"], out.Item["doc"])
	}
	got, err := s.Get(ctx, it.PK, it.SK)
	if err != nil || string(got.Body) != string(body) {
		t.Fatalf("read back %d bytes, %v", len(got.Body), err)
	}
}

func TestBodyWrittenAsString(t *testing.T) {
	srv := dynamotest.Start(t)
	client, table := srv.Client(), srv.NewTable(t)
	ctx := context.Background()
	_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "WATERMARK"}, "sk": &types.AttributeValueMemberS{Value: "Lead"},
		"version": &types.AttributeValueMemberN{Value: "7"}, "body": &types.AttributeValueMemberS{Value: `{"ts":1}`}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := dynamo.New(client, table).Get(ctx, "WATERMARK", "Lead")
	if err != nil || string(got.Body) != `{"ts":1}` || got.Version != 7 {
		t.Fatalf("got %+v, %v", got, err)
	}
}

// A conditional put whose response is lost is retried by the SDK; the retry
// fails its condition against our own first write. That must be success, and
// a genuinely different stored item must still be a condition failure.
func TestConditionalPutLostResponse(t *testing.T) {
	srv := dynamotest.Start(t)
	table := srv.NewTable(t)
	proxy := dynamotest.NewProxy(t, srv)
	s := dynamo.New(dynamotest.NewClient(proxy.Endpoint), table, fast)
	ctx := context.Background()

	lock := results.Item{PK: "RUN#kpi", SK: "2026Q3#h1", Kind: "run", Version: 1, Expires: 2000, Body: []byte(`{"owner":"a"}`)}
	proxy.DropResponses("PutItem", 1)
	if err := s.Put(ctx, lock, results.Condition{IfAbsent: true, ExpiredBefore: 1000}); err != nil {
		t.Fatalf("lost response on our own write must succeed: %v", err)
	}
	if n := proxy.Calls("PutItem"); n != 2 {
		t.Fatalf("PutItem calls = %d, want 2 (first lost, one SDK retry)", n)
	}

	other := lock
	other.Body = []byte(`{"owner":"b"}`)
	proxy.DropResponses("PutItem", 1)
	if err := s.Put(ctx, other, results.Condition{IfAbsent: true, ExpiredBefore: 1000}); !errors.Is(err, results.ErrConditionFailed) {
		t.Fatalf("someone else's lock: want ErrConditionFailed, got %v", err)
	}
	// Sent once, not retried: an identical item is still a condition failure.
	if err := s.Put(ctx, lock, results.Condition{IfAbsent: true, ExpiredBefore: 1000}); !errors.Is(err, results.ErrConditionFailed) {
		t.Fatalf("a single-attempt duplicate must fail its condition, got %v", err)
	}

	// Version bumps: the lost-response retry finds our version 2 in place.
	stmt := results.Item{PK: "STMT#2026Q3", SK: "005A1", Version: 1, Body: []byte("draft")}
	if err := s.Put(ctx, stmt, results.Condition{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	stmt.Version, stmt.Body = 2, []byte("approved")
	proxy.DropResponses("PutItem", 1)
	if err := s.Put(ctx, stmt, results.Condition{IfVersion: 1}); err != nil {
		t.Fatalf("lost response on version bump: %v", err)
	}
}

func TestBatchPutUnprocessedItems(t *testing.T) {
	srv := dynamotest.Start(t)
	table := srv.NewTable(t)
	proxy := dynamotest.NewProxy(t, srv)
	s := dynamo.New(dynamotest.NewClient(proxy.Endpoint), table, fast)
	ctx := context.Background()

	items := make([]results.Item, 60)
	for i := range items {
		items[i] = results.Item{PK: "KPI#2026Q4", SK: fmt.Sprintf("ASOF#2026-11-20#leads#org#all#%02d", i), Kind: "kpi", Body: []byte(fmt.Sprint(i))}
	}
	// Three calls answer with half their items unprocessed. Chunk 1 (25):
	// 13 written + 12 back, 6 + 6 back, 3 + 3 back, then 3 → 4 calls; chunks
	// 2 (25) and 3 (10) take one call each: 6 calls in all.
	proxy.Unprocess(3)
	if err := s.BatchPut(ctx, items); err != nil {
		t.Fatal(err)
	}
	if n := proxy.Calls("BatchWriteItem"); n != 6 {
		t.Fatalf("BatchWriteItem calls = %d, want 6", n)
	}
	got, err := s.Query(ctx, "KPI#2026Q4", "ASOF#2026-11-20#")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60 {
		t.Fatalf("stored %d items, want 60", len(got))
	}
	for i, it := range got {
		if string(it.Body) != fmt.Sprint(i) {
			t.Fatalf("item %d body %q", i, it.Body)
		}
	}
}

func TestBatchPutGivesUpLoudly(t *testing.T) {
	srv := dynamotest.Start(t)
	table := srv.NewTable(t)
	proxy := dynamotest.NewProxy(t, srv)
	s := dynamo.New(dynamotest.NewClient(proxy.Endpoint), table, dynamo.WithBatchRetry(3, time.Millisecond, 2*time.Millisecond))
	proxy.Unprocess(1000)
	items := []results.Item{{PK: "P", SK: "1"}, {PK: "P", SK: "2"}, {PK: "P", SK: "3"}, {PK: "P", SK: "4"}, {PK: "P", SK: "5"}, {PK: "P", SK: "6"}, {PK: "P", SK: "7"}, {PK: "P", SK: "8"}}
	err := s.BatchPut(context.Background(), items)
	// 8 → 4 written, 4 back → 2 + 2 back → 1 + 1 back; the third round gives up.
	if err == nil || !strings.Contains(err.Error(), "1 items still unprocessed after 3 attempts") {
		t.Fatalf("want a loud failure naming what is left, got %v", err)
	}
	if n := proxy.Calls("BatchWriteItem"); n != 3 {
		t.Fatalf("BatchWriteItem calls = %d, want 3", n)
	}
}

func TestBatchPutDuplicateKeysLastWins(t *testing.T) {
	srv := dynamotest.Start(t)
	s := dynamo.New(srv.Client(), srv.NewTable(t), fast)
	ctx := context.Background()
	err := s.BatchPut(ctx, []results.Item{
		{PK: "P", SK: "a", Body: []byte("1")},
		{PK: "P", SK: "b", Body: []byte("2")},
		{PK: "P", SK: "a", Body: []byte("3")},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Query(ctx, "P", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0].Body) != "3" || string(got[1].Body) != "2" {
		t.Fatalf("got %+v", got)
	}
}

func TestRejectsOversizeAndEmptyKeys(t *testing.T) {
	srv := dynamotest.Start(t)
	s := dynamo.New(srv.Client(), srv.NewTable(t), fast)
	ctx := context.Background()
	tests := []struct {
		name string
		item results.Item
		want string
	}{
		{"empty sk", results.Item{PK: "P"}, "empty key"},
		{"body over budget", results.Item{PK: "P", SK: "big", Body: make([]byte, 350*1024+1)}, "over the 350 KiB budget"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Put(ctx, tc.item, results.Condition{}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Put: want %q, got %v", tc.want, err)
			}
			if err := s.BatchPut(ctx, []results.Item{tc.item}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("BatchPut: want %q, got %v", tc.want, err)
			}
		})
	}
	// The largest allowed body fits DynamoDB's item limit.
	if err := s.Put(ctx, results.Item{PK: "P", SK: "max", Body: make([]byte, 350*1024)}, results.Condition{}); err != nil {
		t.Fatal(err)
	}
}

func TestCreateTableShape(t *testing.T) {
	srv := dynamotest.Start(t)
	client := srv.Client()
	table := srv.NewTable(t)
	out, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	d := out.Table
	if d.TableStatus != types.TableStatusActive || len(d.GlobalSecondaryIndexes) != 1 || aws.ToString(d.GlobalSecondaryIndexes[0].IndexName) != "GSI1" {
		t.Fatalf("table %+v", d)
	}
	if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Fatalf("billing mode %+v", d.BillingModeSummary)
	}
}

// A response cut off mid-body (the server wrote half of it, then the
// connection closed) is retried like a lost response, through the production
// retryer, with the same guarantees: a conditional write whose first attempt
// landed is success, someone else's item is still a condition failure, and
// reads and batch writes complete.
func TestCutOffResponseRetried(t *testing.T) {
	srv := dynamotest.Start(t)
	table := srv.NewTable(t)
	proxy := dynamotest.NewProxy(t, srv)
	prod := func(o *dynamodb.Options) { o.Retryer = dynamo.Retryer() }
	s := dynamo.New(dynamotest.NewClient(proxy.Endpoint, prod), table, fast)
	ctx := context.Background()

	lock := results.Item{PK: "RUN#kpi", SK: "2026Q3#h1", Kind: "run", Version: 1, Expires: 2000, Body: []byte(`{"owner":"a"}`)}
	proxy.CutOffResponses("PutItem", 1)
	if err := s.Put(ctx, lock, results.Condition{IfAbsent: true, ExpiredBefore: 1000}); err != nil {
		t.Fatalf("cut-off response on our own conditional write must succeed: %v", err)
	}
	if n := proxy.Calls("PutItem"); n != 2 {
		t.Fatalf("PutItem calls = %d, want 2 (first cut off, one retry)", n)
	}
	other := lock
	other.Body = []byte(`{"owner":"b"}`)
	proxy.CutOffResponses("PutItem", 1)
	if err := s.Put(ctx, other, results.Condition{IfAbsent: true, ExpiredBefore: 1000}); !errors.Is(err, results.ErrConditionFailed) {
		t.Fatalf("someone else's lock after a cut-off response: want ErrConditionFailed, got %v", err)
	}

	stmt := results.Item{PK: "STMT#2026Q3", SK: "005A1", Version: 1, Body: []byte("draft")}
	if err := s.Put(ctx, stmt, results.Condition{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	stmt.Version, stmt.Body = 2, []byte("approved")
	proxy.CutOffResponses("PutItem", 1)
	if err := s.Put(ctx, stmt, results.Condition{IfVersion: 1}); err != nil {
		t.Fatalf("cut-off response on a version bump: %v", err)
	}

	proxy.CutOffResponses("GetItem", 1)
	got, err := s.Get(ctx, stmt.PK, stmt.SK)
	if err != nil || string(got.Body) != "approved" || got.Version != 2 {
		t.Fatalf("get after a cut-off response: %+v %v", got, err)
	}

	var batch []results.Item
	for i := 0; i < 30; i++ {
		batch = append(batch, results.Item{PK: "KPI#2026Q3", SK: fmt.Sprintf("k%02d", i), Body: []byte("v")})
	}
	proxy.CutOffResponses("BatchWriteItem", 1)
	if err := s.BatchPut(ctx, batch); err != nil {
		t.Fatalf("batch put after a cut-off response: %v", err)
	}
	proxy.CutOffResponses("Query", 1)
	items, err := s.Query(ctx, "KPI#2026Q3", "")
	if err != nil || len(items) != 30 {
		t.Fatalf("query after a cut-off response: %d items, %v", len(items), err)
	}

	// Without the retryer's cut-off rule the same fault fails the call:
	// the test above would pass vacuously if the proxy did not cut.
	plain := dynamo.New(dynamotest.NewClient(proxy.Endpoint), table, fast)
	proxy.CutOffResponses("GetItem", 3)
	if _, err := plain.Get(ctx, stmt.PK, stmt.SK); err == nil || !dynamo.CutOff(err) {
		t.Fatalf("the SDK's standard retryer on a cut-off body: want unexpected EOF, got %v", err)
	}
}
