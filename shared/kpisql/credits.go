package kpisql

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/venn-revops/venn/shared/kpi"
)

// The credit table (kpi.Credit, the gold kpi_credit rows) as SQL: every
// admitted touch's cents under each model whose credit_rows is set, from
// the attribution tables (attribution.go), and one unattributed row for an
// opportunity whose amount no touch carries. Opportunities of amount 0
// have none, as in the engine.

// CreditColumns are the columns of CompileCredits' rows, in this order:
// model, opportunity_id, touch_id (NULL unattributed), campaign_id,
// channel, touch_at (epoch microseconds, NULL unattributed), position,
// weight (10⁻¹², rounded half up), credit and amount (cents),
// window_rule, in_pipeline, in_bookings.
var CreditColumns = []string{"model", "opportunity_id", "touch_id", "campaign_id", "channel", "touch_at", "position", "weight", "credit", "amount", "window_rule", "in_pipeline", "in_bookings"}

// CompileCredits renders the credit rows of a configuration and period as
// one SELECT in the dialect (the same tables as Compile).
func CompileCredits(cfg *kpi.Config, p kpi.Period, d Dialect, t Tables) (string, error) {
	g, err := newGen(cfg, p, d, t)
	if err != nil {
		return "", err
	}
	var models, byTouch []string
	for _, m := range cfg.Attribution {
		if m.CreditRows {
			models = append(models, m.Name)
		}
		if m.Name == kpi.ModelEven || m.Name == kpi.ModelTimeDecay {
			byTouch = append(byTouch, m.Name)
		}
	}
	if len(models) == 0 {
		return g.statement("credit table", []string{`SELECT ` + strings.Join(nullCreditColumns(d), ", ") + ` WHERE 1 = 0`}), nil
	}
	var labels strings.Builder
	labels.WriteString("CASE WHEN p.model IN " + list(byTouch) + " THEN 'touch'")
	for mask := range uint8(32) {
		fmt.Fprintf(&labels, " WHEN p.mask = %d THEN %s", mask, lit(kpi.PositionLabel(mask)))
	}
	labels.WriteString(" END")
	window := "CASE WHEN am.win = '" + string(kpi.WindowOppCreation) + "' THEN " + lit(cfg.WindowRule(kpi.WindowOppCreation, false)) +
		" WHEN o.closed THEN " + lit(cfg.WindowRule(kpi.WindowClose, true)) + " ELSE " + lit(cfg.WindowRule(kpi.WindowClose, false)) + " END"
	// The weight's share in 10⁻¹²: w × 10¹² ÷ Σw, half up.
	w12 := d.big("p.w") + " * " + d.big("1000000000000")
	weight := d.FloorDiv(w12, d.big("p.sw")) + " + CASE WHEN 2 * (" + w12 + " % " + d.big("p.sw") + ") >= p.sw THEN 1 ELSE 0 END"
	touches := `SELECT p.model, p.opp AS opportunity_id, p.member AS touch_id, p.campaign AS campaign_id, c.channel, p.tat AS touch_at,
	` + labels.String() + ` AS position, ` + weight + ` AS weight, ` + d.big("p.part") + ` AS credit, p.cents AS amount, ` + window + ` AS window_rule,
	p.inp AS in_pipeline, p.inb AS in_bookings
FROM at_p p JOIN at_camp c ON c.id = p.campaign JOIN at_opp o ON o.opp = p.opp JOIN ` + g.modelsSQL() + ` ON am.model = p.model
WHERE p.sw > 0 AND p.model IN ` + list(models)
	un := `SELECT am.model, o.opp, CAST(NULL AS VARCHAR), '` + kpi.KeyUnattributed + `', '` + kpi.KeyUnattributed + `', CAST(NULL AS BIGINT),
	'` + kpi.KeyUnattributed + `', ` + d.big("0") + `, ` + d.big("o.cents") + `, o.cents, ` + window + `, o.inp, o.inb
FROM at_opp o CROSS JOIN ` + g.modelsSQL() + `
WHERE o.cents <> 0 AND am.model IN ` + list(models) + ` AND NOT EXISTS (SELECT 1 FROM at_p s WHERE s.model = am.model AND s.opp = o.opp AND s.sw > 0)`
	return g.statement("credit table", []string{touches, un}), nil
}

// nullCreditColumns is a select list of the credit columns' types, for
// a configuration without credit rows.
func nullCreditColumns(d Dialect) []string {
	types := []string{"VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "VARCHAR", d.Int128, d.Int128, "BIGINT", "VARCHAR", "BOOLEAN", "BOOLEAN"}
	out := make([]string, len(CreditColumns))
	for i, c := range CreditColumns {
		out[i] = "CAST(NULL AS " + types[i] + ") AS " + c
	}
	return out
}

// Credits turns rows of CompileCredits, each in CreditColumns order as the
// text both engines print (nil: NULL), into the engine's credit rows,
// sorted by model, opportunity and touch instant and Id. A malformed row
// is an error naming it.
func Credits(rows [][]*string) ([]kpi.Credit, error) {
	out := make([]kpi.Credit, 0, len(rows))
	for n, r := range rows {
		if len(r) != len(CreditColumns) {
			return nil, fmt.Errorf("kpisql: credit row %d has %d columns, want %d", n+1, len(r), len(CreditColumns))
		}
		str := func(i int) string {
			if r[i] == nil {
				return ""
			}
			return *r[i]
		}
		var c kpi.Credit
		c.Model, c.Opportunity, c.Touch, c.Campaign, c.Channel, c.Position, c.Window = str(0), str(1), str(2), str(3), str(4), str(6), str(10)
		ints := []struct {
			col int
			to  *int64
		}{{5, &c.TouchAt}, {7, &c.Weight}, {8, &c.Cents}, {9, &c.Amount}}
		for _, x := range ints {
			if r[x.col] == nil {
				continue
			}
			v, err := strconv.ParseInt(*r[x.col], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("kpisql: credit row %d (%s %s): %s: %w", n+1, c.Model, c.Opportunity, CreditColumns[x.col], err)
			}
			*x.to = v
		}
		bools := []struct {
			col int
			to  *bool
		}{{11, &c.Pipeline}, {12, &c.Bookings}}
		for _, x := range bools {
			v, err := strconv.ParseBool(str(x.col))
			if err != nil {
				return nil, fmt.Errorf("kpisql: credit row %d (%s %s): %s: %w", n+1, c.Model, c.Opportunity, CreditColumns[x.col], err)
			}
			*x.to = v
		}
		out = append(out, c)
	}
	SortCredits(out)
	return out, nil
}

// SortCredits orders credit rows by model, opportunity, touch instant and
// touch Id (the engine writes them in its opportunity table's order).
func SortCredits(cs []kpi.Credit) {
	slices.SortFunc(cs, func(a, b kpi.Credit) int {
		return cmp.Or(strings.Compare(a.Model, b.Model), strings.Compare(a.Opportunity, b.Opportunity),
			cmp.Compare(a.TouchAt, b.TouchAt), strings.Compare(a.Touch, b.Touch))
	})
}
