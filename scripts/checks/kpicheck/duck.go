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

// Sample is the subset of the catalog computed both ways. Money is in
// cents, compared as integers.
type Sample struct {
	OppsCreated, OppsWon, OppsLost int64
	Bookings, PipelineCreated      int64
	MktgSourcedBookings            int64
	Leads, MQLs                    int64
	// First-touch credit by campaign Id (and "unattributed"); zero credits
	// are left out.
	FirstTouchPipeline, FirstTouchBookings map[string]int64
}

// Len is the number of figures in the sample: the eight org figures and
// the first-touch credits.
func (s Sample) Len() int { return 8 + len(s.FirstTouchPipeline) + len(s.FirstTouchBookings) }

// FromResult extracts the sample from the engine's result.
func FromResult(r *kpi.Result) (Sample, error) {
	var s Sample
	var err error
	get := func(name string) int64 {
		v, ok := r.Get(name, kpi.DimOrg, kpi.KeyAll, "")
		if !ok {
			err = fmt.Errorf("result has no org %s", name)
		}
		if v.Unit == kpi.UnitCurrency {
			return v.Value.Shift(2).IntPart()
		}
		return v.Value.IntPart()
	}
	s.OppsCreated, s.OppsWon, s.OppsLost = get("opps_created"), get("opps_won"), get("opps_lost")
	s.Bookings, s.PipelineCreated, s.MktgSourcedBookings = get("bookings"), get("pipeline_created"), get("mktg_sourced_bookings")
	s.Leads, s.MQLs = get("leads"), get("mqls")
	s.FirstTouchPipeline, s.FirstTouchBookings = map[string]int64{}, map[string]int64{}
	for _, v := range r.Values {
		if v.Model != kpi.ModelFirstTouch || v.Dimension != kpi.DimCampaign || v.Value.IsZero() {
			continue
		}
		switch v.KPI {
		case "mktg_influenced_pipeline":
			s.FirstTouchPipeline[v.Key] = v.Value.Shift(2).IntPart()
		case "mktg_influenced_bookings":
			s.FirstTouchBookings[v.Key] = v.Value.Shift(2).IntPart()
		}
	}
	return s, err
}

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
		q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM read_parquet(%s)", view(o), "["+strings.Trim(list(ps), "()")+"]")
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("view %s: %w", o.Name, err)
		}
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
		), s AS (
			SELECT o.*, h.opportunity_id IS NOT NULL AS from_hist,
				CASE WHEN h.opportunity_id IS NOT NULL THEN coalesce(h.stage_name, '') ELSE coalesce(o.stage_name, '') END AS stage,
				CASE WHEN h.opportunity_id IS NOT NULL THEN coalesce(h.amount, 0) ELSE coalesce(o.amount, 0) END AS amt,
				datediff('day', DATE '1970-01-01', CASE WHEN h.opportunity_id IS NOT NULL THEN coalesce(h.close_date, o.close_date) ELSE o.close_date END) AS close_day
			FROM v_opportunity o LEFT JOIN h ON h.opportunity_id = o.id AND h.rn = 1
			WHERE NOT coalesce(o.is_deleted, false) AND epoch_us(o.created_date) < ` + fmt.Sprint(asOf) + `
		)
		SELECT id, epoch_us(created_date) AS created, lead_source, CAST(amt * 100 AS BIGINT) AS cents, close_day,
			owner_id, account_id, campaign_id, ` + classSQL(cfg) + ` AS class,
			CASE WHEN from_hist OR is_won IS NULL OR is_closed IS NULL THEN stage IN ` + list(cfg.WonStages) + ` ELSE is_won END AS won,
			CASE WHEN from_hist OR is_won IS NULL OR is_closed IS NULL THEN stage IN ` + list(closing) + ` ELSE is_closed OR is_won END AS closed,
			` + classSQL(cfg) + ` IN ` + list(cfg.FunnelClasses) + ` AS funnel
		FROM s`
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

// DuckSample computes the sample in SQL, independently of the engine but
// under the rules docs/kpis.md states: state as of the as-of instant from
// the latest history row, periods half-open in UTC microseconds, dates as
// their midnight, first touch by (touch instant, member Id).
func DuckSample(db *sql.DB, cfg *kpi.Config, p kpi.Period) (Sample, error) {
	start := p.Quarter.Start().UnixMicro()
	asOf := p.AsOf.UnixMicro()
	end := min(p.Quarter.End().UnixMicro(), asOf)
	stmts := baseTables(cfg, p)
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			return Sample{}, fmt.Errorf("duckdb: %w\n%s", err, q)
		}
	}
	var s Sample
	err := db.QueryRow(`SELECT
			count(*) FILTER (WHERE created_in), count(*) FILTER (WHERE won_in), count(*) FILTER (WHERE lost_in),
			coalesce(sum(cents) FILTER (WHERE won_in), 0), coalesce(sum(cents) FILTER (WHERE created_in), 0),
			coalesce(sum(cents) FILTER (WHERE won_in AND (CASE WHEN coalesce(w.lead_source, '') <> '' THEN w.lead_source ELSE lk.lead_source END) IN `+list(cfg.MarketingLeadSources)+`), 0)
		FROM w LEFT JOIN lk ON lk.opp_id = w.id`).Scan(&s.OppsCreated, &s.OppsWon, &s.OppsLost, &s.Bookings, &s.PipelineCreated, &s.MktgSourcedBookings)
	if err != nil {
		return s, fmt.Errorf("duckdb opportunities: %w", err)
	}
	mqlCol := cfg.MQL.DateField
	err = db.QueryRow(`SELECT
			count(*) FILTER (WHERE epoch_us(created_date) >= `+fmt.Sprint(start)+` AND epoch_us(created_date) < `+fmt.Sprint(end)+`),
			count(*) FILTER (WHERE mql >= `+fmt.Sprint(start)+` AND mql < `+fmt.Sprint(end)+`)
		FROM (SELECT *, CASE WHEN `+mqlCol+` IS NOT NULL THEN epoch_us(`+mqlCol+`)
				WHEN status IN `+list(cfg.MQL.Statuses)+` THEN epoch_us(created_date) END AS mql
			FROM v_lead WHERE NOT coalesce(is_deleted, false) AND epoch_us(created_date) < `+fmt.Sprint(asOf)+`)`).Scan(&s.Leads, &s.MQLs)
	if err != nil {
		return s, fmt.Errorf("duckdb leads: %w", err)
	}
	window := ""
	for _, m := range cfg.Attribution {
		if m.Name == kpi.ModelFirstTouch && m.Window == kpi.WindowOppCreation {
			window = " AND t.at <= w.created"
		}
	}
	s.FirstTouchPipeline, err = credits(db, "created_in", window)
	if err != nil {
		return s, err
	}
	s.FirstTouchBookings, err = credits(db, "won_in", window)
	return s, err
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

// credits is the first-touch credit by campaign of the population rows
// selected by flag, with untouched amounts under "unattributed"; window
// ends the model's window (opportunity creation) or is empty (close).
func credits(db *sql.DB, flag, window string) (map[string]int64, error) {
	rows, err := db.Query(`SELECT coalesce(t.campaign_id, '` + kpi.KeyUnattributed + `') AS k, CAST(sum(w.cents) AS BIGINT)
		FROM w LEFT JOIN t ON t.opp_id = w.id AND t.pos = 1` + window + `
		WHERE w.` + flag + ` AND w.cents <> 0 GROUP BY k`)
	if err != nil {
		return nil, fmt.Errorf("duckdb first touch: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var c int64
		if err := rows.Scan(&k, &c); err != nil {
			return nil, err
		}
		if c != 0 {
			out[k] = c
		}
	}
	return out, rows.Err()
}
