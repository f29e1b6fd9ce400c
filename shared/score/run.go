package score

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

const usDay = int64(86_400_000_000)

// ErrTooFewConversions: the labelled leads hold fewer conversions than the
// configuration's minimum, so the run refuses to publish.
var ErrTooFewConversions = errors.New("too few conversions to publish scores")

// Exclusion is a field the leakage guard kept out of the model, and why.
type Exclusion struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Counts describe one side of the split.
type Counts struct {
	Leads       int   `json:"leads"`
	Conversions int   `json:"conversions"`
	From        int64 `json:"from"` // first and last lead creation, micros
	To          int64 `json:"to"`
}

// Factor is one feature's signed contribution to a lead's log-odds,
// against the average training lead.
type Factor struct {
	Feature      string  `json:"feature"`
	Contribution float64 `json:"contribution"`
}

// LeadScore is an open lead's score.
type LeadScore struct {
	LeadID      string   `json:"lead_id"`
	Score       int      `json:"score"` // 1–99: the probability in percent, clamped
	Probability float64  `json:"probability"`
	Factors     []Factor `json:"factors"`
}

// Result is one scoring run: the model, how it measured on the held-out
// leads, and the open leads' scores.
type Result struct {
	Target      TargetKind `json:"target"`
	HorizonDays int        `json:"horizon_days"`
	AsOf        int64      `json:"asof"`
	// Features are the model's columns, "intercept" first; Weights and
	// Means (over the training leads) follow the same order.
	Features   []string    `json:"features"`
	Weights    []float64   `json:"weights"`
	Means      []float64   `json:"means"`
	Excluded   []Exclusion `json:"excluded"`
	Train      Counts      `json:"train"`
	Test       Counts      `json:"test"`
	Iterations int         `json:"iterations"`
	Metrics    Metrics     `json:"metrics"`
	// Skipped counts leads neither trained on nor scored: converted
	// within the feature window (their outcome was known at the cut).
	Skipped int `json:"skipped"`
	// Bands are the test leads' conversion by score band: what a score
	// of 70 has meant on leads the model never saw.
	Bands  []Band      `json:"bands"`
	Scores []LeadScore `json:"-"`
}

// Band is the test leads whose score fell in Lo–Hi, and how many of them
// converted.
type Band struct {
	Lo        int     `json:"lo"`
	Hi        int     `json:"hi"`
	Leads     int     `json:"leads"`
	Converted int     `json:"converted"`
	Rate      float64 `json:"rate"` // 0 for an empty band
}

// bands groups scores into 1–10, 11–20, …, 91–99.
func bands(p []float64, y []bool) []Band {
	out := make([]Band, 10)
	for b := range out {
		out[b].Lo, out[b].Hi = b*10+1, min(99, b*10+10)
	}
	for i, v := range p {
		b := &out[(scoreOf(v)-1)/10]
		b.Leads++
		if y[i] {
			b.Converted++
		}
	}
	for b := range out {
		if out[b].Leads > 0 {
			out[b].Rate = float64(out[b].Converted) / float64(out[b].Leads)
		}
	}
	return out
}

// example is a lead prepared for the model.
type example struct {
	lead     int // index into Data.Leads
	cut      int64
	values   []string // point-in-time values of the configured fields
	title    string
	touches  int
	replied  int
	activity int
	success  bool
}

