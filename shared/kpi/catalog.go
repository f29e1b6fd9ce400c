package kpi

import (
	"slices"

	"github.com/shopspring/decimal"
)

// Units of a KPI value.
const (
	UnitCount    = "count"
	UnitCurrency = "currency"
	UnitRatio    = "ratio"
	UnitDays     = "days"
	UnitHours    = "hours"
)

// Owners of a KPI: who answers for it. Shared KPIs pay both teams.
const (
	OwnerMarketing = "marketing"
	OwnerSales     = "sales"
	OwnerShared    = "shared"
)

// Counting bases.
const (
	// BasisPeriod counts events whose instant falls in the period (flow).
	BasisPeriod = "period"
	// BasisCohort follows the leads created in the period to their fate as
	// of the as-of instant.
	BasisCohort = "cohort"
	// BasisSnapshot measures state at the as-of instant (open pipeline).
	BasisSnapshot = "snapshot"
	// BasisTrailingYear compares recurring revenue at the start and end of
	// the twelve months ending at the window's end (ARR, NRR, GRR).
	BasisTrailingYear = "trailing_12_months"
)

// Definition describes one catalog KPI. docs/kpis.md holds the full formula
// and a worked example for each.
type Definition struct {
	Name        string
	Unit        string
	Owner       string
	Basis       string
	Modeled     bool     // one value per attribution model
	Dimensions  []string // dimensions it is computed for (if configured)
	Fields      []string // CRM columns read, object.column
	Description string
}

// Ratio values carry RatioPlaces decimal places, rounded half away from
// zero (half-up for the non-negative ratios of the catalog).
const RatioPlaces = 6

var (
	leadDims     = []string{DimOrg, DimTeam, DimSegment, DimRegion, DimOwner, DimChannel}
	oppDims      = []string{DimOrg, DimTeam, DimSegment, DimRegion, DimOwner, DimChannel, DimCampaign}
	renewalDims  = []string{DimOrg, DimTeam, DimSegment, DimRegion, DimOwner}
	userDims     = []string{DimOrg, DimTeam, DimOwner}
	touchDims    = []string{DimOrg, DimCampaign, DimChannel}
	leadFields   = []string{"Lead.created_date", "Lead.owner_id", "Lead.segment", "Lead.region", "Lead.lead_source", "User.team"}
	stageFields  = []string{"Lead.mql_date", "Lead.sql_date", "Lead.status", "Lead.created_date"}
	oppFields    = []string{"Opportunity.created_date", "Opportunity.type", "Opportunity.owner_id", "Opportunity.account_id", "Account.segment", "Account.region", "Opportunity.lead_source", "Opportunity.campaign_id", "User.team"}
	stateFields  = []string{"Opportunity.stage_name", "Opportunity.is_won", "Opportunity.is_closed", "Opportunity.close_date", "Opportunity.amount", "Opportunity.currency_iso_code", "OpportunityHistory.created_date", "OpportunityHistory.stage_name", "OpportunityHistory.amount", "OpportunityHistory.close_date"}
	touchFields  = []string{"CampaignMember.campaign_id", "CampaignMember.lead_id", "CampaignMember.contact_id", "CampaignMember.has_responded", "CampaignMember.first_responded_date", "CampaignMember.created_date", "Campaign.type", "OpportunityContactRole.opportunity_id", "OpportunityContactRole.contact_id", "Lead.converted_opportunity_id", "Lead.created_date"}
	taskFields   = []string{"Task.type", "Task.owner_id", "Task.who_id", "Task.created_date", "Task.activity_date"}
	convertField = []string{"Lead.converted_opportunity_id"}
	exitFields   = []string{"Lead.status", "Lead.converted_opportunity_id", "LeadHistory.lead_id", "LeadHistory.field", "LeadHistory.old_value", "LeadHistory.new_value", "LeadHistory.created_date", "LeadHistory.is_deleted"}
	histFields   = []string{"Opportunity.type", "OpportunityHistory.id", "OpportunityHistory.opportunity_id", "OpportunityHistory.created_date", "OpportunityHistory.stage_name"}
	respFields   = cat(leadFields, stageFields, taskFields, []string{"Task.created_by_id", "User.profile_id", "User.user_type"})
	costFields   = []string{"Campaign.actual_cost", "Campaign.start_date", "Campaign.end_date", "Campaign.type", "Campaign.is_deleted"}
	costDims     = []string{DimOrg, DimChannel}

	// The contract reading of the retention KPIs; renewal_rate and nrr read
	// renewal opportunities instead under retention.source
	// renewal_opportunities (step_contracts.go).
	contractFields = []string{"Contract.account_id", "Contract.owner_id", "Contract.status_code", "Contract.start_date", "Contract.end_date", "Contract.created_date", "Account.segment", "Account.region", "User.team"}
	arrFields      = cat(contractFields, []string{"Contract.recurring_amount", "Contract.contract_term"})
)

