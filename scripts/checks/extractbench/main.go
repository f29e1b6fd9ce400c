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
// manifest. In the same run it measures:
//
//   - the resumed pull: the same first night pulled over several
//     invocations, each with a short deadline (the extract stops, stages
//     and checkpoints; the next resumes), against the single pull: its
//     CPU overhead (target under 10%), and DuckDB checks that both
//     snapshots hold the same rows (EXCEPT ALL both ways);
//   - the time per row of the single pull at N and 5×N leads (-scale),
//     and their ratio (target: 5×N within 1.2× of N).
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
	// Invocations of the resumed pull.
	Invocations int `json:"invocations,omitempty"`
	Failed      int `json:"failed,omitempty"` // invocations that overran their deadline
	// Requests are the S3 and DynamoDB requests of the extract modes.
	Requests Requests `json:"requests"`
}

func main() {
	leads := flag.Int("leads", envInt("BENCH_LEADS", envInt("EXTRACTBENCH_LEADS", 1_000_000)), "number of leads (env BENCH_LEADS)")
	mode := flag.String("mode", "", "child mode: bare, pipeline, incremental (internal)")
	dir := flag.String("dir", "", "lake folder (internal)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of a child mode")
	slice := flag.Duration("slice", 0, "resumed mode: each invocation's deadline (internal)")
	scale := flag.Int("scale", envInt("BENCH_SCALE", 5), "also run the single pull at this multiple of -leads, for the per-row ratio (env BENCH_SCALE; 1 = skip)")
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
		res, err := runChild(*mode, *leads, *dir, *slice)
		if err != nil {
			log.Fatalf("%s: %v", *mode, err)
		}
		json.NewEncoder(os.Stdout).Encode(res)
		return // runs the deferred StopCPUProfile
	}
	if err := parent(*leads, *scale); err != nil {
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
func spawn(mode string, leads int, dir string, extra ...string) (result, int64, error) {
	cmd := exec.Command(os.Args[0], append([]string{"-mode", mode, "-leads", strconv.Itoa(leads), "-dir", dir}, extra...)...)
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

func parent(leads, scale int) error {
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
	// The resumed pull: each invocation's deadline is a quarter of the
	// single pull's wall time, but never too short for the merge of every
	// row (the extract's estimate, 150,000 rows/s) plus the 1s margin.
	slice := max(time.Duration(pipe.Seconds*float64(time.Second)/4), time.Duration(leads)*time.Second/150_000+3*time.Second)
	res, resRSS, err := spawn("resumed", leads, filepath.Join(root, "resumed"), "-slice", slice.String())
	if err != nil {
		return err
	}
	var big result
	var bigRSS int64
	if scale > 1 {
		if big, bigRSS, err = spawn("pipeline", leads*scale, filepath.Join(root, "big")); err != nil {
			return err
		}
	}
	line := func(name string, r result, rss int64) {
		fmt.Printf("%-44s %9d rows %7.2fs wall %9.0f rows/s  %7.2fs CPU %9.0f rows/CPU-s  peak RSS %5d MiB  parquet %6.1f MiB\n",
			name, r.Rows, r.Seconds, float64(r.Rows)/r.Seconds, r.CPU, float64(r.Rows)/r.CPU, rss>>20, float64(r.Bytes)/(1<<20))
	}
	line("generate JSON records only", gen, genRSS)
	line("bare bound (JSON decode + Parquet encode)", bare, bareRSS)
	line("extract pipeline, first night (full)", pipe, pipeRSS)
	line("extract pipeline, next night (10% changed)", inc, incRSS)
	line(fmt.Sprintf("resumed first night (%d invocations of %s, %d overran)", res.Invocations, slice.Round(100*time.Millisecond), res.Failed), res, resRSS)
	if scale > 1 {
		line(fmt.Sprintf("extract pipeline, first night, %dx leads", scale), big, bigRSS)
	}
	req := func(name string, r result) {
		q := r.Requests
		fmt.Printf("requests, %-36s S3 PUT %6d  GET %7d  LIST %5d  DynamoDB writes %5d  reads %5d\n", name, q.S3Put, q.S3Get, q.S3List, q.DDBWrite, q.DDBRead)
	}
	req("first night (full)", pipe)
	req("next night (10% changed)", inc)
	req("resumed first night", res)
	if scale > 1 {
		req(fmt.Sprintf("first night, %dx leads", scale), big)
	}
	bareRate := float64(bare.Rows) / bare.Seconds
	pipeRate := float64(pipe.Rows) / pipe.Seconds
	fmt.Printf("ratio pipeline/bare = %.2f by wall time, %.2f by CPU time (target >= 0.70)\n", pipeRate/bareRate, (float64(pipe.Rows)/pipe.CPU)/(float64(bare.Rows)/bare.CPU))
	fmt.Printf("resumed/single = %.3f by CPU time (overhead %+.1f%%, target < 10%%), %.3f by wall time, %d invocations\n", res.CPU/pipe.CPU, 100*(res.CPU/pipe.CPU-1), res.Seconds/pipe.Seconds, res.Invocations)
	if scale > 1 {
		us := func(r result) float64 { return 1e6 * r.CPU / float64(r.Rows) }
		usWall := func(r result) float64 { return 1e6 * r.Seconds / float64(r.Rows) }
		fmt.Printf("per row: %.2f µs CPU at %d leads, %.2f µs CPU at %d leads; ratio %dx/1x = %.2f by CPU, %.2f by wall time (target <= 1.20)\n",
			us(pipe), leads, us(big), leads*scale, scale, us(big)/us(pipe), usWall(big)/usWall(pipe))
	}
	if err := duckCheck(filepath.Join(root, "lake"), int64(leads)); err != nil {
		return err
	}
	return duckSame(filepath.Join(root, "lake"), filepath.Join(root, "resumed"))
}

// snapshotPaths lists the Parquet files of the Lead snapshot committed for
// the bench night in the lake at dir, quoted for DuckDB.
func snapshotPaths(dir string, night time.Time) (string, error) {
	b, err := fsblob.New(dir)
	if err != nil {
		return "", err
	}
	m, err := lake.Snapshot(context.Background(), b, "Lead", lake.DateString(night))
	if err != nil {
		return "", err
	}
	var paths []string
	for _, f := range m.Files {
		p, _ := b.Path(f.Key)
		paths = append(paths, "'"+p+"'")
	}
	return "[" + strings.Join(paths, ",") + "]", nil
}

// duckSame checks with DuckDB that the single and the resumed pull's first
// snapshots hold the same rows, duplicates included (EXCEPT ALL both ways).
func duckSame(single, resumed string) error {
	a, err := snapshotPaths(single, benchNight)
	if err != nil {
		return err
	}
	b, err := snapshotPaths(resumed, benchNight)
	if err != nil {
		return err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	var onlyA, onlyB, n int64
	// The files' own columns only: DuckDB would add the run= folder of
	// each path as a column, which differs by design.
	q := func(x, y string) string {
		return "SELECT count(*) FROM (SELECT * FROM read_parquet(" + x + ", hive_partitioning = false) EXCEPT ALL SELECT * FROM read_parquet(" + y + ", hive_partitioning = false))"
	}
	if err := db.QueryRow(q(a, b)).Scan(&onlyA); err != nil {
		return err
	}
	if err := db.QueryRow(q(b, a)).Scan(&onlyB); err != nil {
		return err
	}
	if err := db.QueryRow("SELECT count(*) FROM read_parquet(" + b + ")").Scan(&n); err != nil {
		return err
	}
	fmt.Printf("DuckDB: resumed snapshot %d rows; %d rows only in the single pull's, %d only in the resumed one's\n", n, onlyA, onlyB)
	if onlyA != 0 || onlyB != 0 {
		for _, x := range []string{a, b} { // the first rows, to see which column differs
			var row string
			if err := db.QueryRow("SELECT CAST(t AS VARCHAR) FROM read_parquet(" + x + ", hive_partitioning = false) t ORDER BY id LIMIT 1").Scan(&row); err == nil {
				fmt.Println("first row:", row)
			}
		}
		return fmt.Errorf("the resumed snapshot differs from the single pull's")
	}
	return nil
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

func runChild(mode string, leads int, dir string, slice time.Duration) (result, error) {
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
	var reqs func() Requests // the extract modes' request counts
	switch mode {
	case "generate":
		_, err = src.Query(ctx, "", func(rec []byte) error { res.Rows++; return nil })
	case "bare":
		res.Rows, res.Bytes, err = bareBound(ctx, b, src)
	case "pipeline", "incremental":
		ls, serr := localstore.Open(filepath.Join(dir, "results.json"))
		if serr != nil {
			return res, serr
		}
		cb, st := &countingBlob{Blob: b}, &countingStore{Store: ls}
		reqs = func() Requests { return cb.requests(st) }
		night := benchNight
		if mode == "incremental" {
			night = night.Add(24 * time.Hour)
			src.changed = leads / 10
		}
		// The run's clock starts at the night and advances in real time.
		now := func() time.Time { return night.Add(time.Since(start)) }
		sum, rerr := extract.Run(ctx, extract.Deps{Source: src, Blob: cb, Store: st, Now: now},
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
	case "resumed":
		ls, serr := localstore.Open(filepath.Join(dir, "results.json"))
		if serr != nil {
			return res, serr
		}
		cb, st := &countingBlob{Blob: b}, &countingStore{Store: ls}
		reqs = func() Requests { return cb.requests(st) }
		now := func() time.Time { return benchNight.Add(time.Since(start)) }
		for res.Invocations < 1000 {
			res.Invocations++
			ictx, cancel := context.WithTimeout(ctx, slice)
			sum, rerr := extract.Run(ictx, extract.Deps{Source: src, Blob: cb, Store: st, Now: now},
				extract.Config{Night: benchNight, Objects: []*crm.Object{crm.Lead}, PII: lake.PII{Key: []byte("benchmark-pii-key-0123456789")}, RunID: fmt.Sprintf("resumed-%03d", res.Invocations), BulkThreshold: int64(leads) + 1, DeadlineMargin: max(time.Second, slice/5)})
			cancel()
			if rerr != nil && (errors.Is(rerr, context.DeadlineExceeded) || errors.Is(rerr, extract.ErrDeadline)) {
				// A loaded machine overran the margin: the invocation
				// failed without checkpointing, as a Lambda timeout
				// would; the next one resumes from the last checkpoint.
				log.Printf("invocation %d failed at its deadline (retried): %v", res.Invocations, rerr)
				res.Failed++
				continue
			}
			if rerr != nil {
				return res, fmt.Errorf("invocation %d: %w", res.Invocations, rerr)
			}
			if !sum.More {
				res.Rows = sum.Objects[0].SnapshotRows
				fmt.Fprint(os.Stderr, sum.String())
				break
			}
		}
		m, merr := lake.Snapshot(ctx, b, "Lead", lake.DateString(benchNight))
		if merr != nil {
			return res, merr
		}
		for _, f := range m.Files {
			res.Bytes += f.Bytes
		}
	default:
		return res, fmt.Errorf("unknown mode %q", mode)
	}
	res.Seconds = time.Since(start).Seconds()
	if reqs != nil {
		res.Requests = reqs()
	}
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