// Train learns from the leads whose outcome is known at asOf (created at
// least horizon_days before it), measures on the most recent of them, and
// scores every open lead. It fails, before fitting anything, when the
// data lack a configured field or the split leaves fewer conversions than
// the configuration's minimums (ErrTooFewConversions).
func Train(cfg *Config, data *Data, asOf int64) (*Result, error) {
	pos := map[string]int{}
	for i, f := range data.Fields {
		pos[f] = i
	}
	fieldAt := make([]int, len(cfg.Fields))
	for i, f := range cfg.Fields {
		p, ok := pos[f]
		if !ok {
			return nil, fmt.Errorf("score: features.fields: %q is not among the lead columns read", f)
		}
		fieldAt[i] = p
	}
	titleAt := -1
	if cfg.TitleField != "" {
		p, ok := pos[cfg.TitleField]
		if !ok {
			return nil, fmt.Errorf("score: features.title_field: %q is not among the lead columns read", cfg.TitleField)
		}
		titleAt = p
	}
	byID := make(map[string]int, len(data.Leads))
	for i, l := range data.Leads {
		if _, dup := byID[l.ID]; dup {
			return nil, fmt.Errorf("score: lead %s: appears twice", l.ID)
		}
		if len(l.Values) != len(data.Fields) {
			return nil, fmt.Errorf("score: lead %s: %d values for %d fields", l.ID, len(l.Values), len(data.Fields))
		}
		byID[l.ID] = i
	}
	window := int64(cfg.WindowDays) * usDay
	horizon := int64(cfg.HorizonDays) * usDay

	valueAt, changedAfterConversion := pointInTime(data, byID, pos, window)

	// Touches and activities up to each lead's cut.
	touches := make([]int32, len(data.Leads))
	replied := make([]int32, len(data.Leads))
	for _, t := range data.Touches {
		if li, ok := byID[t.LeadID]; ok && t.At <= data.Leads[li].Created+window {
			touches[li]++
			if t.Responded {
				replied[li]++
			}
		}
	}
	activity := make([]int32, len(data.Leads))
	for _, a := range data.Activities {
		if li, ok := byID[a.LeadID]; ok && a.At <= data.Leads[li].Created+window {
			activity[li]++
		}
	}

	closed := map[string]bool{}
	for _, s := range cfg.ClosedStatuses {
		closed[s] = true
	}
	order := make([]int, len(data.Leads))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		la, lb := &data.Leads[order[a]], &data.Leads[order[b]]
		if la.Created != lb.Created {
			return la.Created < lb.Created
		}
		return la.ID < lb.ID
	})
	res := &Result{Target: cfg.Target, HorizonDays: cfg.HorizonDays, AsOf: asOf}
	var labelled, open []example
	for _, li := range order {
		l := &data.Leads[li]
		if l.Created > asOf {
			continue
		}
		cut := l.Created + window
		if l.ConvertedAt != 0 && l.ConvertedAt <= cut {
			res.Skipped++
			continue
		}
		ex := example{lead: li, cut: cut, touches: int(touches[li]), replied: int(replied[li]), activity: int(activity[li])}
		ex.values = make([]string, len(fieldAt))
		for i, fi := range fieldAt {
			ex.values[i] = valueAt(li, fi)
		}
		if titleAt >= 0 {
			ex.title = valueAt(li, titleAt)
		}
		switch cfg.Target {
		case TargetConverted:
			ex.success = l.ConvertedAt != 0 && l.ConvertedAt-l.Created <= horizon
		case TargetConvertedWithOpportunity:
			ex.success = l.ConvertedAt != 0 && l.ConvertedAt-l.Created <= horizon && l.OpportunityID != ""
		case TargetWonRevenue:
			ex.success = l.WonAt != 0 && l.WonAt-l.Created <= horizon
		}
		if l.Created+horizon <= asOf {
			labelled = append(labelled, ex)
		}
		if l.ConvertedAt == 0 && !closed[l.Status] {
			open = append(open, ex)
		}
	}

	train, test, err := Split(labelled, cfg.TestFraction, func(e example) int64 { return data.Leads[e.lead].Created })
	if err != nil {
		return nil, err
	}
	res.Train, res.Test = counts(train, data), counts(test, data)
	if res.Test.Conversions == res.Test.Leads || res.Train.Conversions == res.Train.Leads {
		// Nothing to rank a converted lead against: no AUC to publish.
		return res, fmt.Errorf("%w: every lead of the training (%d) or test (%d) set converted; there is nothing to tell apart", ErrTooFewConversions, res.Train.Leads, res.Test.Leads)
	}
	if res.Train.Conversions < cfg.MinConversions || res.Test.Conversions < cfg.MinTestConversions {
		return res, fmt.Errorf("%w: the %d training leads (created %s) hold %d conversions and the %d test leads %d; the configuration asks for at least %d and %d (publish.min_conversions, publish.min_test_conversions)",
			ErrTooFewConversions, res.Train.Leads, span(res.Train), res.Train.Conversions, res.Test.Leads, res.Test.Conversions, cfg.MinConversions, cfg.MinTestConversions)
	}

	// The leakage guard decides on the training leads only.
	use := make([]bool, len(cfg.Fields))
	for i, f := range cfg.Fields {
		use[i] = true
		if why := leak(f, changedAfterConversion[f], train, data, func(e example) string { return e.values[i] }); why != "" {
			use[i] = false
			res.Excluded = append(res.Excluded, Exclusion{Field: f, Reason: why})
		}
	}
	useTitle := titleAt >= 0
	if useTitle {
		if why := leak(cfg.TitleField, changedAfterConversion[cfg.TitleField], train, data, func(e example) string { return e.title }); why != "" {
			useTitle = false
			res.Excluded = append(res.Excluded, Exclusion{Field: cfg.TitleField, Reason: why})
		}
	}

	enc := newEncoder(cfg, use, useTitle, train)
	res.Features = enc.names
	xTrain, yTrain := enc.encode(train)
	w, iters, err := fit(xTrain, yTrain, len(enc.names), cfg.L2, cfg.MaxIterations)
	if err != nil {
		return res, fmt.Errorf("score: %w", err)
	}
	res.Weights, res.Iterations = w, iters
	res.Means = make([]float64, len(w))
	for k := range xTrain.idx {
		res.Means[xTrain.idx[k]] += xTrain.val[k]
	}
	for j := range res.Means {
		res.Means[j] /= float64(xTrain.rows())
	}

	xTest, yTest := enc.encode(test)
	pTest := make([]float64, xTest.rows())
	for r := range pTest {
		pTest[r] = sigmoid(xTest.dot(r, w))
	}
	res.Metrics = Measure(pTest, yTest)
	res.Bands = bands(pTest, yTest)

	xOpen, _ := enc.encode(open)
	res.Scores = make([]LeadScore, len(open))
	for r := range open {
		p := sigmoid(xOpen.dot(r, w))
		res.Scores[r] = LeadScore{LeadID: data.Leads[open[r].lead].ID, Score: scoreOf(p), Probability: p, Factors: enc.factors(xOpen, r, w, res.Means, cfg.TopFactors)}
	}
	return res, nil
}

