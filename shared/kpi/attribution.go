package kpi

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"sync"
)

// Attribution: each opportunity in the period's population (created in the
// period → mktg_influenced_pipeline; won with a close date in the period →
// mktg_influenced_bookings) has its amount split over the touches its
// model's window admits, to the cent, by every configured model
// (splitCents: exact integer shares, leftover cents by the configured
// rule). docs/kpis.md §3 states every rule.

type attrKey struct {
	kpi, model string
	dk         dimKey
}

// creditKey is attrKey while attributing: KPI and dimension as small
// codes, the model as its index in Config.Attribution, and the touch's
// interned campaign (for the channel dimension too: its channel is looked
// up once per key, in attrKeyOf).
type creditKey struct {
	kpi, model, dim uint8
	campaign        uint32
}

// Codes of creditKey.
const (
	creditPipeline uint8 = iota
	creditBookings
	creditInfluencedOpps // deal counts (countDeals)
	creditFirstTouchOpps
)

const (
	creditOrg uint8 = iota
	creditCampaign
	creditChannel
)

// unattributed is the creditKey campaign of amounts no touch carries.
// (Config.Attribution holds at most the seven distinct Models, so a model
// index fits creditKey.model.)
const unattributed = ^uint32(0)

var creditKPIs = [...]string{creditPipeline: "mktg_influenced_pipeline", creditBookings: "mktg_influenced_bookings",
	creditInfluencedOpps: "opps_influenced", creditFirstTouchOpps: "opps_first_touch"}

func (e *engine) attrKeyOf(ck creditKey) attrKey {
	ak := attrKey{kpi: creditKPIs[ck.kpi], model: e.cfg.Attribution[ck.model].Name}
	switch {
	case ck.dim == creditOrg:
		ak.dk = dimKey{DimOrg, KeyAll}
	case ck.campaign == unattributed:
		ak.dk = dimKey{DimCampaign, KeyUnattributed}
		if ck.dim == creditChannel {
			ak.dk.dim = DimChannel
		}
	case ck.dim == creditCampaign:
		ak.dk = dimKey{DimCampaign, e.names.str(ck.campaign)}
	default:
		ak.dk = dimKey{DimChannel, orNone(e.campType[e.names.str(ck.campaign)])}
	}
	return ak
}

// touchAt is a member's touch instant: the first non-null field of
// attribution.touch_time (a date is its midnight UTC); false when every
// listed field is null (the member is no touch).
func (e *engine) touchAt(m *CampaignMember) (int64, bool) {
	for _, f := range e.cfg.TouchTime {
		switch f {
		case TouchCreatedDate:
			return m.CreatedDate, true
		case TouchFirstResponded:
			if m.FirstRespondedDate != nil {
				return int64(*m.FirstRespondedDate) * dayMicros, true
			}
		case TouchCustomDate:
			if m.TouchDate != nil {
				return *m.TouchDate, true
			}
		}
	}
	return 0, false
}

// Position bits of a touch (several when positions coincide).
const (
	bitFirstTouch uint8 = 1 << iota
	bitLeadCreation
	bitOppCreation
	bitClosedWon
	bitMiddle
)

// positionLabels[mask] names a touch's positions in credit rows:
// "first_touch+lead_creation", "middle", or "none" (in the window, outside
// the model's span: weight 0).
var positionLabels = func() [32]string {
	var out [32]string
	names := []string{PosFirstTouch, PosLeadCreation, PosOppCreation, PosClosedWon, PosMiddle}
	for mask := range out {
		var s string
		for b, n := range names {
			if mask&(1<<b) != 0 {
				if s != "" {
					s += "+"
				}
				s += n
			}
		}
		if s == "" {
			s = "none"
		}
		out[mask] = s
	}
	return out
}()

// posIdx is the touch index of each position among a model's admitted
// touches (-1: missing).
type posIdx struct{ ft, lc, oc, cw int }

