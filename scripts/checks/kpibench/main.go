// Command kpibench measures the KPI engine on a large generated org against
// DuckDB over the same Parquet files, in one run:
//
//  1. generate the org (shared/kpi/kpigen) and write it with the lake
//     writer, unless the data directory already holds that org;
//  2. run the engine twice, each in a child process (so its peak RSS is the
//     engine's alone), reading through the production path (lake.ScanFiles,
//     merged by kpi.Concurrent): once over the whole catalog, once with a
//     configuration cut down to what DuckDB computes (dimensions org and
//     campaign, the first-touch model only: still a superset of DuckDB's
//     figures, but the like-for-like comparison);
//  3. run the DuckDB SQL sample (scripts/checks/kpicheck) over the same files;
//  4. check the shared figures are equal and print the times, CPU times,
//     ratios and Venn's peak RSS.
//
// Scale with KPIBENCH_LEADS or BENCH_LEADS (default 200000; the target org is 5000000
// leads, i.e. 1M opportunities and 20M campaign members). make -C
// scripts/checks/kpibench bench runs it; RESULTS.md records measured figures.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/venn-revops/venn/scripts/checks/kpicheck"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpi/kpigen"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/lake/fsblob"
	"github.com/venn-revops/venn/shared/period"
)

// The benchmarked period: the closed quarter of the demo clock, final.
var benchPeriod = kpi.Period{Quarter: period.MustParse("2026Q3"), AsOf: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Final: true}

const seed = 20261120

// dataFormat changes whenever the lake writer's file layout changes (2:
// owner and campaign references dictionary-encoded; 3: CampaignMember's
// touch_date column, without which the engine's projection falls back to
// the slow reader).
const dataFormat = 3

// fileRows splits each table into part files of at most this many rows, as
// the nightly extract does (lake.DefaultFileRows is 1M; a smaller part here
// lets a small benchmark org decode on both cores too).
const fileRows = 250_000

// workers is the number of decoding goroutines (the engine itself runs on
// one more): the machine and a 3 GB Lambda both have 2 vCPUs.
var workers = envInt("KPIBENCH_WORKERS", 2)

type dataset struct {
	Leads int    `json:"leads"`
	Seed  uint64 `json:"seed"`
	// Format is dataFormat when the files were written: a cached org from
	// an older lake writer is regenerated, not benchmarked.
	Format int            `json:"format"`
	Files  kpicheck.Files `json:"files"`
}

type childReport struct {
	Seconds float64         `json:"seconds"`
	Values  int             `json:"values"`
	Sample  kpicheck.Sample `json:"sample"`
}

func main() {
	leads := flag.Int("leads", envInt("KPIBENCH_LEADS", envInt("BENCH_LEADS", 200000)), "leads in the generated org (env KPIBENCH_LEADS or BENCH_LEADS)")
	dir := flag.String("dir", os.Getenv("KPIBENCH_DIR"), "data directory (default: a folder per scale under the temp dir)")
	child := flag.Bool("child", false, "internal: run the engine and report JSON on stdout")
	scope := flag.String("scope", "catalog", "internal: catalog (the whole catalog) or sample (only DuckDB's figures' dimensions and model)")
	flag.Parse()
	if *dir == "" {
		*dir = filepath.Join(os.TempDir(), "venn-kpibench-"+strconv.Itoa(*leads))
	}
	var err error
	if *child {
		err = runChild(*dir, *scope)
	} else {
		err = run(*dir, *leads)
	}
	if err != nil {
		slog.Error("kpibench failed", "err", err)
		os.Exit(1)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func load(dir string) (*dataset, *fsblob.Blob, error) {
	b, err := fsblob.New(filepath.Join(dir, "lake"))
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, "dataset.json"))
	if err != nil {
		return nil, b, err
	}
	var ds dataset
	return &ds, b, json.Unmarshal(data, &ds)
}

func generate(dir string, leads int) (*dataset, *fsblob.Blob, error) {
	if ds, b, err := load(dir); err == nil && ds.Leads == leads && ds.Seed == seed && ds.Format == dataFormat {
		return ds, b, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "lake"), 0o755); err != nil {
		return nil, nil, err
	}
	b, err := fsblob.New(filepath.Join(dir, "lake"))
	if err != nil {
		return nil, nil, err
	}
	t0 := time.Now()
	org := kpigen.New(seed, leads)
	files, err := kpicheck.WriteOrg(context.Background(), b, "crm/snapshot", org, lake.WriterOptions{FileRows: fileRows, TempDir: dir})
	if err != nil {
		return nil, nil, err
	}
	ds := &dataset{Leads: leads, Seed: seed, Format: dataFormat, Files: files}
	data, _ := json.Marshal(ds)
	if err := os.WriteFile(filepath.Join(dir, "dataset.json"), data, 0o644); err != nil {
		return nil, nil, err
	}
	fmt.Printf("generated %d leads, %d opportunities, %d campaign members in %.1fs\n",
		leads, org.Opportunities(), org.Members(), time.Since(t0).Seconds())
	return ds, b, nil
}

// sampleConfig is the default configuration cut down to what DuckDB
// computes: the org and campaign dimensions and the first-touch model.
func sampleConfig() *kpi.Config {
	cfg := kpi.DefaultConfig()
	cfg.Dimensions = []string{kpi.DimOrg, kpi.DimCampaign}
	for _, m := range cfg.Attribution {
		if m.Name == kpi.ModelFirstTouch {
			cfg.Attribution = []kpi.Model{m}
			break
		}
	}
	return cfg
}