// kpiSpec is a catalog entry with its formula over a tally.
type kpiSpec struct {
	Definition
	eval func(t *tally) measure
}

func cat(fs ...[]string) []string { return slices.Concat(fs...) }

// specs is the catalog, in the order results are sorted. The marketing
// influenced KPIs and deal counts are computed by the attribution pass, not from tallies,
// the target KPIs need the configured targets, and the cost KPIs the
// campaigns' cost (cost.go) (eval is nil for all three).
var specs = []kpiSpec{
	{Definition{"leads", UnitCount, OwnerMarketing, BasisPeriod, false, leadDims, leadFields, "Leads created in the period."},
		func(t *tally) measure { return count(t.leads) }},
	{Definition{"leads_disqualified", UnitCount, OwnerShared, BasisPeriod, false, leadDims, cat(leadFields, exitFields), "Leads whose Status changed (LeadHistory) into a status of funnel.lead_exits.disqualified from one outside it within the period, each once; without a known Status change (Result.LeadExitSource current_status): the period's unconverted leads whose current Status is listed."},
		func(t *tally) measure { return count(t.leadsDisqualified) }},
	{Definition{"leads_recycled", UnitCount, OwnerShared, BasisPeriod, false, leadDims, cat(leadFields, exitFields), "The same as leads_disqualified for funnel.lead_exits.recycled (leads sent back to nurture)."},
		func(t *tally) measure { return count(t.leadsRecycled) }},
	{Definition{"mqls", UnitCount, OwnerMarketing, BasisPeriod, false, leadDims, cat(leadFields, stageFields), "Leads that became marketing-qualified in the period."},
		func(t *tally) measure { return count(t.mqls) }},
	{Definition{"sqls", UnitCount, OwnerShared, BasisPeriod, false, leadDims, cat(leadFields, stageFields), "Leads accepted by sales (SQL) in the period."},
		func(t *tally) measure { return count(t.sqls) }},
	{Definition{"opps_created", UnitCount, OwnerSales, BasisPeriod, false, oppDims, oppFields, "Funnel opportunities created in the period."},
		func(t *tally) measure { return count(t.oppsCreated) }},
	{Definition{"opps_won", UnitCount, OwnerSales, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "Funnel opportunities won (as of the as-of instant) with a close date in the period."},
		func(t *tally) measure { return count(t.won) }},
	{Definition{"opps_lost", UnitCount, OwnerSales, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "Funnel opportunities lost with a close date in the period."},
		func(t *tally) measure { return count(t.lost) }},
	{Definition{"bookings", UnitCurrency, OwnerShared, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "Amount of funnel opportunities won with a close date in the period."},
		func(t *tally) measure { return cents(t.bookings) }},
	{Definition{"pipeline_created", UnitCurrency, OwnerShared, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "Amount (as of the as-of instant) of funnel opportunities created in the period."},
		func(t *tally) measure { return cents(t.pipelineCreated) }},
	{Definition{"open_pipeline", UnitCurrency, OwnerSales, BasisSnapshot, false, oppDims, cat(oppFields, stateFields), "Amount of funnel opportunities open at the as-of instant with a close date in the quarter."},
		func(t *tally) measure { return cents(t.openPipeline) }},
	{Definition{"win_rate", UnitRatio, OwnerSales, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "opps_won ÷ (opps_won + opps_lost), by count."},
		func(t *tally) measure { return ratio(t.won, t.won+t.lost) }},
	{Definition{"avg_deal_size", UnitCurrency, OwnerSales, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "bookings ÷ opps_won, rounded to the cent."},
		func(t *tally) measure { return avgMoney(t.bookings, t.won) }},
	{Definition{"sales_cycle_days", UnitDays, OwnerSales, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "Mean whole days from creation (UTC day) to close date over opportunities won or lost in the period."},
		func(t *tally) measure { return ratio(t.closedDays, t.won+t.lost) }},
	{Definition{"conv_lead_mql", UnitRatio, OwnerMarketing, BasisPeriod, false, leadDims, cat(leadFields, stageFields), "mqls ÷ leads in the same period (flow; can exceed 1)."},
		func(t *tally) measure { return ratio(t.mqls, t.leads) }},
	{Definition{"conv_mql_sql", UnitRatio, OwnerShared, BasisPeriod, false, leadDims, cat(leadFields, stageFields), "sqls ÷ mqls in the same period (flow; can exceed 1)."},
		func(t *tally) measure { return ratio(t.sqls, t.mqls) }},
	{Definition{"conv_sql_opp", UnitRatio, OwnerShared, BasisPeriod, false, leadDims, cat(leadFields, stageFields, oppFields), "opps_created ÷ sqls in the same period (flow; can exceed 1)."},
		func(t *tally) measure { return ratio(t.oppsCreated, t.sqls) }},
	{Definition{"conv_opp_won", UnitRatio, OwnerSales, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "opps_won ÷ opps_created in the same period (flow; can exceed 1)."},
		func(t *tally) measure { return ratio(t.won, t.oppsCreated) }},
	{Definition{"conv_lead_mql_cohort", UnitRatio, OwnerMarketing, BasisCohort, false, leadDims, cat(leadFields, stageFields), "Of the leads created in the period, the share that reached MQL by the as-of instant."},
		func(t *tally) measure { return ratio(t.cohortMQL, t.cohort) }},
	{Definition{"conv_mql_sql_cohort", UnitRatio, OwnerShared, BasisCohort, false, leadDims, cat(leadFields, stageFields), "Of the period's leads that reached MQL, the share that also reached SQL by the as-of instant."},
		func(t *tally) measure { return ratio(t.cohortSQL, t.cohortMQL) }},
	{Definition{"conv_sql_opp_cohort", UnitRatio, OwnerShared, BasisCohort, false, leadDims, cat(leadFields, stageFields, convertField), "Of the period's leads that reached MQL and SQL, the share converted into an opportunity existing at the as-of instant."},
		func(t *tally) measure { return ratio(t.cohortOpp, t.cohortSQL) }},
	{Definition{"conv_opp_won_cohort", UnitRatio, OwnerSales, BasisCohort, false, leadDims, cat(leadFields, stageFields, convertField, stateFields), "Of the period's leads converted into an opportunity (after MQL and SQL), the share whose opportunity is won at the as-of instant."},
		func(t *tally) measure { return ratio(t.cohortWon, t.cohortOpp) }},
	{Definition{"velocity_mql_sql_days", UnitDays, OwnerShared, BasisPeriod, false, leadDims, cat(leadFields, stageFields), "Mean days from MQL to SQL over leads that became SQL in the period."},
		func(t *tally) measure { return meanDays(t.mqlSQLMicros, t.mqlSQLN) }},
	{Definition{"velocity_sql_opp_days", UnitDays, OwnerShared, BasisPeriod, false, oppDims, cat(oppFields, stageFields, convertField), "Mean days from the converted lead's SQL to opportunity creation over opportunities created in the period."},
		func(t *tally) measure { return meanDays(t.sqlOppMicros, t.sqlOppN) }},
	{Definition{"velocity_lead_mql_days", UnitDays, OwnerMarketing, BasisPeriod, false, leadDims, cat(leadFields, stageFields), "Mean days from lead creation to MQL over leads that became MQL in the period."},
		func(t *tally) measure { return meanDays(t.leadMQLMicros, t.leadMQLN) }},
	{Definition{"velocity_lead_mql_days_median", UnitDays, OwnerMarketing, BasisPeriod, false, leadDims, cat(leadFields, stageFields), "Median days from lead creation to MQL over leads that became MQL in the period."},
		func(t *tally) measure { return median(t.leadMQLTimes, microsPerDay) }},
	{Definition{"velocity_mql_sql_days_median", UnitDays, OwnerShared, BasisPeriod, false, leadDims, cat(leadFields, stageFields), "Median days from MQL to SQL over leads that became SQL in the period."},
		func(t *tally) measure { return median(t.mqlSQLTimes, microsPerDay) }},
	{Definition{"velocity_sql_opp_days_median", UnitDays, OwnerShared, BasisPeriod, false, oppDims, cat(oppFields, stageFields, convertField), "Median days from the converted lead's SQL to opportunity creation over opportunities created in the period."},
		func(t *tally) measure { return median(t.sqlOppTimes, microsPerDay) }},
	{Definition{"velocity_opp_won_days", UnitDays, OwnerSales, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "Mean whole days from creation (UTC day) to close date over opportunities won in the period."},
		func(t *tally) measure { return ratio(t.wonDays, t.won) }},
	// The 90th percentiles of the hand-offs (issue 16's hand-off map): how
	// long the slowest tenth waits, beside the medians.
	{Definition{"velocity_lead_mql_days_p90", UnitDays, OwnerMarketing, BasisPeriod, false, leadDims, cat(leadFields, stageFields), "90th percentile (nearest rank) of the days from lead creation to MQL over leads that became MQL in the period."},
		func(t *tally) measure { return p90(t.leadMQLTimes, microsPerDay) }},
	{Definition{"velocity_mql_sql_days_p90", UnitDays, OwnerShared, BasisPeriod, false, leadDims, cat(leadFields, stageFields), "90th percentile (nearest rank) of the days from MQL to SQL over leads that became SQL in the period."},
		func(t *tally) measure { return p90(t.mqlSQLTimes, microsPerDay) }},
	{Definition{"velocity_sql_opp_days_p90", UnitDays, OwnerShared, BasisPeriod, false, oppDims, cat(oppFields, stageFields, convertField), "90th percentile (nearest rank) of the days from the converted lead's SQL to opportunity creation over opportunities created in the period."},
		func(t *tally) measure { return p90(t.sqlOppTimes, microsPerDay) }},
	// Opportunity KPIs of issue 12 (docs/kpis.md §2, "Lost amount" on).
	{Definition{"lost_amount", UnitCurrency, OwnerSales, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "Amount of funnel opportunities lost with a close date in the period."},
		func(t *tally) measure { return cents(t.lostCents) }},
	{Definition{"win_rate_amount", UnitRatio, OwnerSales, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "bookings ÷ (bookings + lost_amount): win rate by amount."},
		func(t *tally) measure { return ratioCents(t.bookings, t.bookings+t.lostCents) }},
	{Definition{"opps_open", UnitCount, OwnerSales, BasisSnapshot, false, oppDims, cat(oppFields, stateFields), "Funnel opportunities open at the as-of instant with a close date in the quarter (open_pipeline's opportunities)."},
		func(t *tally) measure { return count(t.oppsOpen) }},
	{Definition{"sales_cycle_days_median", UnitDays, OwnerSales, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "Median of sales_cycle_days' whole days (won or lost in the period); an even count takes the mean of the two middle values."},
		func(t *tally) measure { return median(t.closedDayList, decimal.NewFromInt(1)) }},
	{Definition{"velocity_opp_won_days_median", UnitDays, OwnerSales, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "Median of velocity_opp_won_days' whole days (won in the period); an even count takes the mean of the two middle values."},
		func(t *tally) measure { return median(t.wonDayList, decimal.NewFromInt(1)) }},
	{Definition{"velocity_opp_won_days_p90", UnitDays, OwnerSales, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "90th percentile (nearest rank) of velocity_opp_won_days' whole days (won in the period)."},
		func(t *tally) measure { return p90(t.wonDayList, decimal.NewFromInt(1)) }},
	{Definition{"deal_size_median", UnitCurrency, OwnerSales, BasisPeriod, false, oppDims, cat(oppFields, stateFields), "Median amount of the opportunities won in the period; an even count takes the mean of the two middle amounts, rounded to the cent half away from zero."},
		func(t *tally) measure { return medianScaled(t.wonCentsList, decimal.NewFromInt(100), 2) }},
	{Definition{"stage_days", UnitDays, OwnerSales, BasisPeriod, false, []string{DimStage}, histFields, "Mean days a funnel opportunity spent in a stage (key: stage name), over the visits to it that ended in the period."}, nil},
	{Definition{"stage_days_median", UnitDays, OwnerSales, BasisPeriod, false, []string{DimStage}, histFields, "Median of stage_days' visits; an even count takes the mean of the two middle values."}, nil},
	{Definition{"pipeline_coverage_start", UnitRatio, OwnerSales, BasisSnapshot, false, userDims, cat(oppFields, stateFields), "open_pipeline as known at the quarter's first instant (close date in the quarter) ÷ bookings_target."}, nil},
	{Definition{"pipeline_coverage_next_quarter", UnitRatio, OwnerSales, BasisSnapshot, false, userDims, cat(oppFields, stateFields), "Open pipeline at the as-of instant with a close date in the next quarter ÷ the next quarter's bookings target."}, nil},
	{Definition{"bookings_target", UnitCurrency, OwnerShared, BasisPeriod, false, userDims, nil, "The configured bookings target of the quarter."}, nil},
	{Definition{"bookings_attainment", UnitRatio, OwnerShared, BasisPeriod, false, userDims, cat(oppFields, stateFields), "bookings ÷ bookings_target."}, nil},
	{Definition{"pipeline_target", UnitCurrency, OwnerShared, BasisPeriod, false, userDims, nil, "The configured pipeline-created target of the quarter."}, nil},
	{Definition{"pipeline_attainment", UnitRatio, OwnerShared, BasisPeriod, false, userDims, cat(oppFields, stateFields), "pipeline_created ÷ pipeline_target."}, nil},
	{Definition{"pipeline_coverage", UnitRatio, OwnerSales, BasisSnapshot, false, userDims, cat(oppFields, stateFields), "open_pipeline ÷ remaining bookings target (bookings_target − bookings); undefined once the target is met."}, nil},
	{Definition{"mqls_target", UnitCount, OwnerMarketing, BasisPeriod, false, userDims, nil, "The configured MQL target of the quarter (n/a when the target row sets none)."}, nil},
	{Definition{"mqls_attainment", UnitRatio, OwnerMarketing, BasisPeriod, false, userDims, cat(leadFields, stageFields), "mqls ÷ mqls_target."}, nil},
	{Definition{"sourced_pipeline_target", UnitCurrency, OwnerMarketing, BasisPeriod, false, userDims, nil, "The configured marketing-sourced pipeline target of the quarter (n/a when the target row sets none)."}, nil},
	{Definition{"sourced_pipeline_attainment", UnitRatio, OwnerMarketing, BasisPeriod, false, userDims, cat(oppFields, stateFields, []string{"Lead.lead_source"}), "mktg_sourced_pipeline ÷ sourced_pipeline_target."}, nil},
	{Definition{"sourced_bookings_target", UnitCurrency, OwnerMarketing, BasisPeriod, false, userDims, nil, "The configured marketing-sourced bookings target of the quarter (n/a when the target row sets none)."}, nil},
	{Definition{"sourced_bookings_attainment", UnitRatio, OwnerMarketing, BasisPeriod, false, userDims, cat(oppFields, stateFields, []string{"Lead.lead_source"}), "mktg_sourced_bookings ÷ sourced_bookings_target."}, nil},
	{Definition{"mktg_sourced_pipeline", UnitCurrency, OwnerMarketing, BasisPeriod, false, oppDims, cat(oppFields, stateFields, []string{"Lead.lead_source"}), "pipeline_created of marketing-sourced opportunities."},
		func(t *tally) measure { return cents(t.srcPipeline) }},
	{Definition{"mktg_sourced_bookings", UnitCurrency, OwnerMarketing, BasisPeriod, false, oppDims, cat(oppFields, stateFields, []string{"Lead.lead_source"}), "bookings of marketing-sourced opportunities."},
		func(t *tally) measure { return cents(t.srcBookings) }},
	{Definition{"mktg_sourced_opps", UnitCount, OwnerMarketing, BasisPeriod, false, oppDims, cat(oppFields, []string{"Lead.lead_source"}), "opps_created that are marketing-sourced."},
		func(t *tally) measure { return count(t.srcOpps) }},
	{Definition{"mktg_influenced_pipeline", UnitCurrency, OwnerMarketing, BasisPeriod, true, touchDims, cat(oppFields, stateFields, touchFields), "pipeline_created credited to campaigns by each attribution model; the campaign and channel keys include \"unattributed\"."}, nil},
	{Definition{"mktg_influenced_bookings", UnitCurrency, OwnerMarketing, BasisPeriod, true, touchDims, cat(oppFields, stateFields, touchFields), "bookings credited to campaigns by each attribution model; the campaign and channel keys include \"unattributed\"."}, nil},
	{Definition{"opps_influenced", UnitCount, OwnerMarketing, BasisPeriod, true, touchDims, cat(oppFields, touchFields), "Opportunities created in the period with at least one touch the model's window admits; by campaign (channel): the opportunities a touch of the campaign (channel) reached, each once; \"unattributed\": those with none."}, nil},
	{Definition{"opps_first_touch", UnitCount, OwnerMarketing, BasisPeriod, true, touchDims, cat(oppFields, touchFields), "Opportunities created in the period by the campaign (channel) of their first touch the model's window admits; \"unattributed\": those with no touch."}, nil},
	{Definition{"marketing_spend", UnitCurrency, OwnerMarketing, BasisPeriod, false, touchDims, costFields, "ActualCost of the marketing campaigns landing in the period by cost.spread, to the cent; n/a when no campaign of the key has a known cost."}, nil},
	{Definition{"campaigns_cost_unknown", UnitCount, OwnerMarketing, BasisPeriod, false, costDims, costFields, "Marketing campaigns with spend days in the period and a null ActualCost: missing from marketing_spend."}, nil},
	{Definition{"cost_per_lead", UnitCurrency, OwnerMarketing, BasisPeriod, false, touchDims, cat(costFields, leadFields, touchFields), "marketing_spend ÷ leads created in the period (org: every lead; campaign, channel: leads whose lead-creation touch is the key's), to the cent."}, nil},
	{Definition{"cost_per_mql", UnitCurrency, OwnerMarketing, BasisPeriod, false, touchDims, cat(costFields, leadFields, stageFields, touchFields), "marketing_spend ÷ MQLs of the period (org: every MQL; campaign, channel: by the lead's lead-creation touch), to the cent."}, nil},
	{Definition{"cac", UnitCurrency, OwnerMarketing, BasisPeriod, false, costDims, cat(costFields, oppFields, stateFields, convertField, touchFields), "marketing_spend ÷ new-business opportunities won in the period (org: every one; channel: by the converted lead's lead-creation touch), to the cent."}, nil},
	{Definition{"pipeline_per_spend", UnitRatio, OwnerMarketing, BasisPeriod, true, touchDims, cat(costFields, oppFields, stateFields, touchFields), "mktg_influenced_pipeline ÷ marketing_spend of the key, per attribution model."}, nil},
	{Definition{"bookings_per_spend", UnitRatio, OwnerMarketing, BasisPeriod, true, touchDims, cat(costFields, oppFields, stateFields, touchFields), "mktg_influenced_bookings ÷ marketing_spend of the key, per attribution model (Marketo Measure's simple ROI; HubSpot's ROI is this − 1)."}, nil},
	{Definition{"lead_response_hours_mean", UnitHours, OwnerShared, BasisPeriod, false, leadDims, respFields, "Mean hours from MQL (lead_response.clock_start) to the first human response, over the period's MQLs answered by the as-of instant."},
		meanHours},
	{Definition{"lead_response_hours_median", UnitHours, OwnerShared, BasisPeriod, false, leadDims, respFields, "Median hours from MQL (lead_response.clock_start) to the first human response, over the period's MQLs answered by the as-of instant."},
		medianHours},
	{Definition{"lead_sla_compliance", UnitRatio, OwnerShared, BasisPeriod, false, leadDims, respFields, "Share answered by a person within the SLA, of the period's MQLs answered or past their SLA deadline at the as-of instant."},
		func(t *tally) measure { return ratio(t.slaMet, t.slaDue) }},
	{Definition{"leads_awaiting_response", UnitCount, OwnerShared, BasisPeriod, false, leadDims, respFields, "The period's MQLs with no human response at the as-of instant (queue-owned leads included)."},
		func(t *tally) measure { return count(t.awaiting) }},
	{Definition{"leads_past_sla_unanswered", UnitCount, OwnerShared, BasisPeriod, false, leadDims, respFields, "The period's MQLs with no human response whose SLA deadline has passed at the as-of instant."},
		func(t *tally) measure { return count(t.pastSLA) }},
	// How long the breaches waited (issue 16's hand-off map): the MQL →
	// first response hand-off is the one the configuration gives an SLA.
	{Definition{"lead_sla_breach_days_total", UnitDays, OwnerShared, BasisPeriod, false, leadDims, respFields, "Total days past the SLA deadline over the period's MQLs that breached it at the as-of instant: answered late (first response − deadline) or unanswered past the deadline (as-of − deadline)."},
		func(t *tally) measure { return sumDays(t.slaBreachMicros) }},
	{Definition{"lead_sla_breach_days_median", UnitDays, OwnerShared, BasisPeriod, false, leadDims, respFields, "Median of lead_sla_breach_days_total's per-MQL days past the deadline; the denominator is the number of MQLs that breached the SLA."},
		func(t *tally) measure { return median(t.slaBreachMicros, microsPerDay) }},
	{Definition{"meetings", UnitCount, OwnerSales, BasisPeriod, false, userDims, taskFields, "Tasks of a meeting type dated in the period, by task owner."},
		func(t *tally) measure { return count(t.meetings) }},
	{Definition{"renewal_rate", UnitRatio, OwnerSales, BasisPeriod, false, renewalDims, cat(contractFields, oppFields, stateFields), "contracts_renewed ÷ contracts_up_for_renewal, by count. Renewal-opportunity reading: renewal opportunities won ÷ renewal opportunities with a close date in the period."},
		func(t *tally) measure { return ratio(t.ctrRenewed, t.ctrUp) }},
	{Definition{"contracts_up_for_renewal", UnitCount, OwnerSales, BasisPeriod, false, renewalDims, contractFields, "Counted contracts whose end date is in the period, by contract owner."},
		func(t *tally) measure { return count(t.ctrUp) }},
	{Definition{"contracts_renewed", UnitCount, OwnerSales, BasisPeriod, false, renewalDims, contractFields, "Contracts up for renewal in the period with a counted successor contract of the account starting from the day after the end up to retention.renewal_grace_days later."},
		func(t *tally) measure { return count(t.ctrRenewed) }},
	{Definition{"nrr", UnitRatio, OwnerShared, BasisTrailingYear, false, renewalDims, cat(arrFields, oppFields, stateFields), "(arr_start + expansion_arr − contraction_arr − churned_arr) ÷ arr_start, per account over the trailing twelve months; new accounts excluded. Renewal-opportunity reading: (won renewal + won expansion amount of the accounts up for renewal) ÷ amount up for renewal, in the period."},
		func(t *tally) measure {
			return ratioCents(t.arrStart+t.arrExpansion-t.arrContraction-t.arrChurn, t.arrStart)
		}},
	{Definition{"grr", UnitRatio, OwnerShared, BasisTrailingYear, false, renewalDims, arrFields, "(arr_start − contraction_arr − churned_arr) ÷ arr_start over the trailing twelve months; undefined under the renewal-opportunity reading."},
		func(t *tally) measure { return ratioCents(t.arrStart-t.arrContraction-t.arrChurn, t.arrStart) }},
	{Definition{"arr_start", UnitCurrency, OwnerSales, BasisTrailingYear, false, renewalDims, arrFields, "Annual recurring value of the contracts in force twelve months before the window's end, of the accounts that had some."},
		func(t *tally) measure { return cents(t.arrStart) }},
	{Definition{"arr_end", UnitCurrency, OwnerSales, BasisTrailingYear, false, renewalDims, arrFields, "Annual recurring value of the contracts in force at the window's end, every account: arr_start + new_arr + expansion_arr − contraction_arr − churned_arr."},
		func(t *tally) measure { return cents(t.arrEnd) }},
	{Definition{"new_arr", UnitCurrency, OwnerSales, BasisTrailingYear, false, renewalDims, arrFields, "arr_end of the accounts with no ARR at the start (new or returning): outside NRR and GRR."},
		func(t *tally) measure { return cents(t.arrNew) }},
	{Definition{"expansion_arr", UnitCurrency, OwnerSales, BasisTrailingYear, false, renewalDims, arrFields, "Sum of end − start ARR over the accounts whose ARR grew over the trailing twelve months."},
		func(t *tally) measure { return cents(t.arrExpansion) }},
	{Definition{"contraction_arr", UnitCurrency, OwnerSales, BasisTrailingYear, false, renewalDims, arrFields, "Sum of start − end ARR over the accounts whose ARR shrank but did not reach 0."},
		func(t *tally) measure { return cents(t.arrContraction) }},
	{Definition{"churned_arr", UnitCurrency, OwnerSales, BasisTrailingYear, false, renewalDims, arrFields, "Start ARR of the accounts with none at the end."},
		func(t *tally) measure { return cents(t.arrChurn) }},
}