// positionsOf finds the positions among ts, sorted by (instant, member
// Id): first_touch is the first; lead_creation the first or the last
// (lc.Pick) of the touches at or before the converted lead's CreatedDate +
// lc.Grace; opp_creation the last at or before the opportunity's
// CreatedDate; closed_won (window close only) the last admitted.
func positionsOf(ts []touch, o *opp, w Window, lc LeadCreation) posIdx {
	p := posIdx{ft: 0, lc: -1, oc: -1, cw: -1}
	if w == WindowClose {
		p.cw = len(ts) - 1
	}
	lcEnd := o.leadCreated + lc.Grace.Microseconds()
	for i, t := range ts {
		if t.at <= o.created {
			p.oc = i
		}
		if o.hasLead && t.at <= lcEnd && (p.lc < 0 || lc.Pick == LCLast) {
			p.lc = i
		}
	}
	return p
}

// weightPlaces: position weights are integers in units of 10⁻⁹ (the
// configuration allows at most 9 decimals).
const weightPlaces = 9

// posWeights are a positional model's integer weights and each touch's
// positions.
type posWeights struct {
	w    []uint64
	mask []uint8
}

// positionalWeights gives each touch the sum of the weights of the present
// positions it holds, plus an equal share of the middle weight if it lies
// strictly between the model's earliest and latest present positions and
// holds none. Missing positions and an empty middle simply carry no weight:
// the split's normalisation spreads theirs over the rest in proportion.
func positionalWeights(m *Model, n int, p posIdx) posWeights {
	pw := posWeights{w: make([]uint64, n), mask: make([]uint8, n)}
	held := [...]struct {
		pos string
		i   int
		bit uint8
	}{{PosFirstTouch, p.ft, bitFirstTouch}, {PosLeadCreation, p.lc, bitLeadCreation}, {PosOppCreation, p.oc, bitOppCreation}, {PosClosedWon, p.cw, bitClosedWon}}
	lo, hi := n, -1
	for _, h := range held {
		if _, ok := m.Weights[h.pos]; !ok || h.i < 0 {
			continue
		}
		pw.mask[h.i] |= h.bit
		lo, hi = min(lo, h.i), max(hi, h.i)
	}
	middle := 0
	mw := units(m.Weights[PosMiddle])
	if mw > 0 {
		for i := lo + 1; i < hi; i++ {
			if pw.mask[i] == 0 {
				pw.mask[i] = bitMiddle
				middle++
			}
		}
	}
	// Scale positions by the middle count so each middle touch gets the
	// middle weight itself: exact, no division.
	scale := uint64(max(middle, 1))
	for _, h := range held {
		if w, ok := m.Weights[h.pos]; ok && h.i >= 0 {
			pw.w[h.i] += units(w) * scale
		}
	}
	for i, b := range pw.mask {
		if b == bitMiddle {
			pw.w[i] = mw
		}
	}
	return pw
}

// decayScale: time-decay weights are integers in units of 2⁻⁴⁰.
const decayScale = 1 << 40

// decayWeights weights each touch by 2^(−Δ/half-life), Δ the exact time in
// microseconds from the touch to the model's reference instant. Only the
// ratios matter (the split normalises), so Δ is measured to the latest
// admitted touch, which gets weight 1: the same shares, without underflow.
// math.Exp2 is pure Go (the same bits on every platform); the result is
// rounded to units of 2⁻⁴⁰.
func decayWeights(ts []touch, halfLifeDays int, w []uint64) []uint64 {
	w = slices.Grow(w[:0], len(ts))[:len(ts)]
	h := float64(halfLifeDays) * float64(dayMicros)
	last := ts[len(ts)-1].at
	for j, t := range ts {
		w[j] = uint64(math.Round(math.Exp2(-float64(last-t.at)/h) * decayScale))
	}
	return w
}

// posKey is what positionalWeights reads: the model (index), the admitted
// touch count and the touches of the two positions not fixed by the count
// and window (first_touch is 0, closed_won n-1).
type posKey struct {
	model            uint8
	n, oppAt, leadAt int
}

