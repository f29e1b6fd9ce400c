package lake_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
)

// A gold table is written into its own run folder and committed by a
// manifest; readers find it through the manifest and scan it with a
// projection struct.
func ExampleWriteTable() {
	dir, _ := os.MkdirTemp("", "lake-example-")
	defer os.RemoveAll(dir)
	blob, err := fsblob.New(dir)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	type bookings struct {
		Team  string `parquet:"team,dict"`
		Cents int64  `parquet:"bookings,decimal(2:18)"`
	}
	partition := "kpi/quarter=2026Q3/as_of=2026-10-01"
	m, err := lake.WriteTable(ctx, blob, partition, []bookings{{"Sales East", 125_000_00}, {"Sales West", 98_500_50}},
		lake.TableOptions{Table: "kpi", RunID: "20261001T020000Z"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Key(), m.Rows, "rows")

	latest, err := lake.Latest(ctx, blob, partition)
	if err != nil {
		log.Fatal(err)
	}
	type teamOnly struct {
		Team string `parquet:"team"`
	}
	err = lake.Scan(ctx, blob, latest, func(rows []teamOnly) error {
		for _, r := range rows {
			fmt.Println(r.Team)
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// kpi/quarter=2026Q3/as_of=2026-10-01/_manifest-000001.json 2 rows
	// Sales East
	// Sales West
}
