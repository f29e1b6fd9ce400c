package score

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// synth draws n leads created over 400 days before asOf whose conversion
// follows a known function of their features (truth), independently of
// this package:
//
//	logit p = −2.2 + 1.6·[source Webinar] − 0.8·[source Outbound]
//	          + 0.9·[segment Enterprise] + 0.6·[title rank vp or c_level]
//	          + 0.7·(touches at creation, 0–2)
//
// Region is noise. A converted lead converts 1–60 days after creation.
func synth(n int, seed uint64) (data *Data, truth map[string]float64, asOf int64) {
	r := rand.New(rand.NewPCG(seed, 7))
	asOf = 20_000 * usDay
	start := asOf - 400*usDay
	sources := []string{"Web", "Webinar", "Outbound", "Partner"}
	segments := []string{"SMB", "Mid-Market", "Enterprise"}
	regions := []string{"NA", "EMEA", "APAC"}
	titles := []string{"", "Software Engineer", "VP Marketing", "Director of IT", "CEO", "Sales Manager", "Analyst"}
	data = &Data{Fields: []string{"lead_source", "segment", "region", "title"}}
	truth = map[string]float64{}
	for i := range n {
		id := fmt.Sprintf("00Q%012d", i)
		src, seg, reg, title := sources[r.IntN(4)], segments[r.IntN(3)], regions[r.IntN(3)], titles[r.IntN(len(titles))]
		created := start + r.Int64N(400*usDay)
		touches := r.IntN(3)
		z := -2.2
		if src == "Webinar" {
			z += 1.6
		}
		if src == "Outbound" {
			z -= 0.8
		}
		if seg == "Enterprise" {
			z += 0.9
		}
		if rk := TitleRank(title); rk == "vp" || rk == "c_level" {
			z += 0.6
		}
		z += 0.7 * float64(touches)
		p := 1 / (1 + math.Exp(-z))
		truth[id] = p
		l := Lead{ID: id, Created: created, Values: []string{src, seg, reg, title}, Status: "Open - Not Contacted"}
		if r.Float64() < p {
			if at := created + (1+r.Int64N(60))*usDay; at <= asOf {
				l.ConvertedAt, l.Status, l.OpportunityID = at, "Closed - Converted", "006"+id[3:]
			}
		}
		for k := range touches {
			data.Touches = append(data.Touches, Touch{LeadID: id, At: created, Responded: k == 0})
		}
		data.Leads = append(data.Leads, l)
	}
	return data, truth, asOf
}

func testConfig(t *testing.T) *Config {
	t.Helper()
	c := *DefaultConfig()
	c.MinConversions, c.MinTestConversions = 50, 20
	return &c
}

// bayesAUC is the AUC of the true probabilities over the test leads of
// res: the best any model of these features can do there.
func bayesAUC(data *Data, res *Result, truth map[string]float64, asOf int64) float64 {
	var p []float64
	var y []bool
	horizon := int64(res.HorizonDays) * usDay
	for _, l := range data.Leads {
		if l.Created < res.Test.From || l.Created > res.Test.To || l.Created+horizon > asOf {
			continue
		}
		p = append(p, truth[l.ID])
		y = append(y, l.ConvertedAt != 0 && l.ConvertedAt-l.Created <= horizon)
	}
	return AUC(p, y)
}

func TestTrainFindsThePlantedSignal(t *testing.T) {
	data, truth, asOf := synth(20_000, 1)
	res, err := Train(testConfig(t), data, asOf)
	if err != nil {
		t.Fatal(err)
	}
	best := bayesAUC(data, res, truth, asOf)
	t.Logf("learned AUC %.4f, Bayes-optimal %.4f, Brier %.4f, lift %.2f, %d iterations", res.Metrics.AUC, best, res.Metrics.Brier, res.Metrics.TopDecileLift, res.Iterations)
	if res.Metrics.AUC > best+0.02 {
		t.Errorf("learned AUC %.4f is above the best the signal allows (%.4f): leakage", res.Metrics.AUC, best)
	}
	if res.Metrics.AUC < best-0.03 {
		t.Errorf("learned AUC %.4f is far below the best the signal allows (%.4f): signal missed", res.Metrics.AUC, best)
	}
	w := map[string]float64{}
	for j, f := range res.Features {
		w[f] = res.Weights[j]
	}
	// The planted effects, recovered in sign (categories against the
	// baseline of values without a column: none, every value is common).
	if !(w["lead_source=Webinar"] > w["lead_source=Web"]+1 && w["lead_source=Outbound"] < w["lead_source=Web"]-0.4) {
		t.Errorf("source weights %v do not show Webinar above and Outbound below Web", w)
	}
	if !(w["segment=Enterprise"] > w["segment=SMB"]+0.5) || !(w["title_rank=vp"] > w["title_rank=individual"]+0.3) {
		t.Errorf("segment or title weights miss the planted effect: %v", w)
	}
	if len(res.Excluded) != 0 {
		t.Errorf("excluded %v from clean data", res.Excluded)
	}
	for _, s := range res.Scores {
		if s.Score < 1 || s.Score > 99 || len(s.Factors) != 3 {
			t.Fatalf("score %+v: want 1–99 and 3 factors", s)
		}
	}
}

