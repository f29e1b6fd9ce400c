package dynamocheck

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/comp"
	"github.com/venn-revops/venn/shared/comp/statementstore"
	"github.com/venn-revops/venn/shared/dynamo"
	"github.com/venn-revops/venn/shared/dynamo/dynamotest"
)

// A statement saved and approved through statementstore is stored as native
// attributes (what the console shows), and read back exactly: the same
// statement JSON to the byte, the same cents, the version moving by one.
func TestStatementItemReadable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dynalite")
	}
	srv := dynamotest.Start(t)
	client, table := srv.Client(), srv.NewTable(t)
	store := dynamo.New(client, table, dynamo.WithBatchRetry(10, time.Millisecond, 5*time.Millisecond))
	ctx := context.Background()

	// Hand-worked: bonus 1,000.00 + commission 2,500.00 − clawback 250.50
	// + adjustment 120.50 = 3,370.00.
	d := func(s string) comp.Money { return comp.Money{Decimal: decimal.RequireFromString(s)} }
	st := comp.Statement{
		ID: "2026Q3/005A1", Quarter: "2026Q3", PersonID: "005A1", EmployeeID: "E1", Name: "Zoë Ødegård", Currency: "USD",
		Lines: []comp.Line{
			{Key: "bonus", Kind: comp.LineAttainmentBonus, Amount: d("1000.00"), Exact: decimal.RequireFromString("999.995")},
			{Key: "comm", Kind: comp.LineCommission, Amount: d("2500.00"), Exact: decimal.RequireFromString("2500")},
			{Key: "claw", Kind: comp.LineClawback, Amount: d("-250.50"), Exact: decimal.RequireFromString("-250.5")},
			{Key: "adj", Kind: comp.LineAdjustment, Amount: d("120.50"), Exact: decimal.RequireFromString("120.5")},
		},
		Total: d("3370.00"), InputHash: "h1",
	}
	if _, _, err := statementstore.SaveDrafts(ctx, store, []comp.Statement{st}); err != nil {
		t.Fatal(err)
	}
	raw := func() map[string]types.AttributeValue {
		t.Helper()
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: statementstore.PK("2026Q3")}, "sk": &types.AttributeValueMemberS{Value: "005A1"}}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	check := func(item map[string]types.AttributeValue, status, version string) {
		t.Helper()
		if item["body"] != nil {
			t.Errorf("binary body still written")
		}
		if v, ok := item["version"].(*types.AttributeValueMemberN); !ok || v.Value != version {
			t.Errorf("version %v, want N %s", item["version"], version)
		}
		doc, ok := item["doc"].(*types.AttributeValueMemberM)
		if !ok {
			t.Fatalf("doc is %T, want a map", item["doc"])
		}
		if s, _ := doc.Value["status"].(*types.AttributeValueMemberS); s == nil || s.Value != status {
			t.Errorf("doc.status %v, want %s", doc.Value["status"], status)
		}
		stm, ok := doc.Value["statement"].(*types.AttributeValueMemberM)
		if !ok {
			t.Fatalf("doc.statement is %T", doc.Value["statement"])
		}
		for k, want := range map[string]string{"name": "Zoë Ødegård", "person_id": "005A1", "total": "3370.00", "currency": "USD"} {
			if s, _ := stm.Value[k].(*types.AttributeValueMemberS); s == nil || s.Value != want {
				t.Errorf("doc.statement.%s = %v, want %s", k, stm.Value[k], want)
			}
		}
		lines, ok := stm.Value["lines"].(*types.AttributeValueMemberL)
		if !ok || len(lines.Value) != 4 {
			t.Fatalf("doc.statement.lines %T, want a list of 4", stm.Value["lines"])
		}
		claw, ok := lines.Value[2].(*types.AttributeValueMemberM)
		if !ok {
			t.Fatalf("a line is %T, want a map", lines.Value[2])
		}
		for k, want := range map[string]string{"kind": "clawback", "amount": "-250.50", "exact": "-250.5"} {
			if s, _ := claw.Value[k].(*types.AttributeValueMemberS); s == nil || s.Value != want {
				t.Errorf("clawback line %s = %v, want %s", k, claw.Value[k], want)
			}
		}
	}
	check(raw(), "draft", "1")

	if _, err := statementstore.Approve(ctx, store, "2026Q3", nil, comp.Identity{ID: "local:finance"}, time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC), nil); err != nil {
		t.Fatal(err)
	}
	check(raw(), "approved", "2")
	got, err := statementstore.Get(ctx, store, "2026Q3", "005A1")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := st.JSON()
	back, _ := got.Statement.JSON()
	if !bytes.Equal(back, want) || got.Version != 2 || got.ApprovedBy != "local:finance" {
		t.Errorf("read back v%d by %q:\n%s\nwant\n%s", got.Version, got.ApprovedBy, back, want)
	}
	if !got.Statement.Total.Decimal.Equal(decimal.RequireFromString("3370.00")) || got.Statement.Lines[0].Exact.String() != "999.995" {
		t.Errorf("total %s, first exact %s", got.Statement.Total.Decimal, got.Statement.Lines[0].Exact)
	}
	// Approving again by the same person writes nothing (optimistic
	// versioning on the stored version still holds).
	if _, err := statementstore.Approve(ctx, store, "2026Q3", nil, comp.Identity{ID: "local:finance"}, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	check(raw(), "approved", "2")
}
