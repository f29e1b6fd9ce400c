package kpisql

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/kpi"
)

// Row is one row of a generated query as read back: value, num and den in
// millionths, as the decimal text both engines print for an integer (num
// and den nil when NULL).
type Row struct {
	KPI, Dimension, Key, Model string
	Value                      string
	Num, Den                   *string
	Defined                    bool
}

// Values turns the rows of a generated query into the engine's values:
// unit and currency from the catalog, value, numerator and denominator
// back from millionths. A row naming a KPI outside the catalog, a
// duplicate key or a malformed number is an error naming it.
func Values(cfg *kpi.Config, rows []Row) ([]kpi.Value, error) {
	out := make([]kpi.Value, 0, len(rows))
	seen := make(map[[4]string]bool, len(rows))
	for i, r := range rows {
		def, ok := kpi.Lookup(r.KPI)
		if !ok {
			return nil, fmt.Errorf("kpisql: row %d: kpi %q is not in the catalog", i+1, r.KPI)
		}
		k := [4]string{r.KPI, r.Dimension, r.Key, r.Model}
		if seen[k] {
			return nil, fmt.Errorf("kpisql: row %d: two rows for %s %s=%s [%s]", i+1, r.KPI, r.Dimension, r.Key, r.Model)
		}
		seen[k] = true
		v := kpi.Value{KPI: r.KPI, Dimension: r.Dimension, Key: r.Key, Model: r.Model, Unit: def.Unit, Defined: r.Defined}
		var err error
		if v.Value, err = millionths(r.Value); err != nil {
			return nil, fmt.Errorf("kpisql: row %d (%s %s=%s): value: %w", i+1, r.KPI, r.Dimension, r.Key, err)
		}
		if (r.Num == nil) != (r.Den == nil) {
			return nil, fmt.Errorf("kpisql: row %d (%s %s=%s): numerator and denominator must be both set or both NULL", i+1, r.KPI, r.Dimension, r.Key)
		}
		if r.Num != nil {
			v.Quotient = true
			if v.Numerator, err = millionths(*r.Num); err != nil {
				return nil, fmt.Errorf("kpisql: row %d (%s %s=%s): num: %w", i+1, r.KPI, r.Dimension, r.Key, err)
			}
			if v.Denominator, err = millionths(*r.Den); err != nil {
				return nil, fmt.Errorf("kpisql: row %d (%s %s=%s): den: %w", i+1, r.KPI, r.Dimension, r.Key, err)
			}
		}
		if !v.Defined {
			v.Value = decimal.Zero
		}
		if def.Unit == kpi.UnitCurrency {
			v.Currency = cfg.Currency
		}
		out = append(out, v)
	}
	kpi.SortValues(out)
	return out, nil
}

// millionths parses an integer count of 10⁻⁶ (DuckDB prints HUGEINT as
// "123", Athena DECIMAL(38,0) as "123" too).
func millionths(s string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, err
	}
	if !d.Equal(d.Truncate(0)) {
		return decimal.Decimal{}, fmt.Errorf("%q is not a whole number of millionths", s)
	}
	return d.Shift(-6), nil
}

// Result wraps values computed by the SQL as the engine's result of the
// same configuration and period, so the gold writer writes them alike
// (kpi.Result.Rows).
func Result(cfg *kpi.Config, p kpi.Period, values []kpi.Value) *kpi.Result {
	return &kpi.Result{
		Quarter: p.Quarter.String(), AsOf: p.AsOf, Final: p.Final,
		ConfigVersion: fmt.Sprintf("%s@v%d", cfg.Name, cfg.Version), ConfigHash: cfg.Hash,
		Values: values, Currency: cfg.Currency, RetentionSource: RetentionSource(cfg, values),
	}
}