func TestTrainIsReproducible(t *testing.T) {
	data, _, asOf := synth(5_000, 2)
	encode := func(d *Data) []byte {
		res, err := Train(testConfig(t), d, asOf)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(struct {
			R *Result
			S []LeadScore
		}{res, res.Scores})
		return b
	}
	first := encode(data)
	// On one core: the same bytes (the fit's row slices do not depend on
	// the CPU count).
	prev := runtime.GOMAXPROCS(1)
	single := encode(data)
	runtime.GOMAXPROCS(prev)
	if !bytes.Equal(first, single) {
		t.Fatal("one core and several give different results")
	}
	// The same rows in another order: the same bytes.
	r := rand.New(rand.NewPCG(9, 9))
	r.Shuffle(len(data.Leads), func(i, j int) { data.Leads[i], data.Leads[j] = data.Leads[j], data.Leads[i] })
	r.Shuffle(len(data.Touches), func(i, j int) { data.Touches[i], data.Touches[j] = data.Touches[j], data.Touches[i] })
	if second := encode(data); !bytes.Equal(first, second) {
		t.Fatal("two runs over the same rows differ")
	}
}

// A field set at conversion must be kept out of the model, whether the
// org keeps its history (rule: changed at or after conversion) or not
// (rule: filled almost only on converted leads).
func TestLeakageGuardExcludesAFieldSetAtConversion(t *testing.T) {
	for _, withHistory := range []bool{true, false} {
		t.Run(fmt.Sprint("history=", withHistory), func(t *testing.T) {
			data, truth, asOf := synth(20_000, 3)
			data.Fields = append(data.Fields, "deal_tier")
			for i := range data.Leads {
				l := &data.Leads[i]
				tier := ""
				if l.ConvertedAt != 0 {
					tier = "A"
					if withHistory {
						data.History = append(data.History, FieldChange{LeadID: l.ID, Field: "deal_tier", At: l.ConvertedAt, Old: "", New: "A"})
					}
				}
				l.Values = append(l.Values, tier)
			}
			cfg := testConfig(t)
			cfg.Fields = append(slices.Clone(cfg.Fields), "deal_tier")
			res, err := Train(cfg, data, asOf)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Excluded) != 1 || res.Excluded[0].Field != "deal_tier" {
				t.Fatalf("excluded %v, want deal_tier", res.Excluded)
			}
			t.Logf("deal_tier excluded: %s", res.Excluded[0].Reason)
			for _, f := range res.Features {
				if strings.HasPrefix(f, "deal_tier") {
					t.Fatalf("feature %s used", f)
				}
			}
			if best := bayesAUC(data, res, truth, asOf); res.Metrics.AUC > best+0.02 {
				t.Errorf("AUC %.4f above the Bayes-optimal %.4f: the leak got through", res.Metrics.AUC, best)
			}
		})
	}
}

// A value changed after creation (before conversion) is read as it stood
// at creation: here every converting lead's segment is later rewritten to
// "Hot", which must not become a feature.
func TestFieldsAreReadAsAtCreation(t *testing.T) {
	data, truth, asOf := synth(20_000, 4)
	for i := range data.Leads {
		l := &data.Leads[i]
		if l.ConvertedAt != 0 && l.ConvertedAt-l.Created > usDay {
			data.History = append(data.History, FieldChange{LeadID: l.ID, Field: "segment", At: l.Created + usDay/2, Old: l.Values[1], New: "Hot"})
			l.Values[1] = "Hot"
		}
	}
	// Touches after creation on converted leads only: outside the
	// window (0 days), they must not count either.
	for _, l := range data.Leads {
		if l.ConvertedAt != 0 {
			data.Touches = append(data.Touches, Touch{LeadID: l.ID, At: l.ConvertedAt, Responded: true}, Touch{LeadID: l.ID, At: l.Created + 1, Responded: true})
		}
	}
	res, err := Train(testConfig(t), data, asOf)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(res.Features, "segment=Hot") {
		t.Fatal("segment=Hot, a value set after creation, became a feature")
	}
	if best := bayesAUC(data, res, truth, asOf); res.Metrics.AUC > best+0.02 {
		t.Errorf("AUC %.4f above the Bayes-optimal %.4f: later values or touches leaked", res.Metrics.AUC, best)
	}
}

