package kpi

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/money"
)

// Attribution: each opportunity in the period's population (created in the
// period → mktg_influenced_pipeline; won with a close date in the period →
// mktg_influenced_bookings) has its amount split over its eligible touches
// by every configured model, to the cent, with money.Allocate (largest
// remainder; ties to the earlier touch). docs/kpis.md states every rule.

// decayPlaces is the precision of time-decay weights; Allocate then makes
// the parts sum exactly to the amount whatever the weights' rounding.
const decayPlaces = 18

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
)

const (
	creditOrg uint8 = iota
	creditCampaign
	creditChannel
)

// unattributed is the creditKey campaign of amounts no touch carries.
// (Config.Attribution holds at most the six distinct Models, so a model
// index fits creditKey.model.)
const unattributed = ^uint32(0)

var creditKPIs = [...]string{creditPipeline: "mktg_influenced_pipeline", creditBookings: "mktg_influenced_bookings"}

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

// positionsOf returns the touch index of each position (-1 when missing).
// Touches are sorted by time, then member Id.
func positionsOf(o *opp) map[string]int {
	ts := o.touches
	n := len(ts)
	pos := map[string]int{PosFirst: 0, PosLast: n - 1, PosOppCreation: -1, PosLeadCreation: -1}
	for i, t := range ts {
		if t.at <= o.created {
			pos[PosOppCreation] = i
		}
		if o.hasLead && o.convEnd > 0 && t.at < o.convEnd {
			pos[PosLeadCreation] = i
		}
	}
	return pos
}

// positionalWeights gives each touch the sum of the weights of the present
// positions it holds, plus an equal share of the middle weight if it lies
// strictly between the model's earliest and latest present positions and
// holds none. Missing positions and an empty middle simply carry no weight:
// Allocate's normalisation spreads theirs over the rest in proportion.
func positionalWeights(m Model, o *opp, pos map[string]int) []decimal.Decimal {
	n := len(o.touches)
	w := make([]decimal.Decimal, n)
	held := make([]bool, n)
	lo, hi := n, -1
	for _, p := range positionsOnly(m.Weights) {
		i := pos[p]
		if i < 0 {
			continue
		}
		held[i] = true
		lo, hi = min(lo, i), max(hi, i)
	}
	var middle []int
	if mw, ok := m.Weights[PosMiddle]; ok && mw.IsPositive() {
		for i := lo + 1; i < hi; i++ {
			if !held[i] {
				middle = append(middle, i)
			}
		}
	}
	// Scale positions by the middle count so each middle touch gets the
	// middle weight itself: exact, no division.
	scale := decimal.NewFromInt(int64(max(len(middle), 1)))
	for _, p := range positionsOnly(m.Weights) {
		if i := pos[p]; i >= 0 {
			w[i] = w[i].Add(m.Weights[p].Mul(scale))
		}
	}
	for _, i := range middle {
		w[i] = w[i].Add(m.Weights[PosMiddle])
	}
	return w
}

type decayKey struct{ days, halfLife int64 }

// posKey is what positionalWeights reads: the model (index), the touch
// count and the touches of the two positions not fixed by the count
// (first and last are 0 and n-1).
type posKey struct {
	model            uint8
	n, oppAt, leadAt int
}