func runChild(dir, scope string) error {
	ds, b, err := load(dir)
	if err != nil {
		return err
	}
	if path := os.Getenv("KPIBENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	t0 := time.Now()
	cfg := kpi.DefaultConfig()
	if scope == "sample" {
		cfg = sampleConfig()
	}
	in := ds.Files.Inputs(context.Background(), b, workers)
	if os.Getenv("KPIBENCH_PHASES") != "" {
		in = timedInputs(in)
	}
	res, err := kpi.Compute(cfg, in, benchPeriod)
	if err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	if os.Getenv("KPIBENCH_PHASES") != "" {
		fmt.Fprintf(os.Stderr, "total %.2fs, cpu %.2fs\n", secs, selfCPU())
	}
	if path := os.Getenv("KPIBENCH_MEMPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return err
		}
	}
	s, err := kpicheck.FromResult(res)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(childReport{Seconds: secs, Values: len(res.Values), Sample: s})
}

func run(dir string, leads int) error {
	ds, b, err := generate(dir, leads)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	load0 := loadAvg()
	var runs []engineRun
	for _, scope := range []string{"catalog", "sample"} {
		r, err := runEngine(dir, scope)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}

	paths, err := kpicheck.LocalPaths(b, ds.Files)
	if err != nil {
		return err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	cpu0 := selfCPU()
	t0 := time.Now()
	if err := kpicheck.CreateViews(db, paths); err != nil {
		return err
	}
	duck, err := kpicheck.DuckSample(db, kpi.DefaultConfig(), benchPeriod)
	if err != nil {
		return err
	}
	duckSecs := time.Since(t0).Seconds()
	duckCPU := selfCPU() - cpu0
	fmt.Printf("org: %d leads, %d opportunities, %d campaign members; period %s final; %d decoding goroutines; load average %s before, %s after\n",
		leads, (leads+4)/5, 4*leads, benchPeriod.Quarter, workers, load0, loadAvg())
	for _, r := range runs {
		what := "whole catalog"
		if r.scope == "sample" {
			what = "org+campaign, first touch"
		}
		fmt.Printf("venn %-25s (%5d values, incl. Parquet scan): %8.2fs  cpu %6.2fs  peak RSS %5d MiB  ratio %.2f (cpu %.2f)\n",
			what, r.Values, r.Seconds, r.cpu, r.rssKiB/1024, r.Seconds/duckSecs, r.cpu/duckCPU)
	}
	fmt.Printf("duckdb %-23s (%5d values, in-process, all cores): %8.2fs  cpu %6.2fs\n", "sample SQL", duck.Len(), duckSecs, duckCPU)
	for _, r := range runs {
		if !reflect.DeepEqual(r.Sample, duck) {
			return fmt.Errorf("figures differ (%s):\nvenn %+v\nduck %+v", r.scope, r.Sample, duck)
		}
	}
	fmt.Println("shared figures equal: true (both Venn runs)")
	return nil
}

// loadAvg is the 1-minute load average: the machine is shared, and wall
// times mean little when it exceeds the 2 cores.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// timedInputs wraps every source to log, per object, the wall time of its
// step and the part of it the engine spent on rows (the rest is waiting for
// decoded batches): it tells a decode-bound step from an engine-bound one.
func timedInputs(in kpi.Inputs) kpi.Inputs {
	in.Users = timed("users", in.Users)
	in.Accounts = timed("accounts", in.Accounts)
	in.Campaigns = timed("campaigns", in.Campaigns)
	in.Opportunities = timed("opportunities", in.Opportunities)
	in.OpportunityHistory = timed("history", in.OpportunityHistory)
	in.ContactRoles = timed("contact roles", in.ContactRoles)
	in.Leads = timed("leads", in.Leads)
	in.CampaignMembers = timed("campaign members", in.CampaignMembers)
	in.Tasks = timed("tasks", in.Tasks)
	return in
}

func timed[T any](name string, src kpi.Source[T]) kpi.Source[T] {
	return func(fn func([]T) error) error {
		t0, cpu0 := time.Now(), selfCPU()
		var inEngine time.Duration
		err := src(func(rows []T) error {
			t := time.Now()
			err := fn(rows)
			inEngine += time.Since(t)
			return err
		})
		total := time.Since(t0)
		fmt.Fprintf(os.Stderr, "phase %-17s %6.2fs, engine %6.2fs, waiting %6.2fs, cpu %6.2fs\n", name, total.Seconds(), inEngine.Seconds(), (total - inEngine).Seconds(), selfCPU()-cpu0)
		return err
	}
}

// selfCPU is this process's user+system CPU seconds so far: with other
// jobs on the machine, CPU time compares more fairly than wall time.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

type engineRun struct {
	childReport
	scope  string
	rssKiB int64
	cpu    float64 // user + system seconds
}

// runEngine runs the engine in a child process, so its peak RSS is its own.
func runEngine(dir, scope string) (engineRun, error) {
	self, err := os.Executable()
	if err != nil {
		return engineRun{}, err
	}
	cmd := exec.Command(self, "-child", "-dir", dir, "-scope", scope)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return engineRun{}, fmt.Errorf("engine run (%s): %w", scope, err)
	}
	r := engineRun{scope: scope}
	if err := json.Unmarshal(out.Bytes(), &r.childReport); err != nil {
		return r, fmt.Errorf("engine report %q: %w", out.String(), err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.rssKiB = ru.Maxrss // KiB on Linux
	r.cpu = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	return r, nil
}
