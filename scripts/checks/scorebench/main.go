// Command scorebench measures lead scoring (shared/score) at scale: it
// draws an org of BENCH_LEADS leads (default 1,000,000) with touches and
// activities, then, in a child process so the peak RSS is the scoring's
// alone, trains the model, measures it on the held-out leads and scores
// every open lead, exactly as the score job does after reading the lake.
//
// Reference, in the same child and the same run: one pass that does the
// least any scorer must do with these rows: order the leads by creation,
// join touches and activities to them by Id, and sum one number per lead.
// The ratio (scoring ÷ reference) says how many such passes training and
// scoring cost; it is comparable across machines, the seconds are not.
//
// Budget: the peak RSS must stay within a 3,008 MB Lambda (GOMEMLIMIT
// 2700MiB in template.yaml); the command fails otherwise. The time target
// (a minute on a 2-core machine) is printed, not asserted.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/venn-revops/venn/shared/score"
)

const (
	usDay     = int64(86_400_000_000)
	budgetMiB = 3008
	seed      = 20261120
)

type report struct {
	Leads       int     `json:"leads"`
	GenSeconds  float64 `json:"gen_seconds"`
	RefSeconds  float64 `json:"ref_seconds"`
	RefSum      float64 `json:"ref_sum"`
	RefCPU      float64 `json:"ref_cpu"`
	Seconds     float64 `json:"seconds"`
	CPU         float64 `json:"cpu"`
	Iterations  int     `json:"iterations"`
	AUC         float64 `json:"auc"`
	Scored      int     `json:"scored"`
	TrainLeads  int     `json:"train_leads"`
	HeapPeakMiB uint64  `json:"heap_peak_mib"`
}

func main() {
	child := flag.Bool("child", false, "run the measurement (internal)")
	flag.Parse()
	leads := 1_000_000
	if v := os.Getenv("BENCH_LEADS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			fmt.Fprintf(os.Stderr, "scorebench: BENCH_LEADS %q: want a whole number of at least 1000\n", v)
			os.Exit(2)
		}
		leads = n
	}
	if *child {
		if err := measure(leads); err != nil {
			fmt.Fprintln(os.Stderr, "scorebench:", err)
			os.Exit(1)
		}
		return
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scorebench:", err)
		os.Exit(1)
	}
	cmd := exec.Command(self, "-child")
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=2700MiB") // as the Lambda runs
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "scorebench: child:", err)
		os.Exit(1)
	}
	var r report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		fmt.Fprintf(os.Stderr, "scorebench: child report %q: %v\n", out.String(), err)
		os.Exit(1)
	}
	rssMiB := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss / 1024
	cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("score: %d leads (%d trained on, %d open scored), %d Newton iterations, held-out AUC %.3f\n", r.Leads, r.TrainLeads, r.Scored, r.Iterations, r.AUC)
	fmt.Printf("score: train+measure+score %.2fs (cpu %.2fs) | reference pass %.2fs (cpu %.2fs) | ratio %.1f (cpu %.1f) | drawing the org %.2fs | child cpu %.2fs | load %s",
		r.Seconds, r.CPU, r.RefSeconds, r.RefCPU, r.Seconds/r.RefSeconds, r.CPU/r.RefCPU, r.GenSeconds, cpu, load)
	fmt.Printf("score: peak RSS %d MiB (heap peak %d MiB) of the %d MiB budget\n", rssMiB, r.HeapPeakMiB, budgetMiB)
	if r.Seconds > 60 {
		fmt.Printf("score: %.0fs is over the one-minute target on this machine (its CPU time %.0fs; load above)\n", r.Seconds, r.CPU)
	}
	if rssMiB > budgetMiB {
		fmt.Printf("score: FAIL: peak RSS %d MiB is over the %d MiB Lambda\n", rssMiB, budgetMiB)
		os.Exit(1)
	}
}

