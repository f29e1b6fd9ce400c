package viewcheck

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/venn-revops/venn/shared/lakeviews"
)

// repo is the root of the main module, from this package's folder.
const repo = "../../.."

var exampleParams = regexp.MustCompile(`(?m)^-- Example parameters: (.+)$`)

// Every example query of infra/athena parses and returns rows in DuckDB
// over the generated views, with its example parameters bound as Athena
// binds them (PREPARE, then EXECUTE with the values).
func TestAthenaExamplesRunOverViews(t *testing.T) {
	d := theLake(t)
	if _, err := lakeviews.Write(context.Background(), d.blob, d.root); err != nil {
		t.Fatal(err)
	}
	db := openDuck(t)
	readFile(t, db, filepath.Join(d.root, lakeviews.DuckDBKey))
	files, err := filepath.Glob(filepath.Join(repo, "infra/athena/*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no infra/athena/*.sql: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		q := string(raw)
		if strings.Contains(q, "-- Athena only") {
			continue
		}
		m := exampleParams.FindStringSubmatch(q)
		if m == nil {
			t.Errorf("%s: no \"-- Example parameters:\" line", filepath.Base(f))
			continue
		}
		if strings.Count(q, "?") != strings.Count(m[1], ",")+1 {
			t.Errorf("%s: %d placeholders, example parameters %s", filepath.Base(f), strings.Count(q, "?"), m[1])
		}
		if _, err := db.Exec("PREPARE example AS " + strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(q), ";"))); err != nil {
			t.Errorf("%s: prepare: %v", filepath.Base(f), err)
			continue
		}
		if n := rowsOf(t, db, "EXECUTE example("+m[1]+")"); n == 0 {
			t.Errorf("%s with %s: no rows over the demo lake", filepath.Base(f), m[1])
		}
		if _, err := db.Exec("DEALLOCATE example"); err != nil {
			t.Fatal(err)
		}
	}
}

// rowsOf runs q and counts the rows it returns.
func rowsOf(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

var sqlBlock = regexp.MustCompile("(?s)```sql\n(.*?)```")

// The DuckDB examples of docs/lake-sql.md run, in order, in one session
// over the generated views, and every SELECT returns rows.
func TestDocExamplesRunOverViews(t *testing.T) {
	d := theLake(t)
	if _, err := lakeviews.Write(context.Background(), d.blob, d.root); err != nil {
		t.Fatal(err)
	}
	db := openDuck(t)
	readFile(t, db, filepath.Join(d.root, lakeviews.DuckDBKey))
	raw, err := os.ReadFile(filepath.Join(repo, "docs/lake-sql.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := sqlBlock.FindAllStringSubmatch(string(raw), -1)
	if len(blocks) < 3 {
		t.Fatalf("docs/lake-sql.md: %d sql blocks", len(blocks))
	}
	for _, b := range blocks {
		q := strings.TrimSpace(b[1])
		if !strings.Contains(q, "SELECT") {
			if _, err := db.Exec(q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
			continue
		}
		if n := count(t, db, "SELECT count(*) FROM ("+strings.TrimSuffix(q, ";")+")"); n == 0 {
			t.Errorf("no rows over the demo lake:\n%s", q)
		}
	}
}