// attribute runs every model over the population and returns the
// influenced values, and the credit rows when the caller asked for them.
func (e *engine) attribute() ([]Value, []Credit, error) {
	// Opportunities are independent: split them over attributionWorkers
	// goroutines, each with its own sums, and add the sums up (integer
	// cents, so the merge order cannot change a figure). Credit rows are
	// kept per worker and joined in worker order: the row order follows
	// the opportunity table whatever the scheduling.
	n := e.opps.n
	workers := int32(max(1, min(attributionWorkers, int(n/1024)+1)))
	parts := make([]map[attrKey]int64, workers)
	rows := make([][]Credit, workers)
	errs := make([]error, workers)
	windows := e.windowLabels()
	var wg sync.WaitGroup
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[k] = map[attrKey]int64{}
			errs[k] = e.attributeRange(n*k/workers, n*(k+1)/workers, parts[k], windows, &rows[k])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	sums := parts[0]
	for _, p := range parts[1:] {
		for k, c := range p {
			sums[k] += c
		}
	}
	var credits []Credit
	if e.credits {
		credits = slices.Concat(rows...)
	}
	return e.attributionValues(sums), credits, nil
}

// attributionWorkers matches the 2 vCPUs of the machine and of a 3 GB Lambda.
const attributionWorkers = 2

// splitScratch is one worker's reusable buffers, so a split allocates
// nothing per touch.
type splitScratch struct {
	weights []uint64
	rem     []uint64
	parts   []int64
	camps   []dealFirst // countDeals
	chans   []dealFirst
}

// attributeRange attributes opportunities [lo, hi) into sums (and credit
// rows into rows when e.credits).
func (e *engine) attributeRange(lo, hi int32, sums map[attrKey]int64, windows []windowLabel, rows *[]Credit) error {
	// Credits are summed under small integer keys (no string hashing per
	// touch) and turned into attrKeys once at the end; the sums are integer
	// cents, so the grouping cannot change a figure.
	credits := map[creditKey]int64{}
	// Deal counts depend on the window only: counted once per window
	// (creditKey.model is the window's code) and copied to each model.
	deals := map[creditKey]int64{}
	defer func() {
		for ck, c := range credits {
			sums[e.attrKeyOf(ck)] += c
		}
		for mi, m := range e.cfg.Attribution {
			for ck, c := range deals {
				if ck.model == windowCode(m.Window) {
					ck.model = uint8(mi)
					sums[e.attrKeyOf(ck)] += c
				}
			}
		}
	}()
	var usedWindows [2]bool // the windows some model uses
	for _, m := range e.cfg.Attribution {
		usedWindows[windowCode(m.Window)] = true
	}
	posCache := map[posKey]posWeights{}
	var sc splitScratch
	wantCampaign := slices.Contains(e.cfg.Dimensions, DimCampaign)
	wantChannel := slices.Contains(e.cfg.Dimensions, DimChannel)
	for i := lo; i < hi; i++ {
		o := e.opps.at(i)
		if !o.needTouches {
			continue
		}
		inPipeline, inBookings := e.w.in(o.created), o.won && e.w.inDay(o.closeDay)
		if o.amount == 0 && !inPipeline {
			continue // nothing to split and no deal to count
		}
		var kpis []uint8
		if inPipeline {
			kpis = append(kpis, creditPipeline)
		}
		if inBookings {
			kpis = append(kpis, creditBookings)
		}
		slices.SortFunc(o.touches, func(a, b touch) int {
			return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.member, b.member))
		})
		// Touches at or before creation: the admitted prefix of the
		// opportunity-creation window.
		nCreated, _ := slices.BinarySearchFunc(o.touches, o.created, func(t touch, at int64) int {
			if t.at <= at {
				return -1
			}
			return 1
		})
		if inPipeline {
			e.countDeals(o.touches, nCreated, usedWindows, deals, &sc, wantCampaign, wantChannel)
		}
		if o.amount == 0 {
			continue
		}
		for mi := range e.cfg.Attribution {
			m := &e.cfg.Attribution[mi]
			model := uint8(mi)
			ts := o.touches
			if m.Window == WindowOppCreation {
				ts = ts[:nCreated]
			}
			var weights []uint64
			var mask []uint8
			switch {
			case len(ts) == 0:
			case m.Name == ModelEven:
				sc.weights = slices.Grow(sc.weights[:0], len(ts))[:len(ts)]
				for j := range sc.weights {
					sc.weights[j] = 1
				}
				weights = sc.weights
			case m.Name == ModelTimeDecay:
				sc.weights = decayWeights(ts, m.HalfLifeDays, sc.weights)
				weights = sc.weights
			default:
				// The weights depend only on the model, the touch count
				// and the positions' touches: shared between opportunities
				// (nothing writes a weights slice).
				p := positionsOf(ts, o, m.Window, e.cfg.LeadCreation)
				pk := posKey{model, len(ts), p.oc, p.lc}
				pw, ok := posCache[pk]
				if !ok {
					pw = positionalWeights(m, len(ts), p)
					posCache[pk] = pw
				}
				weights, mask = pw.w, pw.mask
			}
			sc.parts = slices.Grow(sc.parts[:0], len(ts))[:len(ts)]
			attributed := len(ts) > 0 && splitCents(o.amount, weights, e.cfg.Rounding, sc.parts, &sc.rem)
			for _, k := range kpis {
				if !attributed {
					if wantCampaign {
						credits[creditKey{k, model, creditCampaign, unattributed}] += o.amount
					}
					if wantChannel {
						credits[creditKey{k, model, creditChannel, unattributed}] += o.amount
					}
					continue
				}
				for j, c := range sc.parts {
					if c == 0 {
						continue
					}
					camp := ts[j].campaign
					credits[creditKey{k, model, creditOrg, 0}] += c
					if wantCampaign {
						credits[creditKey{k, model, creditCampaign, camp}] += c
					}
					if wantChannel {
						credits[creditKey{k, model, creditChannel, camp}] += c
					}
				}
			}
			if e.credits && m.CreditRows {
				cr := creditRun{o: o, model: m.Name, window: windows[mi].of(o), pipeline: inPipeline, bookings: inBookings}
				if !attributed {
					*rows = append(*rows, cr.unattributed())
					continue
				}
				var sum uint64
				for _, w := range weights {
					sum += w // no overflow: splitCents checked
				}
				for j := range ts {
					label := "touch"
					if mask != nil {
						label = positionLabels[mask[j]]
					}
					*rows = append(*rows, cr.row(e, &ts[j], label, weights[j], sum, sc.parts[j]))
				}
			}
		}
	}
	return nil
}

