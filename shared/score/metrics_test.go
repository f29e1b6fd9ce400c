package score

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// Every expected value below is worked by hand in the comment beside it.
func TestAUCByHand(t *testing.T) {
	cases := []struct {
		name string
		p    []float64
		y    []bool
		want float64
	}{
		// converted {0.35, 0.8} against others {0.1, 0.4}: 0.35 beats 0.1,
		// loses to 0.4; 0.8 beats both: 3 of 4 pairs.
		{"no ties", []float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75},
		// converted {0.5, 0.9} against {0.5, 0.2}: 0.5–0.5 a tie (½),
		// 0.5–0.2, 0.9–0.5, 0.9–0.2 wins: 3.5 of 4.
		{"a tie counts half", []float64{0.5, 0.5, 0.2, 0.9}, []bool{true, false, false, true}, 0.875},
		// every converted lead below every other
		{"inverted", []float64{0.9, 0.8, 0.1, 0.2}, []bool{false, false, true, true}, 0},
		// all tied: every pair half
		{"all tied", []float64{0.3, 0.3, 0.3}, []bool{true, false, false}, 0.5},
	}
	for _, c := range cases {
		if got := AUC(c.p, c.y); !near(got, c.want) {
			t.Errorf("%s: AUC = %v, want %v", c.name, got, c.want)
		}
	}
	if got := AUC([]float64{0.1, 0.2}, []bool{true, true}); !math.IsNaN(got) {
		t.Errorf("AUC without a non-converted lead = %v, want NaN", got)
	}
}

func TestBrierByHand(t *testing.T) {
	// (0.1−0)² + (0.4−0)² + (0.35−1)² + (0.8−1)² = 0.01 + 0.16 + 0.4225 + 0.04
	// = 0.6325, over 4 leads.
	got := Brier([]float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true})
	if !near(got, 0.158125) {
		t.Errorf("Brier = %v, want 0.158125", got)
	}
}

func TestCalibrationAndLiftByHand(t *testing.T) {
	// 20 leads predicted 0, 0.05, …, 0.95 (lead i: i/20), listed in
	// reverse so the ranking matters; leads 3, 5, 17, 18 and 19 converted.
	// Deciles are pairs: decile 1 holds 0 and 0.05 (mean 0.025, none
	// converted), decile 2 holds 0.10 and 0.15 (lead 3: 1 of 2), decile 3
	// 0.20 and 0.25 (lead 5: 1 of 2), decile 9 0.80 and 0.85 (lead 17),
	// decile 10 0.90 and 0.95 (both). Base rate 5/20 = 0.25, so the top
	// decile's lift is 1.0/0.25 = 4.
	var p []float64
	var y []bool
	conv := map[int]bool{3: true, 5: true, 17: true, 18: true, 19: true}
	for i := 19; i >= 0; i-- {
		p = append(p, float64(i)/20)
		y = append(y, conv[i])
	}
	m := Measure(p, y)
	wantObserved := []float64{0, 0.5, 0.5, 0, 0, 0, 0, 0, 0.5, 1}
	if len(m.Calibration) != 10 {
		t.Fatalf("%d deciles, want 10", len(m.Calibration))
	}
	for d, dec := range m.Calibration {
		wantPred := (float64(2*d) + float64(2*d+1)) / 2 / 20
		if dec.Decile != d+1 || dec.Leads != 2 || !near(dec.Observed, wantObserved[d]) || !near(dec.Predicted, wantPred) {
			t.Errorf("decile %d = %+v, want 2 leads, predicted %v, observed %v", d+1, dec, wantPred, wantObserved[d])
		}
	}
	if !near(m.BaseRate, 0.25) || !near(m.TopDecileLift, 4) {
		t.Errorf("base rate %v, lift %v; want 0.25 and 4", m.BaseRate, m.TopDecileLift)
	}
	if Calibration(p[:9], y[:9]) != nil {
		t.Error("nine leads gave deciles")
	}
}

func TestBandsByHand(t *testing.T) {
	// scores 5, 10, 11, 55, 99 (probabilities ×100, rounded): bands 1–10
	// holds two (one converted), 11–20 one, 51–60 one (converted), 91–99
	// one.
	b := bands([]float64{0.05, 0.10, 0.11, 0.55, 0.995}, []bool{true, false, false, true, false})
	want := map[int][2]int{0: {2, 1}, 1: {1, 0}, 5: {1, 1}, 9: {1, 0}}
	for i, band := range b {
		w := want[i]
		if band.Leads != w[0] || band.Converted != w[1] || band.Lo != i*10+1 {
			t.Errorf("band %d = %+v, want %d leads, %d converted", i, band, w[0], w[1])
		}
	}
	if b[9].Hi != 99 || !near(b[0].Rate, 0.5) {
		t.Errorf("last band %+v, first rate %v", b[9], b[0].Rate)
	}
}
