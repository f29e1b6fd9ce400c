// Package kpicheck checks the KPI engine against an independent DuckDB SQL
// computation over the same Parquet files, written by the lake writer from
// a generated org (shared/kpi/kpigen). The benchmark (scripts/checks/kpibench)
// reuses it at scale.
package kpicheck

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/kpi"
	"github.com/venn-revops/venn/shared/kpi/kpigen"
	"github.com/venn-revops/venn/shared/lake"
	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/pipeline"
)

// Files lists the part files of each object's snapshot.
type Files map[string][]lake.File

// Objects in the order the org is written.
var Objects = []*crm.Object{crm.User, crm.Account, crm.Campaign, crm.Lead, crm.Opportunity, crm.OpportunityHistory, crm.OpportunityContactRole, crm.CampaignMember, crm.Task}

// OptionalObjects are written when the org has them (a non-nil source:
// kpigen's Org.Contracts, Org.Products and Org.LeadHistory; rates:
// Org.Currencies) and read back when written.
var OptionalObjects = []*crm.Object{crm.Product2, crm.Contract, crm.OpportunityLineItem, crm.LeadHistory, crm.CurrencyType, crm.DatedConversionRate}

// WriteOrg writes every object of org with the lake's RowWriter (the real
// snapshot schema: all registry columns, unset ones null) under
// root/object=<Name>/ and returns the files.
func WriteOrg(ctx context.Context, b lake.Blob, root string, org *kpigen.Org, opts lake.WriterOptions) (Files, error) {
	return writeOrg(ctx, b, root, org, opts, lake.NewObjectSchema)
}

func writeOrg(ctx context.Context, b lake.Blob, root string, org *kpigen.Org, opts lake.WriterOptions, schema func(*crm.Object, bool) *lake.ObjectSchema) (Files, error) {
	in := org.Inputs()
	files := Files{}
	var err error
	write := func(o *crm.Object, f func(w *lake.RowWriter) error) {
		if err != nil {
			return
		}
		w := lake.NewRowWriter(ctx, b, root+"/object="+o.Name, "crm/snapshot", schema(o, false), opts)
		if err = f(w); err != nil {
			w.Abort()
			err = fmt.Errorf("write %s: %w", o.Name, err)
			return
		}
		files[o.Name], err = w.Close()
	}
	write(crm.User, func(w *lake.RowWriter) error { return writeAll(w, crm.User, in.Users) })
	write(crm.Account, func(w *lake.RowWriter) error { return writeAll(w, crm.Account, in.Accounts) })
	write(crm.Campaign, func(w *lake.RowWriter) error { return writeAll(w, crm.Campaign, in.Campaigns) })
	write(crm.Lead, func(w *lake.RowWriter) error { return writeAll(w, crm.Lead, in.Leads) })
	write(crm.Opportunity, func(w *lake.RowWriter) error { return writeAll(w, crm.Opportunity, in.Opportunities) })
	write(crm.OpportunityHistory, func(w *lake.RowWriter) error { return writeAll(w, crm.OpportunityHistory, in.OpportunityHistory) })
	write(crm.OpportunityContactRole, func(w *lake.RowWriter) error { return writeAll(w, crm.OpportunityContactRole, in.ContactRoles) })
	write(crm.CampaignMember, func(w *lake.RowWriter) error { return writeAll(w, crm.CampaignMember, in.CampaignMembers) })
	write(crm.Task, func(w *lake.RowWriter) error { return writeAll(w, crm.Task, in.Tasks) })
	if in.Products != nil {
		write(crm.Product2, func(w *lake.RowWriter) error { return writeAll(w, crm.Product2, in.Products) })
	}
	if in.Contracts != nil {
		write(crm.Contract, func(w *lake.RowWriter) error { return writeAll(w, crm.Contract, in.Contracts) })
	}
	if in.LineItems != nil {
		write(crm.OpportunityLineItem, func(w *lake.RowWriter) error { return writeAll(w, crm.OpportunityLineItem, in.LineItems) })
	}
	if in.LeadHistory != nil {
		write(crm.LeadHistory, func(w *lake.RowWriter) error { return writeAll(w, crm.LeadHistory, in.LeadHistory) })
	}
	if !in.Rates.IsZero() {
		ct, dcr := rateRows(in.Rates)
		write(crm.CurrencyType, func(w *lake.RowWriter) error { return writeAll(w, crm.CurrencyType, kpi.Rows(ct)) })
		write(crm.DatedConversionRate, func(w *lake.RowWriter) error { return writeAll(w, crm.DatedConversionRate, kpi.Rows(dcr)) })
	}
	return files, err
}

// rateRows are an org's rates as CurrencyType and DatedConversionRate rows.
func rateRows(r money.Rates) ([]pipeline.CurrencyTypeRow, []pipeline.DatedRateRow) {
	millionths := func(d decimal.Decimal) *int64 { v := d.Shift(crm.RateScale).IntPart(); return &v }
	day := func(t time.Time) *int32 {
		if t.IsZero() {
			return nil
		}
		v := int32(t.Unix() / 86400)
		return &v
	}
	var ct []pipeline.CurrencyTypeRow
	for i, s := range r.Static {
		ct = append(ct, pipeline.CurrencyTypeRow{ID: kpigen.ID("02Z", i), IsoCode: s.Currency, ConversionRate: millionths(s.Rate), IsCorporate: new(s.Currency == r.Corporate)})
	}
	var dcr []pipeline.DatedRateRow
	for i, d := range r.Dated {
		dcr = append(dcr, pipeline.DatedRateRow{ID: kpigen.ID("04w", i), IsoCode: d.Currency, ConversionRate: millionths(d.Rate), StartDate: day(d.Start), NextStartDate: day(d.Next)})
	}
	return ct, dcr
}