// attribute runs every model over the population and returns the
// influenced values.
func (e *engine) attribute() ([]Value, error) {
	// Opportunities are independent: split them over attributionWorkers
	// goroutines, each with its own sums, and add the sums up (integer
	// cents, so the merge order cannot change a figure).
	n := e.opps.n
	workers := int32(max(1, min(attributionWorkers, int(n/1024)+1)))
	parts := make([]map[attrKey]int64, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[k] = map[attrKey]int64{}
			errs[k] = e.attributeRange(n*k/workers, n*(k+1)/workers, parts[k])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sums := parts[0]
	for _, p := range parts[1:] {
		for k, c := range p {
			sums[k] += c
		}
	}
	return e.attributionValues(sums), nil
}

// attributionWorkers matches the 2 vCPUs of the machine and of a 3 GB Lambda.
const attributionWorkers = 2

// attributeRange attributes opportunities [lo, hi) into sums.
func (e *engine) attributeRange(lo, hi int32, sums map[attrKey]int64) error {
	// Credits are summed under small integer keys (no string hashing per
	// touch) and turned into attrKeys once at the end; the sums are integer
	// cents, so the grouping cannot change a figure.
	credits := map[creditKey]int64{}
	defer func() {
		for ck, c := range credits {
			sums[e.attrKeyOf(ck)] += c
		}
	}()
	decay := map[decayKey]decimal.Decimal{}
	posWeights := map[posKey][]decimal.Decimal{}
	half := decimal.NewFromFloat(0.5)
	wantCampaign := slices.Contains(e.cfg.Dimensions, DimCampaign)
	wantChannel := slices.Contains(e.cfg.Dimensions, DimChannel)
	for i := lo; i < hi; i++ {
		o := e.opps.at(i)
		if !o.needTouches {
			continue
		}
		var kpis []uint8
		if e.w.in(o.created) {
			kpis = append(kpis, creditPipeline)
		}
		if o.won && e.w.inDay(o.closeDay) {
			kpis = append(kpis, creditBookings)
		}
		slices.SortFunc(o.touches, func(a, b touch) int {
			return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.member, b.member))
		})
		amount := money.FromCents(o.amount)
		var pos map[string]int
		if len(o.touches) > 0 {
			pos = positionsOf(o)
		}
		for mi, m := range e.cfg.Attribution {
			model := uint8(mi)
			var weights []decimal.Decimal
			switch {
			case len(o.touches) == 0:
			case m.Name == ModelEven:
				weights = make([]decimal.Decimal, len(o.touches))
				for j := range weights {
					weights[j] = decimal.NewFromInt(1)
				}
			case m.Name == ModelTimeDecay:
				weights = make([]decimal.Decimal, len(o.touches))
				last := o.touches[len(o.touches)-1].at
				for j, t := range o.touches {
					k := decayKey{(last - t.at) / dayMicros, int64(m.HalfLifeDays)}
					d, ok := decay[k]
					if !ok {
						var err error
						d, err = half.PowWithPrecision(decimal.NewFromInt(k.days).Div(decimal.NewFromInt(k.halfLife)), decayPlaces)
						if err != nil {
							return err
						}
						decay[k] = d
					}
					weights[j] = d
				}
			default:
				// The weights depend only on the model, the touch count
				// and the positions' touches: shared between opportunities
				// (nothing writes a weights slice).
				pk := posKey{model, len(o.touches), pos[PosOppCreation], pos[PosLeadCreation]}
				if weights = posWeights[pk]; weights == nil {
					weights = positionalWeights(m, o, pos)
					posWeights[pk] = weights
				}
			}
			// Weights are never negative (the configuration rejects negative
			// position weights; decay and even weights are positive), so they
			// have a positive sum exactly when one of them is positive.
			weighted := slices.ContainsFunc(weights, decimal.Decimal.IsPositive)
			var parts []int64 // the same split serves both KPIs
			for _, k := range kpis {
				if o.amount == 0 {
					continue
				}
				if !weighted {
					if wantCampaign {
						credits[creditKey{k, model, creditCampaign, unattributed}] += o.amount
					}
					if wantChannel {
						credits[creditKey{k, model, creditChannel, unattributed}] += o.amount
					}
					continue
				}
				if parts == nil {
					var err error
					if parts, err = split(o.amount, amount, weights); err != nil {
						return fmt.Errorf("opportunity %s: %w", o.id, err)
					}
				}
				for j, c := range parts {
					if c == 0 {
						continue
					}
					camp := o.touches[j].campaign
					credits[creditKey{k, model, creditOrg, 0}] += c
					if wantCampaign {
						credits[creditKey{k, model, creditCampaign, camp}] += c
					}
					if wantChannel {
						credits[creditKey{k, model, creditChannel, camp}] += c
					}
				}
			}
		}
	}
	return nil
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
		out = append(out, e.value(d, ak.dk, ak.model, cents(c)))
	}
	return out
}

// split is money.Allocate in cents, with a fast path for the common case
// of one weighted touch (first/last touch, single-touch journeys), which
// gets the whole amount under any remainder rule.
func split(cents int64, amount decimal.Decimal, weights []decimal.Decimal) ([]int64, error) {
	out := make([]int64, len(weights))
	only := -1
	for i, w := range weights {
		if !w.IsZero() {
			if only >= 0 {
				only = -2
				break
			}
			only = i
		}
	}
	if only >= 0 {
		out[only] = cents
		return out, nil
	}
	if equalWeights(weights) {
		// Equal shares (the even model): every exact share is |cents|/n, so
		// the floors are the integer quotient and, the remainders being
		// equal, the leftover cents go to the earliest touches, which is
		// what Allocate's largest-remainder rule gives (it rounds its
		// quotients at 16 places, which cannot reach the next integer for
		// fewer than 10¹⁶ touches).
		n, sign := int64(len(weights)), int64(1)
		if cents < 0 {
			cents, sign = -cents, -1
		}
		q, r := cents/n, cents%n
		for i := range out {
			out[i] = sign * q
			if int64(i) < r {
				out[i] += sign
			}
		}
		return out, nil
	}
	if allocInt(cents, weights, out) {
		return out, nil
	}
	return allocateCents(amount, weights, out)
}

// equalWeights reports whether there are several weights, all equal and
// positive.
func equalWeights(weights []decimal.Decimal) bool {
	if len(weights) < 2 || !weights[0].IsPositive() {
		return false
	}
	for _, w := range weights[1:] {
		if !w.Equal(weights[0]) {
			return false
		}
	}
	return true
}

// allocateCents is money.Allocate of amount by weights, in cents, into out.
func allocateCents(amount decimal.Decimal, weights []decimal.Decimal, out []int64) ([]int64, error) {
	parts, err := money.Allocate(amount, weights)
	if err != nil {
		return nil, err
	}
	for i, p := range parts {
		out[i] = money.Cents(p)
	}
	return out, nil
}
