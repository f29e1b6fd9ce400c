// Command extractbench measures the nightly extract of N leads from
// Salesforce-format JSON records to committed Parquet, beside the "bare
// bound": the same records only JSON-decoded and Parquet-encoded, no
// pipeline (no PII hashing, no sort/dedupe, no merge, no manifest). Each
// mode runs in its own child process so its peak RSS is its own.
//
//	go run ./extractbench                 # 1M leads
//	go run ./extractbench -leads 5000000  # or BENCH_LEADS=5000000 (make bench-extract)
//
// It prints rows/s, peak RSS and the pipeline/bare ratio, then checks the
// committed snapshot with DuckDB (row count, distinct Ids) through its
// manifest.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/extract"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/results/localstore"
)

// result is what a child process reports.
type result struct {
	Mode    string  `json:"mode"`
	Rows    int64   `json:"rows"`
	Seconds float64 `json:"seconds"`
	Bytes   int64   `json:"bytes"`
	CPU     float64 `json:"-"` // filled in by the parent from rusage
}

func main() {
	leads := flag.Int("leads", envInt("BENCH_LEADS", envInt("EXTRACTBENCH_LEADS", 1_000_000)), "number of leads (env BENCH_LEADS)")
	mode := flag.String("mode", "", "child mode: bare, pipeline, incremental (internal)")
	dir := flag.String("dir", "", "lake folder (internal)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of a child mode")
	flag.Parse()
	if *mode != "" {
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				log.Fatal(err)
			}
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		res, err := runChild(*mode, *leads, *dir)
		if err != nil {
			log.Fatalf("%s: %v", *mode, err)
		}
		json.NewEncoder(os.Stdout).Encode(res)
		return // runs the deferred StopCPUProfile
	}
	if err := parent(*leads); err != nil {
		log.Fatal(err)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// spawn runs one mode in a child process and returns its result and peak
// RSS. The result's CPU field is the child's user+system time: on a shared
// machine wall time swings with the neighbours' load, CPU time much less.
func spawn(mode string, leads int, dir string) (result, int64, error) {
	cmd := exec.Command(os.Args[0], "-mode", mode, "-leads", strconv.Itoa(leads), "-dir", dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, 0, fmt.Errorf("%s child: %w", mode, err)
	}
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		return result{}, 0, fmt.Errorf("%s child output %q: %w", mode, out, err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	return r, ru.Maxrss * 1024, nil
}

func parent(leads int) error {
	root, err := os.MkdirTemp("", "extractbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	fmt.Printf("extractbench: %d leads, GOOS=%s GOARCH=%s GOMAXPROCS=%d %s\n", leads, runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.Version())
	gen, genRSS, err := spawn("generate", leads, filepath.Join(root, "gen"))
	if err != nil {
		return err
	}
	bare, bareRSS, err := spawn("bare", leads, filepath.Join(root, "bare"))
	if err != nil {
		return err
	}
	pipe, pipeRSS, err := spawn("pipeline", leads, filepath.Join(root, "lake"))
	if err != nil {
		return err
	}
	inc, incRSS, err := spawn("incremental", leads, filepath.Join(root, "lake"))
	if err != nil {
		return err
	}
	line := func(name string, r result, rss int64) {
		fmt.Printf("%-44s %9d rows %7.2fs wall %9.0f rows/s  %7.2fs CPU %9.0f rows/CPU-s  peak RSS %5d MiB  parquet %6.1f MiB\n",
			name, r.Rows, r.Seconds, float64(r.Rows)/r.Seconds, r.CPU, float64(r.Rows)/r.CPU, rss>>20, float64(r.Bytes)/(1<<20))
	}
	line("generate JSON records only", gen, genRSS)
	line("bare bound (JSON decode + Parquet encode)", bare, bareRSS)
	line("extract pipeline, first night (full)", pipe, pipeRSS)
	line("extract pipeline, next night (10% changed)", inc, incRSS)
	bareRate := float64(bare.Rows) / bare.Seconds
	pipeRate := float64(pipe.Rows) / pipe.Seconds
	fmt.Printf("ratio pipeline/bare = %.2f by wall time, %.2f by CPU time (target >= 0.70)\n", pipeRate/bareRate, (float64(pipe.Rows)/pipe.CPU)/(float64(bare.Rows)/bare.CPU))
	return duckCheck(filepath.Join(root, "lake"), int64(leads))
}

// duckCheck counts the committed snapshot with DuckDB, through the manifest.
func duckCheck(dir string, want int64) error {
	b, err := fsblob.New(dir)
	if err != nil {
		return err
	}
	m, err := lake.LatestSnapshot(context.Background(), b, "Lead", benchNight.Add(24*time.Hour))
	if err != nil {
		return err
	}
	var paths []string
	for _, f := range m.Files {
		p, _ := b.Path(f.Key)
		paths = append(paths, "'"+p+"'")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	var n, distinct int64
	if err := db.QueryRow("SELECT count(*), count(DISTINCT id) FROM read_parquet(["+strings.Join(paths, ",")+"])").Scan(&n, &distinct); err != nil {
		return err
	}
	fmt.Printf("DuckDB over %s: %d rows, %d distinct ids, %d files\n", m.Key(), n, distinct, len(m.Files))
	if n != want || distinct != want {
		return fmt.Errorf("DuckDB counted %d rows (%d distinct), want %d", n, distinct, want)
	}
	return nil
}

var benchNight = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

func runChild(mode string, leads int, dir string) (result, error) {
	ctx := context.Background()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return result{}, err
	}
	b, err := fsblob.New(dir)
	if err != nil {
		return result{}, err
	}
	src := newLeadSource(leads)
	start := time.Now()
	res := result{Mode: mode}
	switch mode {
	case "generate":
		_, err = src.Query(ctx, "", func(rec []byte) error { res.Rows++; return nil })
	case "bare":
		res.Rows, res.Bytes, err = bareBound(ctx, b, src)
	case "pipeline", "incremental":
		st, serr := localstore.Open(filepath.Join(dir, "results.json"))
		if serr != nil {
			return res, serr
		}
		night := benchNight
		if mode == "incremental" {
			night = night.Add(24 * time.Hour)
			src.changed = leads / 10
		}
		// The run's clock starts at the night and advances in real time.
		now := func() time.Time { return night.Add(time.Since(start)) }
		sum, rerr := extract.Run(ctx, extract.Deps{Source: src, Blob: b, Store: st, Now: now},
			// The bench measures the REST JSON path at every size (the bare
			// bound decodes JSON too), so Bulk is kept out of it.
			extract.Config{Objects: []*crm.Object{crm.Lead}, PII: lake.PII{Key: []byte("benchmark-pii-key-0123456789")}, RunID: mode, BulkThreshold: int64(leads) + 1})
		if rerr != nil {
			return res, rerr
		}
		fmt.Fprint(os.Stderr, sum.String())
		m, merr := lake.Snapshot(ctx, b, "Lead", lake.DateString(night))
		if merr != nil {
			return res, merr
		}
		res.Rows = sum.Objects[0].Upserts + sum.Objects[0].Deletes
		if mode == "pipeline" {
			res.Rows = sum.Objects[0].SnapshotRows
		}
		for _, f := range m.Files {
			res.Bytes += f.Bytes
		}
	default:
		return res, fmt.Errorf("unknown mode %q", mode)
	}
	res.Seconds = time.Since(start).Seconds()
	return res, err
}

// bareBound decodes every record and encodes it to Parquet, nothing else.
func bareBound(ctx context.Context, b lake.Blob, src *leadSource) (rows, size int64, err error) {
	dec := crm.NewDecoder(crm.Lead)
	w := lake.NewRowWriter(ctx, b, "bare/run=1", "bare", lake.NewObjectSchema(crm.Lead, false), lake.WriterOptions{})
	var row crm.Row
	_, err = src.Query(ctx, "", func(rec []byte) error {
		if err := dec.DecodeJSON(rec, &row); err != nil {
			return err
		}
		rows++
		return w.Write(&row, "")
	})
	if err != nil {
		return 0, 0, err
	}
	files, err := w.Close()
	for _, f := range files {
		size += f.Bytes
	}
	return rows, size, err
}
