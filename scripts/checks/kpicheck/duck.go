package kpicheck

import (
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/venn-revops/venn/shared/crm"
	"github.com/venn-revops/venn/shared/kpi"
)

// lit renders a string as a SQL literal.
func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// list renders strings as a SQL list literal.
func list(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = lit(s)
	}
	if len(q) == 0 {
		return "(NULL)"
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// CreateViews points one DuckDB view per object at its Parquet files.
func CreateViews(db *sql.DB, paths map[string][]string) error {
	if _, err := db.Exec("SET TimeZone='UTC'"); err != nil {
		return err
	}
	for _, o := range Objects {
		ps := paths[o.Name]
		if len(ps) == 0 {
			return fmt.Errorf("no files for %s", o.Name)
		}
		if err := createView(db, o, ps); err != nil {
			return err
		}
	}
	// Optional objects get a view when they were written with rows;
	// v_contract and v_leadhistory always have one (contractView,
	// leadHistoryView: empty without the object), and so do the rates
	// (empty for a single-currency org).
	for _, o := range OptionalObjects {
		ps := paths[o.Name]
		switch {
		case len(ps) > 0 && o != crm.Contract && o != crm.LeadHistory:
			if err := createView(db, o, ps); err != nil {
				return err
			}
		case len(ps) == 0 && emptyViews[o.Name] != "":
			if _, err := db.Exec("CREATE OR REPLACE VIEW " + view(o) + " AS " + emptyViews[o.Name]); err != nil {
				return fmt.Errorf("view %s: %w", o.Name, err)
			}
		}
	}
	if err := leadHistoryView(db, paths); err != nil {
		return err
	}
	return contractView(db, paths)
}

// emptyViews are the rate objects' views of a single-currency org: their
// columns, no rows.
var emptyViews = map[string]string{
	crm.CurrencyType.Name:        "SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS iso_code, NULL::DECIMAL(18,6) AS conversion_rate, NULL::BOOLEAN AS is_corporate WHERE false",
	crm.DatedConversionRate.Name: "SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS iso_code, NULL::DECIMAL(18,6) AS conversion_rate, NULL::DATE AS start_date, NULL::DATE AS next_start_date WHERE false",
}

func createView(db *sql.DB, o *crm.Object, ps []string) error {
	q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM read_parquet(%s)", view(o), "["+strings.Trim(list(ps), "()")+"]")
	if _, err := db.Exec(q); err != nil {
		return fmt.Errorf("view %s: %w", o.Name, err)
	}
	return nil
}

func view(o *crm.Object) string { return "v_" + strings.ToLower(o.Name) }

// baseTables are the temp tables the SQL checks share, built under the
// rules docs/kpis.md states: o, every opportunity known at the as-of
// instant with its as-of state and class; w, the funnel ones with their
// period flags; lk, the known leads converted into known opportunities;
// t, the touches of the influenced population in the widest window
// (lookback to the end of the close day, or the as-of instant).
func baseTables(cfg *kpi.Config, p kpi.Period) []string {
	start := p.Quarter.Start().UnixMicro()
	asOf := p.AsOf.UnixMicro()
	end := min(p.Quarter.End().UnixMicro(), asOf)
	const day = "86400000000"
	return []string{
		`CREATE OR REPLACE TEMP TABLE o AS ` + oppStateSQL(cfg, asOf),
		`CREATE OR REPLACE TEMP TABLE w AS SELECT *,
			created >= ` + fmt.Sprint(start) + ` AND created < ` + fmt.Sprint(end) + ` AS created_in,
			won AND close_day * ` + day + ` >= ` + fmt.Sprint(start) + ` AND close_day * ` + day + ` < ` + fmt.Sprint(end) + ` AS won_in,
			closed AND NOT won AND close_day * ` + day + ` >= ` + fmt.Sprint(start) + ` AND close_day * ` + day + ` < ` + fmt.Sprint(end) + ` AS lost_in
		FROM o WHERE funnel`,
		`CREATE OR REPLACE TEMP TABLE lk AS
			SELECT l.id AS lead_id, l.converted_opportunity_id AS opp_id, l.lead_source, epoch_us(l.created_date) AS lead_created
			FROM v_lead l WHERE NOT coalesce(l.is_deleted, false) AND epoch_us(l.created_date) < ` + fmt.Sprint(asOf) + `
				AND l.converted_opportunity_id IN (SELECT id FROM o)`,
		`CREATE OR REPLACE TEMP TABLE t AS
		WITH pop AS (SELECT * FROM w WHERE created_in OR won_in),
		m AS (
			SELECT m.id, m.campaign_id, m.lead_id, m.contact_id,
				` + touchAt(cfg) + ` AS at
			FROM v_campaignmember m JOIN v_campaign c ON c.id = m.campaign_id AND NOT coalesce(c.is_deleted, false)
			WHERE ` + touchAt(cfg) + ` IS NOT NULL AND (` + fmt.Sprint(!cfg.RespondedOnly) + ` OR coalesce(m.has_responded, false))
				AND (` + fmt.Sprint(len(cfg.MarketingCampaignTypes) == 0) + ` OR c.type IN ` + list(cfg.MarketingCampaignTypes) + `)
		),
		link AS (
			SELECT m.id, m.campaign_id, m.at, lk.opp_id FROM m JOIN lk ON m.lead_id = lk.lead_id
			UNION
			SELECT m.id, m.campaign_id, m.at, r.opportunity_id FROM m JOIN v_opportunitycontactrole r
				ON m.contact_id = r.contact_id AND NOT coalesce(r.is_deleted, false)
		)
		SELECT link.*, row_number() OVER (PARTITION BY link.opp_id ORDER BY link.at, link.id) AS pos
		FROM link JOIN pop ON pop.id = link.opp_id
		WHERE link.at < ` + fmt.Sprint(asOf) + `
			AND link.at >= pop.created - ` + fmt.Sprint(cfg.LookbackDays) + ` * ` + day + `
			AND (NOT pop.closed OR link.at < (pop.close_day + 1) * ` + day + `)`,
	}
}

// oppStateSQL is every opportunity as known strictly before asOf
// (docs/kpis.md §1, As-of state): the latest history row before it, else
// the snapshot row; won and closed from the stage name when the state
// comes from history or the snapshot's flags are null.
func oppStateSQL(cfg *kpi.Config, asOf int64) string {
	closing := append(slices.Clone(cfg.WonStages), cfg.LostStages...)
	return `WITH h AS (
			SELECT opportunity_id, stage_name, amount, close_date,
				row_number() OVER (PARTITION BY opportunity_id ORDER BY epoch_us(created_date) DESC, id DESC) AS rn
			FROM v_opportunityhistory
			WHERE NOT coalesce(is_deleted, false) AND epoch_us(created_date) < ` + fmt.Sprint(asOf) + `
		), s0 AS (
			SELECT o.*, h.opportunity_id IS NOT NULL AS from_hist,
				CASE WHEN h.opportunity_id IS NOT NULL THEN coalesce(h.stage_name, '') ELSE coalesce(o.stage_name, '') END AS stage,
				CASE WHEN h.opportunity_id IS NOT NULL THEN coalesce(h.amount, 0) ELSE coalesce(o.amount, 0) END AS amt,
				CASE WHEN h.opportunity_id IS NOT NULL THEN coalesce(h.close_date, o.close_date) ELSE o.close_date END AS close_date_asof
			FROM v_opportunity o LEFT JOIN h ON h.opportunity_id = o.id AND h.rn = 1
			WHERE NOT coalesce(o.is_deleted, false) AND epoch_us(o.created_date) < ` + fmt.Sprint(asOf) + `
		), s AS (
			SELECT *, datediff('day', DATE '1970-01-01', close_date_asof) AS close_day FROM s0
		)
		SELECT id, epoch_us(created_date) AS created, lead_source, ` + convertedCents(cfg) + ` AS cents, close_day,
			owner_id, account_id, campaign_id, ` + classSQL(cfg) + ` AS class,
			CASE WHEN from_hist OR is_won IS NULL OR is_closed IS NULL THEN stage IN ` + list(cfg.WonStages) + ` ELSE is_won END AS won,
			CASE WHEN from_hist OR is_won IS NULL OR is_closed IS NULL THEN stage IN ` + list(closing) + ` ELSE is_closed OR is_won END AS closed,
			` + classSQL(cfg) + ` IN ` + list(cfg.FunnelClasses) + ` AS funnel
		FROM s`
}

// convertedCents is an as-of state row's amount (amt, in currency_iso_code;
// blank: the reporting currency) in cents of the reporting currency, as
// docs/kpis.md states it: a counted opportunity in another currency at the
// rate in force on its as-of close date (close_date_asof), dated rates
// when the org has any, else static, the corporate currency at 1; amount ×
// rate(reporting) ÷ rate(its currency), rounded half away from zero to
// the cent. A missing rate is NULL here: the engine fails the run then,
// and the comparison would show the NULL.
func convertedCents(cfg *kpi.Config) string {
	rate := func(cur string) string {
		return `(SELECT CASE WHEN ` + cur + ` = (SELECT iso_code FROM v_currencytype WHERE is_corporate) THEN 1::DECIMAL(18,6)
			WHEN EXISTS (SELECT 1 FROM v_datedconversionrate) THEN (SELECT d.conversion_rate FROM v_datedconversionrate d
				WHERE d.iso_code = ` + cur + ` AND d.start_date <= close_date_asof AND (d.next_start_date IS NULL OR close_date_asof < d.next_start_date))
			ELSE (SELECT c.conversion_rate FROM v_currencytype c WHERE c.iso_code = ` + cur + `) END)`
	}
	// Exact in HUGEINT millionths: n = cents × to, d = from; the quotient
	// rounded half away from zero.
	n := `(CAST(amt * 100 AS HUGEINT) * CAST(` + rate(lit(cfg.Currency)) + ` * 1000000 AS HUGEINT))`
	d := `CAST(` + rate("coalesce(nullif(currency_iso_code, ''), "+lit(cfg.Currency)+")") + ` * 1000000 AS HUGEINT)`
	return `CASE WHEN coalesce(nullif(currency_iso_code, ''), ` + lit(cfg.Currency) + `) = ` + lit(cfg.Currency) + ` OR ` + classSQL(cfg) + ` IS NULL
			THEN CAST(amt * 100 AS BIGINT)
			ELSE CAST(CASE WHEN ` + n + ` >= 0 THEN (2 * ` + n + ` + ` + d + `) // (2 * ` + d + `)
				ELSE -((-2 * ` + n + ` + ` + d + `) // (2 * ` + d + `)) END AS BIGINT) END`
}

// classSQL is the class of an opportunity row's type: the untyped class
// for a blank type, NULL for a type listed in no class.
func classSQL(cfg *kpi.Config) string {
	byClass := map[string][]string{}
	for t, c := range cfg.TypeClass {
		byClass[c] = append(byClass[c], t)
	}
	q := "CASE WHEN coalesce(type, '') = '' THEN " + lit(cfg.Untyped)
	for _, c := range slices.Sorted(maps.Keys(byClass)) {
		slices.Sort(byClass[c])
		q += " WHEN type IN " + list(byClass[c]) + " THEN " + lit(c)
	}
	return q + " END"
}

// PrepareBase creates baseTables for cfg and p (DuckCredits reads them).
func PrepareBase(db *sql.DB, cfg *kpi.Config, p kpi.Period) error {
	for _, q := range baseTables(cfg, p) {
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("duckdb: %w\n%s", err, q)
		}
	}
	return nil
}

// touchAt is the SQL touch instant of member m: the first non-null field
// of attribution.touch_time, a date as its midnight UTC.
func touchAt(cfg *kpi.Config) string {
	var fs []string
	for _, f := range cfg.TouchTime {
		switch f {
		case kpi.TouchCreatedDate:
			fs = append(fs, "epoch_us(m.created_date)")
		case kpi.TouchFirstResponded:
			fs = append(fs, "CAST(datediff('day', DATE '1970-01-01', m.first_responded_date) AS BIGINT) * 86400000000")
		case kpi.TouchCustomDate:
			fs = append(fs, "epoch_us(m.touch_date)")
		}
	}
	return "coalesce(" + strings.Join(fs, ", ") + ")"
}