// Catalog lists every KPI the engine computes, in result order.
func Catalog() []Definition {
	out := make([]Definition, len(specs))
	for i, s := range specs {
		out[i] = s.Definition
		out[i].Dimensions = slices.Clone(s.Dimensions)
		out[i].Fields = slices.Clone(s.Fields)
	}
	return out
}

// Lookup returns the catalog definition of a KPI name.
func Lookup(name string) (Definition, bool) {
	for _, s := range specs {
		if s.Name == name {
			return s.Definition, true
		}
	}
	return Definition{}, false
}

func specIndex(name string) int {
	for i, s := range specs {
		if s.Name == name {
			return i
		}
	}
	return len(specs)
}

// measure is a KPI value before it becomes a Value.
type measure struct {
	value, num, den decimal.Decimal
	defined         bool
	isRatio         bool
}

func count(n int64) measure {
	return measure{value: decimal.NewFromInt(n), defined: true}
}

func cents(c int64) measure {
	return measure{value: decimal.New(c, -2), defined: true}
}

func ratioDec(num, den decimal.Decimal) measure {
	m := measure{num: num, den: den, isRatio: true}
	if den.IsZero() {
		return m
	}
	m.value, m.defined = num.DivRound(den, RatioPlaces), true
	return m
}

func ratio(num, den int64) measure { return ratioDec(decimal.NewFromInt(num), decimal.NewFromInt(den)) }

