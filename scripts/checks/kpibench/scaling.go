package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// scalingRuns is how many engine runs each scale gets; the median is kept,
// since the machine is shared and one run can be disturbed.
const scalingRuns = 3

// runScaling is the per-row figure of `make bench` (issue #18): the whole
// catalog computed by the engine (the production read path, a child
// process each) over generated orgs of each size, in one run, as time per
// lead and the ratio of each scale's per-row cost to the first scale's.
// It also prints the lake's Parquet bytes per object, from which
// docs/scale.md estimates what Athena scans.
func runScaling(scales []int) error {
	type point struct {
		leads           int
		wall, cpu       float64 // medians, seconds
		rssMiB          int64
		bytes           map[string]int64
		load0, loadLast string
	}
	var pts []point
	for _, n := range scales {
		dir := filepath.Join(os.TempDir(), "venn-kpibench-"+strconv.Itoa(n))
		if _, _, err := generate(dir, n); err != nil {
			return fmt.Errorf("generate %d: %w", n, err)
		}
		p := point{leads: n, load0: loadAvg()}
		var walls, cpus []float64
		for range scalingRuns {
			r, err := runEngine(dir, "catalog")
			if err != nil {
				return err
			}
			walls, cpus = append(walls, r.Seconds), append(cpus, r.cpu)
			p.rssMiB = max(p.rssMiB, r.rssKiB/1024)
		}
		p.wall, p.cpu, p.loadLast = median(walls), median(cpus), loadAvg()
		var err error
		if p.bytes, err = parquetBytes(filepath.Join(dir, "lake")); err != nil {
			return err
		}
		pts = append(pts, p)
	}
	fmt.Printf("KPI engine per-row cost, whole catalog, default configuration, %s final, %d decoding goroutines, median of %d runs\n", benchPeriod.Quarter, workers, scalingRuns)
	base := pts[0]
	for _, p := range pts {
		perWall := p.wall / float64(p.leads) * 1e6
		perCPU := p.cpu / float64(p.leads) * 1e6
		ratioWall := perWall / (base.wall / float64(base.leads) * 1e6)
		ratioCPU := perCPU / (base.cpu / float64(base.leads) * 1e6)
		fmt.Printf("%9d leads: wall %7.2fs cpu %7.2fs (%.2f / %.2f µs per lead) peak RSS %5d MiB | per-row vs %d: wall %.2fx cpu %.2fx (target <= 1.2) | load %s→%s\n",
			p.leads, p.wall, p.cpu, perWall, perCPU, p.rssMiB, base.leads, ratioWall, ratioCPU, p.load0, p.loadLast)
	}
	for _, p := range pts {
		var total int64
		var parts []string
		for _, o := range slices.Sorted(mapsKeys(p.bytes)) {
			total += p.bytes[o]
			parts = append(parts, fmt.Sprintf("%s %.1f MiB", o, float64(p.bytes[o])/(1<<20)))
		}
		fmt.Printf("%9d leads: lake Parquet %.1f MiB (%s)\n", p.leads, float64(total)/(1<<20), strings.Join(parts, ", "))
	}
	return nil
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mapsKeys(m map[string]int64) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// parquetBytes sums the Parquet file sizes under root by object (the
// object=<Name> folder of the snapshot layout).
func parquetBytes(root string) (map[string]int64, error) {
	out := map[string]int64{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		obj := "other"
		for _, seg := range strings.Split(filepath.ToSlash(path), "/") {
			if o, ok := strings.CutPrefix(seg, "object="); ok {
				obj = o
			}
		}
		out[obj] += info.Size()
		return nil
	})
	return out, err
}

// parseScales reads "1000000,5000000".
func parseScales(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("scales: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