// Inputs reads the files back through lake.ScanFilesBorrowed into the engine's
// projections, the path the nightly job takes: one source per part file,
// merged by kpi.Concurrent with the given number of decoding goroutines;
// the rates, when written, through pipeline.ReadRates (it panics on a rate
// file it cannot read: these are files this package wrote).
func (f Files) Inputs(ctx context.Context, b lake.Blob, workers int) kpi.Inputs {
	rates, err := pipeline.ReadRates(ctx, b, f[crm.CurrencyType.Name], f[crm.DatedConversionRate.Name])
	if err != nil {
		panic(fmt.Sprintf("kpicheck: %v", err))
	}
	return kpi.Inputs{
		Rates:              rates,
		Users:              scan[kpi.User](ctx, b, f[crm.User.Name], workers),
		Accounts:           scan[kpi.Account](ctx, b, f[crm.Account.Name], workers),
		Campaigns:          scan[kpi.Campaign](ctx, b, f[crm.Campaign.Name], workers),
		Leads:              scan[kpi.Lead](ctx, b, f[crm.Lead.Name], workers),
		Opportunities:      scan[kpi.Opportunity](ctx, b, f[crm.Opportunity.Name], workers),
		OpportunityHistory: scan[kpi.OpportunityHistory](ctx, b, f[crm.OpportunityHistory.Name], workers),
		ContactRoles:       scan[kpi.ContactRole](ctx, b, f[crm.OpportunityContactRole.Name], workers),
		CampaignMembers:    scan[kpi.CampaignMember](ctx, b, f[crm.CampaignMember.Name], workers),
		Tasks:              scan[kpi.Task](ctx, b, f[crm.Task.Name], workers),
		Contracts:          scanOptional[kpi.Contract](ctx, b, f, crm.Contract, workers),
		LineItems:          scanOptional[kpi.LineItem](ctx, b, f, crm.OpportunityLineItem, workers),
		Products:           scanOptional[kpi.Product](ctx, b, f, crm.Product2, workers),
		LeadHistory:        scanOptional[kpi.LeadHistory](ctx, b, f, crm.LeadHistory, workers),
	}
}

// scanOptional is scan over an optional object's files, nil when none
// were written (the org does not have it).
func scanOptional[T any](ctx context.Context, b lake.Blob, f Files, o *crm.Object, workers int) kpi.Source[T] {
	files := f[o.Name]
	if len(files) == 0 {
		return nil
	}
	return scan[T](ctx, b, files, workers)
}

func scan[T any](ctx context.Context, b lake.Blob, files []lake.File, workers int) kpi.Source[T] {
	srcs := make([]kpi.Source[T], len(files))
	for i, f := range files {
		srcs[i] = func(fn func([]T) error) error { return lake.ScanFilesBorrowed(ctx, b, []lake.File{f}, fn) }
	}
	return kpi.Concurrent(workers, srcs...)
}

// fieldPlan maps one projection field to its registry column.
type fieldPlan struct {
	field, col int
}

// planFor matches a projection struct's parquet tags to o's lake columns.
func planFor(t reflect.Type, o *crm.Object) ([]fieldPlan, error) {
	var plan []fieldPlan
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("parquet"), ",")
		col := o.Column(name)
		if col < 0 {
			return nil, fmt.Errorf("%s has no column %q (projection %s)", o.Name, name, t.Name())
		}
		plan = append(plan, fieldPlan{i, col})
	}
	return plan, nil
}

// writeAll converts projection rows to registry rows (other columns null;
// SystemModstamp, required by the lake, set to CreatedDate or 0).
func writeAll[T any](w *lake.RowWriter, o *crm.Object, src kpi.Source[T]) error {
	plan, err := planFor(reflect.TypeFor[T](), o)
	if err != nil {
		return err
	}
	modstamp, created := o.Column("system_modstamp"), o.Column("created_date")
	var row crm.Row
	return src(func(rows []T) error {
		for i := range rows {
			row.Reset(len(o.Fields))
			v := reflect.ValueOf(&rows[i]).Elem()
			for _, p := range plan {
				row.Values[p.col] = toValue(v.Field(p.field))
			}
			row.Values[modstamp] = crm.Value{I: 0}
			if row.Values[created].Null {
				row.Values[created] = crm.Value{I: 0}
			}
			row.Values[modstamp] = row.Values[created]
			if err := w.Write(&row, ""); err != nil {
				return err
			}
		}
		return nil
	})
}

func toValue(f reflect.Value) crm.Value {
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return crm.Value{Null: true}
		}
		f = f.Elem()
	}
	switch f.Kind() {
	case reflect.String:
		if f.String() == "" {
			return crm.Value{Null: true}
		}
		return crm.Value{S: f.String()}
	case reflect.Bool:
		return crm.Value{B: f.Bool()}
	case reflect.Int64, reflect.Int32:
		return crm.Value{I: f.Int()}
	}
	panic("kpicheck: unsupported projection field kind " + f.Kind().String())
}

// LocalPaths resolves the files of an fsblob lake to OS paths for DuckDB.
func LocalPaths(b interface{ Path(string) (string, error) }, files Files) (map[string][]string, error) {
	out := map[string][]string{}
	for name, fs := range files {
		for _, f := range fs {
			p, err := b.Path(f.Key)
			if err != nil {
				return nil, err
			}
			out[name] = append(out[name], p)
		}
	}
	return out, nil
}