// pointInTime reconstructs each lead's fields as they stood at its cut
// (creation plus the feature window) from the lead history: a field
// changed after the cut is reverted to the Old value of its first change
// after the cut (the value it held until then); a field with no change
// after the cut keeps its current value, changes at or before the cut
// included. Rows of other leads or of fields not read are ignored, and
// the rows may come in any order (same-instant changes: the smaller Old
// value first, so the result does not depend on the order). It also
// counts, per field, the changes at or after a lead's conversion (the
// leakage guard's rule 2).
func pointInTime(data *Data, byID, pos map[string]int, window int64) (valueAt func(li, fi int) string, changedAfterConversion map[string]int) {
	firstAfter := map[[2]int]FieldChange{}
	changedAfterConversion = map[string]int{}
	for _, h := range data.History {
		li, ok := byID[h.LeadID]
		if !ok {
			continue
		}
		l := &data.Leads[li]
		fi, ok := pos[h.Field]
		if !ok {
			continue
		}
		if l.ConvertedAt != 0 && h.At >= l.ConvertedAt {
			changedAfterConversion[h.Field]++
		}
		if h.At <= l.Created+window {
			continue
		}
		k := [2]int{li, fi}
		if prev, ok := firstAfter[k]; !ok || h.At < prev.At || h.At == prev.At && h.Old < prev.Old {
			firstAfter[k] = h
		}
	}
	return func(li, fi int) string {
		if h, ok := firstAfter[[2]int{li, fi}]; ok {
			return h.Old
		}
		return data.Leads[li].Values[fi]
	}, changedAfterConversion
}

// Split holds out the most recent share frac of leads (sorted oldest
// first, by at) as the test set and trains on the rest. Leads created at
// the same instant as the first test lead join the test set, so every
// training lead is strictly older than every test lead. It needs at least
// one lead on each side.
func Split[T any](sorted []T, frac float64, at func(T) int64) (train, test []T, err error) {
	n := len(sorted)
	b := n - int(math.Ceil(float64(n)*frac))
	for b > 0 && b < n && at(sorted[b-1]) == at(sorted[b]) {
		b--
	}
	if b <= 0 || b >= n {
		return nil, nil, fmt.Errorf("%w: %d leads with a known outcome cannot be split into older training and newer test leads", ErrTooFewConversions, n)
	}
	return sorted[:b], sorted[b:], nil
}