func ratioCents(num, den int64) measure { return ratioDec(decimal.New(num, -2), decimal.New(den, -2)) }

// avgMoney is a mean amount rounded to the cent (half away from zero).
func avgMoney(c, n int64) measure {
	m := ratioDec(decimal.New(c, -2), decimal.NewFromInt(n))
	if m.defined {
		m.value = m.num.DivRound(m.den, 2)
	}
	return m
}

var microsPerDay = decimal.NewFromInt(dayMicros)
var microsPerHour = decimal.NewFromInt(3_600_000_000)

// meanDays is total microseconds ÷ (n days); the numerator is reported in
// days rounded to RatioPlaces.
func meanDays(micros, n int64) measure {
	m := ratioDec(decimal.NewFromInt(micros), decimal.NewFromInt(n).Mul(microsPerDay))
	m.num = decimal.NewFromInt(micros).DivRound(microsPerDay, RatioPlaces)
	m.den = decimal.NewFromInt(n)
	return m
}

// sumDays is a total of durations in days, rounded once to RatioPlaces
// (half away from zero); not a quotient, so no numerator or denominator.
func sumDays(micros []int64) measure {
	var sum int64
	for _, m := range micros {
		sum += m
	}
	return measure{value: decimal.NewFromInt(sum).DivRound(microsPerDay, RatioPlaces), defined: true}
}