// windowCode is a window's index in the deal counts of attributeRange.
func windowCode(w Window) uint8 {
	if w == WindowClose {
		return 1
	}
	return 0
}

// dealFirst is a campaign (or, for a channel, its first campaign) among an
// opportunity's touches and the index of its first touch.
type dealFirst struct {
	campaign uint32
	at       int
	channel  string
}

// countDeals counts an opportunity created in the period in
// opps_influenced (every campaign and channel with a touch the window
// admits, once however many touches it has; org: the opportunity has one)
// and opps_first_touch (the campaign and channel of the first admitted
// touch), per window used: ts are its touches sorted by instant, the first
// nCreated at or before its creation (window opp_creation), all of them
// for window close. No admitted touch counts it as unattributed.
func (e *engine) countDeals(ts []touch, nCreated int, used [2]bool, deals map[creditKey]int64, sc *splitScratch, wantCampaign, wantChannel bool) {
	// Distinct campaigns and channels in order of their first touch: the
	// ones a window admits are a prefix.
	sc.camps, sc.chans = sc.camps[:0], sc.chans[:0]
	for j, t := range ts {
		if slices.ContainsFunc(sc.camps, func(f dealFirst) bool { return f.campaign == t.campaign }) {
			continue
		}
		ch := e.campType[e.names.str(t.campaign)]
		sc.camps = append(sc.camps, dealFirst{t.campaign, j, ch})
		if !slices.ContainsFunc(sc.chans, func(f dealFirst) bool { return f.channel == ch }) {
			sc.chans = append(sc.chans, dealFirst{t.campaign, j, ch})
		}
	}
	for w, n := range [2]int{nCreated, len(ts)} {
		if !used[w] {
			continue
		}
		model := uint8(w)
		if n == 0 {
			for _, k := range [...]uint8{creditInfluencedOpps, creditFirstTouchOpps} {
				if wantCampaign {
					deals[creditKey{k, model, creditCampaign, unattributed}]++
				}
				if wantChannel {
					deals[creditKey{k, model, creditChannel, unattributed}]++
				}
			}
			continue
		}
		deals[creditKey{creditInfluencedOpps, model, creditOrg, 0}]++
		deals[creditKey{creditFirstTouchOpps, model, creditOrg, 0}]++
		for _, d := range []struct {
			want   bool
			dim    uint8
			firsts []dealFirst
		}{{wantCampaign, creditCampaign, sc.camps}, {wantChannel, creditChannel, sc.chans}} {
			if !d.want {
				continue
			}
			// The channel key is found from a campaign (attrKeyOf).
			deals[creditKey{creditFirstTouchOpps, model, d.dim, ts[0].campaign}]++
			for _, f := range d.firsts {
				if f.at >= n {
					break
				}
				deals[creditKey{creditInfluencedOpps, model, d.dim, f.campaign}]++
			}
		}
	}
}

