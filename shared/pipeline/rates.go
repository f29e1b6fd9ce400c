package pipeline

import (
	"context"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"
	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/money"
)

// rateInputs are the optional snapshots of a multi-currency org's exchange
// rates, read by the KPI job to convert opportunities into the reporting
// currency (kpi's fx.go) and by payouts to convert deals into the pay
// currency (comp's fx.go). A single-currency org has neither: its jobs
// read no rates.
var rateInputs = []*crm.Object{crm.CurrencyType, crm.DatedConversionRate}

// CurrencyTypeRow is the projection of the CurrencyType snapshot (ReadRates;
// kpicheck writes generated orgs' rates with it).
type CurrencyTypeRow struct {
	ID             string `parquet:"id"`
	IsoCode        string `parquet:"iso_code,optional"`
	ConversionRate *int64 `parquet:"conversion_rate,optional,decimal(6:18)"`
	IsCorporate    *bool  `parquet:"is_corporate,optional"`
}

// DatedRateRow is the projection of the DatedConversionRate snapshot.
type DatedRateRow struct {
	ID             string `parquet:"id"`
	IsoCode        string `parquet:"iso_code,optional"`
	ConversionRate *int64 `parquet:"conversion_rate,optional,decimal(6:18)"`
	StartDate      *int32 `parquet:"start_date,optional,date"`
	NextStartDate  *int32 `parquet:"next_start_date,optional,date"`
}

// readRates reads the org's rates from the CurrencyType and
// DatedConversionRate snapshots in snaps (either may be absent): ReadRates
// over their files.
func (e *Env) readRates(ctx context.Context, snaps map[string]*lake.Manifest) (money.Rates, error) {
	var ct, dcr []lake.File
	if m := snaps[crm.CurrencyType.Name]; m != nil {
		ct = m.Files
	}
	if m := snaps[crm.DatedConversionRate.Name]; m != nil {
		dcr = m.Files
	}
	return ReadRates(ctx, e.Blob, ct, dcr)
}

// ReadRates reads an org's rates from the files of its CurrencyType and
// DatedConversionRate snapshots (none: a single-currency org, no rates).
// Rates are exact: the lake holds them as DECIMAL(18,6). A row without a
// code or a rate is an error naming it; money.Rates.Problems checks the
// rest (ISO codes, rates above 0, overlapping ranges), which the KPI
// engine and comp run before anything is computed.
func ReadRates(ctx context.Context, b lake.Blob, currencyTypes, datedRates []lake.File) (money.Rates, error) {
	var r money.Rates
	rate := func(v *int64) decimal.Decimal { return decimal.New(*v, -crm.RateScale) }
	err := lake.ScanFiles(ctx, b, currencyTypes, func(rows []CurrencyTypeRow) error {
		for _, c := range rows {
			if c.IsoCode == "" || c.ConversionRate == nil {
				return fmt.Errorf("CurrencyType %s: no IsoCode or ConversionRate", c.ID)
			}
			r.Static = append(r.Static, money.StaticRate{Currency: c.IsoCode, Rate: rate(c.ConversionRate)})
			if c.IsCorporate != nil && *c.IsCorporate {
				if r.Corporate != "" && r.Corporate != c.IsoCode {
					return fmt.Errorf("CurrencyType %s: %s and %s are both corporate", c.ID, r.Corporate, c.IsoCode)
				}
				r.Corporate = c.IsoCode
			}
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("rates: %w", err)
	}
	err = lake.ScanFiles(ctx, b, datedRates, func(rows []DatedRateRow) error {
		for _, d := range rows {
			if d.IsoCode == "" || d.ConversionRate == nil || d.StartDate == nil {
				return fmt.Errorf("DatedConversionRate %s: no IsoCode, ConversionRate or StartDate", d.ID)
			}
			dr := money.DatedRate{Currency: d.IsoCode, Rate: rate(d.ConversionRate), Start: crm.TimeOfDays(int64(*d.StartDate))}
			if d.NextStartDate != nil {
				dr.Next = crm.TimeOfDays(int64(*d.NextStartDate))
			}
			r.Dated = append(r.Dated, dr)
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("rates: %w", err)
	}
	// Snapshot order is the lake's; sorted, the run's input is the same
	// whatever order the files hold the rows in.
	sort.Slice(r.Static, func(i, j int) bool { return r.Static[i].Currency < r.Static[j].Currency })
	sort.Slice(r.Dated, func(i, j int) bool {
		a, b := r.Dated[i], r.Dated[j]
		if a.Currency != b.Currency {
			return a.Currency < b.Currency
		}
		return a.Start.Before(b.Start)
	})
	return r, nil
}