// draw makes an org of n leads created over 400 days: conversion follows a
// known function of source, segment, title rank and touches at creation.
func draw(n int) (*score.Data, int64) {
	r := rand.New(rand.NewPCG(seed, 1))
	asOf := 20_800 * usDay
	start := asOf - 400*usDay
	sources := []string{"Web", "Paid Search", "Webinar", "Event", "Content Syndication", "Outbound", "Partner", "Referral"}
	segments := []string{"SMB", "Mid-Market", "Enterprise"}
	regions := []string{"NA", "EMEA", "APAC"}
	titles := []string{"", "Software Engineer", "VP Marketing", "Director of IT", "CEO", "Sales Manager", "Analyst", "Head of Operations"}
	d := &score.Data{Fields: []string{"lead_source", "segment", "region", "title"}, Leads: make([]score.Lead, 0, n)}
	for i := range n {
		id := fmt.Sprintf("00Q%015d", i)
		src, seg, reg, title := r.IntN(len(sources)), r.IntN(3), r.IntN(3), titles[r.IntN(len(titles))]
		created := start + r.Int64N(400*usDay)
		touches := r.IntN(4)
		z := -2.5 + 0.3*float64(src%4) + 0.6*float64(seg) + 0.5*float64(touches)
		if rk := score.TitleRank(title); rk == "vp" || rk == "c_level" {
			z += 0.5
		}
		l := score.Lead{ID: id, Created: created, Values: []string{sources[src], segments[seg], regions[reg], title}, Status: "Open - Not Contacted"}
		if r.Float64() < 1/(1+math.Exp(-z)) {
			if at := created + (1+r.Int64N(40))*usDay; at <= asOf {
				l.ConvertedAt, l.Status = at, "Closed - Converted"
			}
		}
		for k := range touches {
			d.Touches = append(d.Touches, score.Touch{LeadID: id, At: created, Responded: k == 0})
		}
		for range r.IntN(3) {
			d.Activities = append(d.Activities, score.Activity{LeadID: id, At: created + r.Int64N(20*usDay)})
		}
		d.Leads = append(d.Leads, l)
	}
	return d, asOf
}

func measure(n int) error {
	t0 := time.Now()
	data, asOf := draw(n)
	rep := report{Leads: n, GenSeconds: time.Since(t0).Seconds()}

	t1, c1 := time.Now(), selfCPU()
	rep.RefSum = reference(data)
	rep.RefSeconds, rep.RefCPU = time.Since(t1).Seconds(), selfCPU()-c1

	cfg := *score.DefaultConfig()
	cfg.Fields = []string{"lead_source", "segment", "region"}
	t2, c2 := time.Now(), selfCPU()
	res, err := score.Train(&cfg, data, asOf)
	if err != nil {
		return err
	}
	rep.Seconds, rep.CPU = time.Since(t2).Seconds(), selfCPU()-c2
	rep.Iterations, rep.AUC, rep.Scored, rep.TrainLeads = res.Iterations, res.Metrics.AUC, len(res.Scores), res.Train.Leads
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.HeapPeakMiB = ms.HeapSys >> 20
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// reference orders the leads by creation, joins touches and activities to
// them by Id, and sums one number per lead: the floor under any scorer.
func reference(d *score.Data) float64 {
	order := make([]int, len(d.Leads))
	byID := make(map[string]int, len(d.Leads))
	for i, l := range d.Leads {
		order[i] = i
		byID[l.ID] = i
	}
	sort.Slice(order, func(a, b int) bool { return d.Leads[order[a]].Created < d.Leads[order[b]].Created })
	counts := make([]int32, len(d.Leads))
	for _, t := range d.Touches {
		counts[byID[t.LeadID]]++
	}
	for _, a := range d.Activities {
		counts[byID[a.LeadID]]++
	}
	var s float64
	for _, i := range order {
		s += math.Log1p(float64(counts[i]))
	}
	return s
}

// selfCPU is this process's user+system CPU seconds so far: on a shared
// machine CPU time compares more fairly than wall time.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