func TestTrainRefusesTooFewConversions(t *testing.T) {
	data, _, asOf := synth(2_000, 5)
	cfg := testConfig(t)
	cfg.MinConversions = 100_000
	res, err := Train(cfg, data, asOf)
	if !errors.Is(err, ErrTooFewConversions) || res == nil || res.Train.Conversions == 0 {
		t.Fatalf("err %v, result %+v: want ErrTooFewConversions with the counts", err, res)
	}
	if !strings.Contains(err.Error(), "at least 100000") {
		t.Errorf("error %q does not state the minimum", err)
	}
}

func TestSplitIsByTime(t *testing.T) {
	at := func(v int64) int64 { return v }
	cases := []struct {
		name        string
		created     []int64
		frac        float64
		train, test int
	}{
		// 10 leads, a quarter held out: ⌈2.5⌉ = 3 newest.
		{"plain", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.25, 7, 3},
		// the boundary falls inside a tie at 7: the tie goes to test.
		{"tie at the boundary", []int64{1, 2, 3, 4, 5, 6, 7, 7, 7, 10}, 0.25, 6, 4},
	}
	for _, c := range cases {
		train, test, err := Split(c.created, c.frac, at)
		if err != nil || len(train) != c.train || len(test) != c.test {
			t.Errorf("%s: %d/%d (%v), want %d/%d", c.name, len(train), len(test), err, c.train, c.test)
			continue
		}
		if train[len(train)-1] >= test[0] {
			t.Errorf("%s: training lead at %d not older than test lead at %d", c.name, train[len(train)-1], test[0])
		}
	}
	if _, _, err := Split([]int64{5, 5, 5}, 0.25, at); err == nil {
		t.Error("leads all at one instant were split")
	}
}

// With one binary feature and no penalty to speak of, the fitted weights
// are the log-odds of the two groups: intercept = logit(1/4) = −ln 3 for
// the group converting 1 in 4, and the feature's weight logit(3/4) −
// logit(1/4) = 2 ln 3.
func TestFitMatchesClosedForm(t *testing.T) {
	x := newMatrix(8, 2)
	var y []bool
	for i := range 8 {
		x.add(0, 1)
		if i < 4 {
			x.add(1, 1)
		}
		x.endRow()
		y = append(y, i < 3 || i == 4) // group A: 3 of 4; group B: 1 of 4
	}
	w, _, err := fit(x, y, 2, 1e-9, 50)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(w[0]+math.Log(3)) > 1e-6 || math.Abs(w[1]-2*math.Log(3)) > 1e-6 {
		t.Errorf("weights %v, want [%v %v]", w, -math.Log(3), 2*math.Log(3))
	}
}

func TestTitle(t *testing.T) {
	cases := []struct{ title, rank, dept string }{
		{"", "", ""},
		{"Chief Financial Officer", "c_level", "finance"},
		{"VP, Demand Generation", "vp", "marketing"},
		{"Director of IT", "director", "it"},
		{"Sr. Software Engineer", "individual", "engineering"},
		{"Account Executive", "individual", "sales"},
		{"Accounting Manager", "manager", "finance"},
		{"Head of People", "director", "hr"},
		{"Office Coordinator", "individual", "other"},
	}
	for _, c := range cases {
		if r, d := TitleRank(c.title), TitleDepartment(c.title); r != c.rank || d != c.dept {
			t.Errorf("%q: %s/%s, want %s/%s", c.title, r, d, c.rank, c.dept)
		}
	}
}

func TestScoreOf(t *testing.T) {
	for p, want := range map[float64]int{0: 1, 0.004: 1, 0.016: 2, 0.5: 50, 0.985: 99, 1: 99} {
		if got := scoreOf(p); got != want {
			t.Errorf("scoreOf(%v) = %d, want %d", p, got, want)
		}
	}
}

// When every lead converted there is nothing to rank against (no AUC):
// the run refuses instead of publishing NaN.
func TestTrainRefusesWhenEveryLeadConverted(t *testing.T) {
	data, _, asOf := synth(2_000, 6)
	for i := range data.Leads {
		data.Leads[i].ConvertedAt = data.Leads[i].Created + usDay
	}
	cfg := testConfig(t)
	cfg.MinConversions, cfg.MinTestConversions = 1, 1
	if _, err := Train(cfg, data, asOf); !errors.Is(err, ErrTooFewConversions) || !strings.Contains(err.Error(), "nothing to tell apart") {
		t.Fatalf("err %v, want a refusal", err)
	}
}
