package runledger_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/venn-revops/venn/shared/results/localstore"
	"github.com/venn-revops/venn/shared/runledger"
)

// A redelivered event does not run the job again: it gets the stored result.
func ExampleLedger_Do() {
	store, _ := localstore.Open("") // in AWS: dynamo.New(client, table)
	ledger := runledger.New(store, runledger.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	key := runledger.Key{Job: "kpi", Period: "2026Q4@2026-11-20", InputHash: "3f2a9c"}
	event := []byte(`{"job":"kpi","mode":"qtd"}`)
	job := func(ctx context.Context) ([]byte, error) {
		fmt.Println("computing KPIs")
		return []byte(`{"values":1214}`), nil
	}
	for range 2 {
		result, replayed, err := ledger.Do(context.Background(), key, event, job)
		fmt.Println(string(result), replayed, err)
	}
	_, _, err := ledger.Do(context.Background(), key, []byte(`{"job":"kpi","mode":"close"}`), job)
	fmt.Println(errors.Is(err, runledger.ErrPayloadMismatch))
	// Output:
	// computing KPIs
	// {"values":1214} false <nil>
	// {"values":1214} true <nil>
	// true
}