func counts(xs []example, data *Data) Counts {
	c := Counts{Leads: len(xs)}
	for _, x := range xs {
		if x.success {
			c.Conversions++
		}
	}
	if len(xs) > 0 {
		c.From, c.To = data.Leads[xs[0].lead].Created, data.Leads[xs[len(xs)-1].lead].Created
	}
	return c
}

func span(c Counts) string {
	day := func(us int64) string { return time.UnixMicro(us).UTC().Format(time.DateOnly) }
	return day(c.From) + " to " + day(c.To)
}

// leak applies the leakage guard's rules to one field, returning why it
// must be excluded ("" when it may be used):
//   - its name is an outcome field's (OutcomeField);
//   - the lead history shows it changed at or after a lead's conversion;
//   - it is filled, as at creation, on at least 90% of the converted
//     training leads and at most 10% of the others: a field set by the
//     conversion itself, in an org that keeps no history of it.
func leak(field string, changedAfter int, train []example, data *Data, value func(example) string) string {
	if why := OutcomeField(field); why != "" {
		return why
	}
	if changedAfter > 0 {
		return fmt.Sprintf("changed at or after conversion on %d leads (lead history)", changedAfter)
	}
	var conv, convFilled, other, otherFilled int
	for _, e := range train {
		filled := value(e) != ""
		if data.Leads[e.lead].ConvertedAt != 0 {
			conv++
			if filled {
				convFilled++
			}
		} else {
			other++
			if filled {
				otherFilled++
			}
		}
	}
	if conv >= 10 && other > 0 && convFilled*10 >= conv*9 && otherFilled*10 <= other {
		return fmt.Sprintf("filled on %d of %d converted leads but %d of %d others: set at conversion", convFilled, conv, otherFilled, other)
	}
	return ""
}

// scoreOf is the probability in percent, rounded half away from zero and
// clamped to 1–99 (a score never claims certainty).
func scoreOf(p float64) int {
	return min(99, max(1, int(math.Round(p*100))))
}

// encoder turns examples into model rows: the intercept, one column per
// category value at least min_value_count training leads have, title rank
// and department likewise, and log(1+count) of touches, responded touches
// and activities.
type encoder struct {
	fields   []string
	use      []bool
	useTitle bool
	cols     map[string]int // "field=value" → column
	names    []string
	numeric  int // first of the three count columns
}

func newEncoder(cfg *Config, use []bool, useTitle bool, train []example) *encoder {
	e := &encoder{fields: cfg.Fields, use: use, useTitle: useTitle, cols: map[string]int{}, names: []string{"intercept"}}
	keep := func(name string, count func(example) string) {
		n := map[string]int{}
		for _, x := range train {
			if v := count(x); v != "" {
				n[v]++
			}
		}
		vals := make([]string, 0, len(n))
		for v, c := range n {
			if c >= cfg.MinValueCount {
				vals = append(vals, v)
			}
		}
		slices.Sort(vals)
		for _, v := range vals {
			e.cols[name+"="+v] = len(e.names)
			e.names = append(e.names, name+"="+v)
		}
	}
	for i, f := range cfg.Fields {
		if use[i] {
			keep(f, func(x example) string { return x.values[i] })
		}
	}
	if useTitle {
		keep("title_rank", func(x example) string { return TitleRank(x.title) })
		keep("title_department", func(x example) string { return TitleDepartment(x.title) })
	}
	e.numeric = len(e.names)
	e.names = append(e.names, "touches", "responded_touches", "activities")
	return e
}

func (e *encoder) encode(xs []example) (*matrix, []bool) {
	m := newMatrix(len(xs), len(e.fields)+6)
	y := make([]bool, len(xs))
	for r, x := range xs {
		m.add(0, 1)
		for i, f := range e.fields {
			if e.use[i] && x.values[i] != "" {
				if c, ok := e.cols[f+"="+x.values[i]]; ok {
					m.add(c, 1)
				}
			}
		}
		if e.useTitle {
			if c, ok := e.cols["title_rank="+TitleRank(x.title)]; ok {
				m.add(c, 1)
			}
			if c, ok := e.cols["title_department="+TitleDepartment(x.title)]; ok {
				m.add(c, 1)
			}
		}
		m.add(e.numeric, math.Log1p(float64(x.touches)))
		m.add(e.numeric+1, math.Log1p(float64(x.replied)))
		m.add(e.numeric+2, math.Log1p(float64(x.activity)))
		m.endRow()
		y[r] = x.success
	}
	return m, y
}