// attributionValues turns the credit sums into Values; the org value of
// every model exists even when nothing is attributed.
func (e *engine) attributionValues(sums map[attrKey]int64) []Value {
	for _, k := range creditKPIs {
		for _, m := range e.cfg.Attribution {
			ak := attrKey{k, m.Name, dimKey{DimOrg, KeyAll}}
			sums[ak] += 0 // the org value exists even when nothing is attributed
		}
	}
	out := make([]Value, 0, len(sums))
	for ak, c := range sums {
		d, _ := Lookup(ak.kpi)
		m := cents(c)
		if d.Unit == UnitCount {
			m = count(c)
		}
		out = append(out, e.value(d, ak.dk, ak.model, m))
	}
	return out
}

// splitCents splits cents over integer weights into out (len(weights)),
// exactly: share i is cents×wᵢ/Σw, a rational computed in 128 bits. Under
// largest_remainder every touch gets its share's floor and the leftover
// cents go one each to the largest remainders, ties to the earlier touch;
// under half_up_largest_share every share is rounded half up (away from
// zero for a negative amount) and the difference to the amount goes to
// the touch with the largest weight, ties to the earliest. A negative
// amount is split as its magnitude, negated. It returns false, writing
// nothing meaningful, when the weights sum to zero (or overflow 64 bits,
// which needs millions of touches on one opportunity).
func splitCents(cents int64, weights []uint64, rule Rounding, out []int64, remBuf *[]uint64) bool {
	var sum uint64
	largest := -1
	for i, w := range weights {
		var carry uint64
		if sum, carry = bitsAdd(sum, w); carry != 0 {
			return false
		}
		if w > 0 && (largest < 0 || w > weights[largest]) {
			largest = i
		}
	}
	if sum == 0 {
		return false
	}
	if largest >= 0 && weights[largest] == sum {
		// One weighted touch (first touch, last touch, one-touch journeys):
		// the whole amount, under any rule.
		clear(out)
		out[largest] = cents
		return true
	}
	neg := cents < 0
	c := uint64(cents)
	if neg {
		c = uint64(-cents)
	}
	*remBuf = slices.Grow((*remBuf)[:0], len(weights))[:len(weights)]
	rem := *remBuf
	var given uint64
	for i, w := range weights {
		q, r := mulDiv(c, w, sum)
		out[i], rem[i] = int64(q), r
		given += q
	}
	switch rule {
	case RoundHalfUpLargestShare:
		for i, r := range rem {
			if r >= sum-r { // 2r ≥ Σw: the fraction is at least one half
				out[i]++
				given++
			}
		}
		out[largest] += int64(c) - int64(given)
	default:
		// The leftover is below the touch count, and more remainders than
		// the leftover are positive (they sum to leftover×Σw, each below
		// Σw), so picking the largest unpicked remainder and zeroing it
		// never picks a touch twice.
		for left := c - given; left > 0; left-- {
			best := 0
			for i, r := range rem {
				if r > rem[best] {
					best = i
				}
			}
			out[best]++
			rem[best] = 0
		}
	}
	if neg {
		for i := range out {
			out[i] = -out[i]
		}
	}
	return true
}
