package score

import (
	"math"
	"sort"
)

// Metrics measure a model on leads it was not trained on.
type Metrics struct {
	// AUC is the probability that a random converting lead scores above a
	// random other one (ties count half): 0.5 is a coin, 1 perfect.
	AUC float64 `json:"auc"`
	// Brier is the mean squared difference between the predicted
	// probability and the outcome (0 or 1): lower is better.
	Brier float64 `json:"brier"`
	// BaseRate is the share of the leads that converted.
	BaseRate float64 `json:"base_rate"`
	// TopDecileLift is the conversion rate of the tenth of leads scored
	// highest over BaseRate.
	TopDecileLift float64 `json:"top_decile_lift"`
	// Calibration: predicted against observed, by decile of prediction.
	Calibration []Decile `json:"calibration"`
}

// Decile is one tenth of the leads ranked by predicted probability
// (decile 1 lowest, 10 highest).
type Decile struct {
	Decile    int     `json:"decile"`
	Leads     int     `json:"leads"`
	Converted int     `json:"converted"`
	Predicted float64 `json:"predicted"` // mean predicted probability
	Observed  float64 `json:"observed"`  // share converted
}

// Measure computes every metric of predictions p against outcomes y. It
// needs at least one lead of each outcome for the AUC (NaN otherwise).
func Measure(p []float64, y []bool) Metrics {
	m := Metrics{AUC: AUC(p, y), Brier: Brier(p, y), Calibration: Calibration(p, y)}
	pos := 0
	for _, v := range y {
		if v {
			pos++
		}
	}
	if len(y) > 0 {
		m.BaseRate = float64(pos) / float64(len(y))
	}
	if top := m.Calibration; len(top) == 10 && m.BaseRate > 0 {
		m.TopDecileLift = top[9].Observed / m.BaseRate
	}
	return m
}

// AUC is the Mann–Whitney statistic: for every (converted, other) pair,
// 1 when the converted lead has the higher prediction, ½ for a tie,
// averaged. Computed by ranks (ties take their mean rank).
func AUC(p []float64, y []bool) float64 {
	order := ranked(p)
	var pos, neg float64
	var rankSum float64 // ranks of the converted leads, 1-based
	for i := 0; i < len(order); {
		j := i
		for j < len(order) && p[order[j]] == p[order[i]] {
			j++
		}
		mean := float64(i+j+1) / 2 // mean of ranks i+1 … j
		for k := i; k < j; k++ {
			if y[order[k]] {
				rankSum += mean
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// Brier is the mean of (p − y)².
func Brier(p []float64, y []bool) float64 {
	if len(p) == 0 {
		return math.NaN()
	}
	var s float64
	for i, v := range p {
		d := v
		if y[i] {
			d = v - 1
		}
		s += d * d
	}
	return s / float64(len(p))
}

// Calibration splits the leads, ranked by prediction (ties by their
// position), into ten groups of equal size (lead i of n falls in decile
// ⌊10·i/n⌋+1), and reports each group's mean prediction and observed
// rate. Fewer than ten leads give no deciles.
func Calibration(p []float64, y []bool) []Decile {
	n := len(p)
	if n < 10 {
		return nil
	}
	order := ranked(p)
	out := make([]Decile, 10)
	sums := make([]float64, 10)
	for i, k := range order {
		d := i * 10 / n
		out[d].Leads++
		sums[d] += p[k]
		if y[k] {
			out[d].Converted++
		}
	}
	for d := range out {
		out[d].Decile = d + 1
		out[d].Predicted = sums[d] / float64(out[d].Leads)
		out[d].Observed = float64(out[d].Converted) / float64(out[d].Leads)
	}
	return out
}

// ranked is the indexes of p in ascending order of p, ties in index order.
func ranked(p []float64) []int {
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p[order[a]] < p[order[b]] })
	return order
}