// meanHours is the mean of the response times in hours rounded to
// RatioPlaces; Numerator is their sum in hours (rounded alike),
// Denominator the number of answered MQLs.
func meanHours(t *tally) measure {
	var sum int64
	for _, m := range t.responseMicros {
		sum += m
	}
	n := int64(len(t.responseMicros))
	m := ratioDec(decimal.NewFromInt(sum), decimal.NewFromInt(n).Mul(microsPerHour))
	m.num = decimal.NewFromInt(sum).DivRound(microsPerHour, RatioPlaces)
	m.den = decimal.NewFromInt(n)
	return m
}

// median is the median of xs (the mean of the two middle values for an
// even count) in units of unit (microseconds per hour, per day), rounded
// to RatioPlaces; numerator the median, denominator the count. It sorts xs
// in place, once per KPI and key: evaluation owns the tally's lists, so
// there is no copy.
func median(xs []int64, unit decimal.Decimal) measure { return medianScaled(xs, unit, RatioPlaces) }

// medianScaled is the median of vs (reordered in place, once, at
// evaluation: the tallies keep unsorted lists) divided by unit and rounded
// to places, half away from zero. For an even count it is the exact mean
// of the two middle values before that rounding. Numerator is the median,
// Denominator the count; undefined for no values.
func medianScaled(vs []int64, unit decimal.Decimal, places int32) measure {
	n := len(vs)
	m := measure{den: decimal.NewFromInt(int64(n)), isRatio: true}
	if n == 0 {
		return m
	}
	mid := decimal.NewFromInt(nth(vs, n/2))
	if n%2 == 0 {
		// nth leaves the n/2 smallest values before index n/2: the lower
		// middle value is their largest.
		mid = mid.Add(decimal.NewFromInt(slices.Max(vs[:n/2]))).Div(decimal.NewFromInt(2))
	}
	m.value = mid.DivRound(unit, places)
	m.num, m.defined = m.value, true
	return m
}