// factors are row r's k largest contributions w·(x − mean) by magnitude:
// the category values the lead has, and the counts (named with the
// lead's own count), largest first, ties by name.
func (e *encoder) factors(m *matrix, r int, w, means []float64, k int) []Factor {
	var fs []Factor
	for p := m.ptr[r]; p < m.ptr[r+1]; p++ {
		j := int(m.idx[p])
		if j == 0 {
			continue
		}
		name := e.names[j]
		if j >= e.numeric {
			name += "=" + strconv.Itoa(int(math.Round(math.Expm1(m.val[p]))))
		}
		fs = append(fs, Factor{Feature: name, Contribution: w[j] * (m.val[p] - means[j])})
	}
	sort.Slice(fs, func(a, b int) bool {
		ca, cb := math.Abs(fs[a].Contribution), math.Abs(fs[b].Contribution)
		if ca != cb {
			return ca > cb
		}
		return fs[a].Feature < fs[b].Feature
	})
	if len(fs) > k {
		fs = fs[:k]
	}
	return fs
}

// FactorsText renders factors for a CRM text field: "lead_source=Webinar
// +0.82; touches=2 +0.31".
func FactorsText(fs []Factor) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Feature + " " + strconv.FormatFloat(f.Contribution, 'f', 2, 64)
		if f.Contribution >= 0 {
			parts[i] = f.Feature + " +" + strconv.FormatFloat(f.Contribution, 'f', 2, 64)
		}
	}
	return strings.Join(parts, "; ")
}

// WriteReport prints what a run measured: the split, AUC, Brier score,
// top-decile lift, calibration by decile and conversion by score band on
// the held-out leads, what the leakage guard excluded, and the strongest
// weights.
func WriteReport(w io.Writer, r *Result) error {
	m := r.Metrics
	day := func(us int64) string { return time.UnixMicro(us).UTC().Format(time.DateOnly) }
	fmt.Fprintf(w, "Target %s within %d days. Trained on %d leads created %s to %s (%d converted), tested on the %d most recent, %s to %s (%d converted).\n",
		r.Target, r.HorizonDays, r.Train.Leads, day(r.Train.From), day(r.Train.To), r.Train.Conversions, r.Test.Leads, day(r.Test.From), day(r.Test.To), r.Test.Conversions)
	fmt.Fprintf(w, "AUC %.3f   Brier %.4f   base rate %.3f   top-decile lift %.2f   %d open leads scored\n", m.AUC, m.Brier, m.BaseRate, m.TopDecileLift, len(r.Scores))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "Decile\tLeads\tPredicted\tObserved\t\tScore band\tLeads\tConverted\tRate\t")
	for i := 0; i < max(len(m.Calibration), len(r.Bands)); i++ {
		if i < len(m.Calibration) {
			d := m.Calibration[i]
			fmt.Fprintf(tw, "%d\t%d\t%.3f\t%.3f\t\t", d.Decile, d.Leads, d.Predicted, d.Observed)
		} else {
			fmt.Fprint(tw, "\t\t\t\t\t")
		}
		if i < len(r.Bands) {
			b := r.Bands[i]
			fmt.Fprintf(tw, "%d–%d\t%d\t%d\t%.3f\t\n", b.Lo, b.Hi, b.Leads, b.Converted, b.Rate)
		} else {
			fmt.Fprint(tw, "\t\t\t\t\n")
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, x := range r.Excluded {
		fmt.Fprintf(w, "Excluded by the leakage guard: %s (%s)\n", x.Field, x.Reason)
	}
	idx := make([]int, 0, len(r.Features))
	for j := 1; j < len(r.Features); j++ {
		idx = append(idx, j)
	}
	sort.SliceStable(idx, func(a, b int) bool { return math.Abs(r.Weights[idx[a]]) > math.Abs(r.Weights[idx[b]]) })
	var parts []string
	for _, j := range idx[:min(6, len(idx))] {
		parts = append(parts, fmt.Sprintf("%s %+.2f", r.Features[j], r.Weights[j]))
	}
	_, err := fmt.Fprintf(w, "Strongest weights (log-odds): %s\n", strings.Join(parts, ", "))
	return err
}