// nth returns the k-th smallest value of vs (0-based), reordering vs so
// that vs[:k] holds values ≤ it and vs[k+1:] values ≥ it: a selection
// (Hoare partition around a median of three), linear on average where a
// sort costs n log n on the evaluation's largest lists (hundreds of
// thousands of durations per key at 5M leads). Past 64 rounds, a sign of
// an adversarial order, it sorts the remaining range instead.
func nth(vs []int64, k int) int64 {
	lo, hi := 0, len(vs)-1
	for round := 0; lo < hi; round++ {
		if round == 64 {
			slices.Sort(vs[lo : hi+1])
			break
		}
		a, b, c := vs[lo], vs[lo+(hi-lo)/2], vs[hi]
		p := max(min(a, b), min(max(a, b), c))
		i, j := lo, hi
		for i <= j {
			for vs[i] < p {
				i++
			}
			for vs[j] > p {
				j--
			}
			if i <= j {
				vs[i], vs[j] = vs[j], vs[i]
				i, j = i+1, j-1
			}
		}
		// vs[lo..j] ≤ p ≤ vs[i..hi]; anything between j and i equals p.
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return vs[k]
		}
	}
	return vs[k]
}

// p90 is the 90th percentile of xs by nearest rank, the value of rank
// ⌈0.9·n⌉ in ascending order (an observed value, no interpolation), in
// units of unit rounded to RatioPlaces; numerator the percentile,
// denominator the count; undefined for no values. It reorders xs, as
// median does.
func p90(xs []int64, unit decimal.Decimal) measure {
	n := len(xs)
	m := measure{den: decimal.NewFromInt(int64(n)), isRatio: true}
	if n == 0 {
		return m
	}
	rank := (9*n + 9) / 10 // ⌈9n/10⌉
	m.value = decimal.NewFromInt(nth(xs, rank-1)).DivRound(unit, RatioPlaces)
	m.num, m.defined = m.value, true
	return m
}

// medianHours is the median response time of the touched MQLs, in hours.
func medianHours(t *tally) measure { return median(t.responseMicros, microsPerHour) }
