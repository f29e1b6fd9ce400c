package kpi

import "github.com/venn-revops/venn/shared/money"

// Projection structs: the only lake columns the engine reads, one struct per
// CRM object, matched to the snapshot's Parquet columns by their tags (see
// shared/crm/objects.go for the registry).
//
// Nulls: strings read a null as "" (an empty Id or picklist means "none"
// everywhere in the engine, so the two need not be told apart). Datetimes,
// dates, amounts and the opportunity's won/closed flags are pointers: nil is
// null, so a missing MQL date is never the epoch and a missing amount is
// never read as a real 0. IsDeleted and HasResponded are plain bools on
// purpose: the engine reads a null there exactly as false (not deleted, not
// responded), and a pointer would cost an allocation per row on the
// largest tables.
// Datetimes are microseconds since the Unix epoch, UTC; dates are days
// since 1970-01-01; money is int64 cents (DECIMAL(18,2)).

// User is the projection of the User snapshot.
type User struct {
	ID        string `parquet:"id"`
	Team      string `parquet:"team,optional"`
	ProfileID string `parquet:"profile_id,optional"` // lead response: who is a person
	UserType  string `parquet:"user_type,optional"`
}

// Account is the projection of the Account snapshot.
type Account struct {
	ID        string `parquet:"id"`
	Segment   string `parquet:"segment,optional"`
	Region    string `parquet:"region,optional"`
	IsDeleted bool   `parquet:"is_deleted,optional"`
}

// Lead is the projection of the Lead snapshot.
type Lead struct {
	ID                     string `parquet:"id"`
	CreatedDate            int64  `parquet:"created_date,timestamp(microsecond)"`
	IsDeleted              bool   `parquet:"is_deleted,optional"`
	Status                 string `parquet:"status,optional"`
	LeadSource             string `parquet:"lead_source,optional"`
	OwnerID                string `parquet:"owner_id,optional"`
	Segment                string `parquet:"segment,optional"`
	Region                 string `parquet:"region,optional"`
	MQLDate                *int64 `parquet:"mql_date,optional,timestamp(microsecond)"`
	SQLDate                *int64 `parquet:"sql_date,optional,timestamp(microsecond)"`
	ConvertedDate          *int32 `parquet:"converted_date,optional,date"`
	ConvertedOpportunityID string `parquet:"converted_opportunity_id,optional"`
}

// Campaign is the projection of the Campaign snapshot. StartDate, EndDate
// and ActualCost place the campaign's spend in quarters (cost.go); a null
// ActualCost is an unknown cost, never 0. Lake files written before these
// columns were read have none of them: they read as null.
type Campaign struct {
	ID         string `parquet:"id"`
	Type       string `parquet:"type,optional"`
	IsDeleted  bool   `parquet:"is_deleted,optional"`
	StartDate  *int32 `parquet:"start_date,optional,date"`
	EndDate    *int32 `parquet:"end_date,optional,date"`
	ActualCost *int64 `parquet:"actual_cost,optional,decimal(2:18)"`
}

// CampaignMember is the projection of the CampaignMember snapshot (no soft
// delete: the snapshot holds only live members).
type CampaignMember struct {
	ID                 string `parquet:"id"`
	CreatedDate        int64  `parquet:"created_date,timestamp(microsecond)"`
	CampaignID         string `parquet:"campaign_id,optional"`
	LeadID             string `parquet:"lead_id,optional"`
	ContactID          string `parquet:"contact_id,optional"`
	HasResponded       bool   `parquet:"has_responded,optional"`
	FirstRespondedDate *int32 `parquet:"first_responded_date,optional,date"`
	TouchDate          *int64 `parquet:"touch_date,optional,timestamp(microsecond)"` // Touch_Date__c
}

// Opportunity is the projection of the Opportunity snapshot.
type Opportunity struct {
	ID              string `parquet:"id"`
	CreatedDate     int64  `parquet:"created_date,timestamp(microsecond)"`
	IsDeleted       bool   `parquet:"is_deleted,optional"`
	AccountID       string `parquet:"account_id,optional"`
	OwnerID         string `parquet:"owner_id,optional"`
	StageName       string `parquet:"stage_name,optional"`
	Amount          *int64 `parquet:"amount,optional,decimal(2:18)"`
	CurrencyIsoCode string `parquet:"currency_iso_code,optional"`
	CloseDate       int32  `parquet:"close_date,optional,date"` // required by the registry; a null reads as 0
	IsClosed        *bool  `parquet:"is_closed,optional"`
	IsWon           *bool  `parquet:"is_won,optional"`
	Type            string `parquet:"type,optional"`
	LeadSource      string `parquet:"lead_source,optional"`
	CampaignID      string `parquet:"campaign_id,optional"`
	// ContractID links the opportunity to a contract (retention: line-item
	// values, renewal by opportunity). "" in lake files older than the column.
	ContractID string `parquet:"contract_id,optional"`
}

// OpportunityHistory is the projection of the stage history: each row is
// the opportunity's stage, amount and close date from its CreatedDate on.
type OpportunityHistory struct {
	ID            string `parquet:"id"`
	CreatedDate   int64  `parquet:"created_date,timestamp(microsecond)"`
	IsDeleted     bool   `parquet:"is_deleted,optional"`
	OpportunityID string `parquet:"opportunity_id,optional"`
	StageName     string `parquet:"stage_name,optional"`
	Amount        *int64 `parquet:"amount,optional,decimal(2:18)"`
	CloseDate     *int32 `parquet:"close_date,optional,date"`
}

// ContactRole is the projection of OpportunityContactRole.
type ContactRole struct {
	ID            string `parquet:"id"`
	IsDeleted     bool   `parquet:"is_deleted,optional"`
	OpportunityID string `parquet:"opportunity_id,optional"`
	ContactID     string `parquet:"contact_id,optional"`
}

// Task is the projection of the Task snapshot.
type Task struct {
	ID           string `parquet:"id"`
	CreatedDate  int64  `parquet:"created_date,timestamp(microsecond)"`
	IsDeleted    bool   `parquet:"is_deleted,optional"`
	WhoID        string `parquet:"who_id,optional"`
	OwnerID      string `parquet:"owner_id,optional"`
	Type         string `parquet:"type,optional"`
	ActivityDate *int32 `parquet:"activity_date,optional,date"`
	CreatedByID  string `parquet:"created_by_id,optional"` // null in lake files older than the column
}

// Contract is the projection of the Contract snapshot (an optional object:
// an org without contracts has no rows, and renewals and retention are
// then read from renewal opportunities). StatusCode is the status category
// Salesforce fixes (Draft, InApproval, Activated, Terminated, Expired);
// Status is the org's own picklist label. RecurringAmount is the lake
// column the extract configuration maps to the org's recurring-value field
// (ARR__c in the demo org); null when the org has none.
type Contract struct {
	ID              string `parquet:"id"`
	CreatedDate     int64  `parquet:"created_date,timestamp(microsecond)"`
	IsDeleted       bool   `parquet:"is_deleted,optional"`
	AccountID       string `parquet:"account_id,optional"`
	OwnerID         string `parquet:"owner_id,optional"`
	Status          string `parquet:"status,optional"`
	StatusCode      string `parquet:"status_code,optional"`
	StartDate       *int32 `parquet:"start_date,optional,date"`
	EndDate         *int32 `parquet:"end_date,optional,date"`
	ContractTerm    *int64 `parquet:"contract_term,optional"` // months
	ActivatedDate   *int64 `parquet:"activated_date,optional,timestamp(microsecond)"`
	RecurringAmount *int64 `parquet:"recurring_amount,optional,decimal(2:18)"`
	CurrencyIsoCode string `parquet:"currency_iso_code,optional"`
}

// LineItem is the projection of OpportunityLineItem (optional object).
type LineItem struct {
	ID            string `parquet:"id"`
	CreatedDate   int64  `parquet:"created_date,timestamp(microsecond)"`
	IsDeleted     bool   `parquet:"is_deleted,optional"`
	OpportunityID string `parquet:"opportunity_id,optional"`
	Product2ID    string `parquet:"product2_id,optional"`
	TotalPrice    *int64 `parquet:"total_price,optional,decimal(2:18)"`
	ServiceDate   *int32 `parquet:"service_date,optional,date"`
}

// Product is the projection of Product2 (optional object). Family is the
// standard picklist a KPI configuration may name recurring families by.
type Product struct {
	ID        string `parquet:"id"`
	IsDeleted bool   `parquet:"is_deleted,optional"`
	Name      string `parquet:"name,optional"`
	Family    string `parquet:"family,optional"`
}

// Source streams one object's rows in batches: it calls fn once per batch
// and returns fn's first error. lake.ScanFilesBorrowed fits it directly:
//
//	kpi.Source[kpi.Lead](func(fn func([]kpi.Lead) error) error { return lake.ScanFilesBorrowed(ctx, blob, m.Files, fn) })
//
// The engine never keeps a batch, nor any string in it, after fn returns:
// it clones every string it keeps. So the caller may reuse the slice, and
// the strings may point into buffers the caller reuses
// (lake.ScanFilesBorrowed). A nil Source has no rows.
type Source[T any] func(fn func(rows []T) error) error

// Rows is a Source over an in-memory slice (tests, small orgs).
func Rows[T any](rows []T) Source[T] {
	return func(fn func([]T) error) error {
		if len(rows) == 0 {
			return nil
		}
		return fn(rows)
	}
}

// Inputs is one snapshot of the CRM. Compute reads each Source exactly once:
// Users, Campaigns, Opportunities, OpportunityHistory, Leads and
// CampaignMembers in this order, and beside them, on goroutines of their
// own, Accounts (from the start), ContactRoles (with Leads) and Tasks (with
// CampaignMembers). So two or three Sources may be read at once; each one
// is still read by one caller at a time. It keeps
// only per-row aggregates and the join maps it needs (opportunities, contact
// roles, converted leads, the MQLs of the period and the touches of the
// period's opportunities), so memory grows with opportunities and joins,
// never with the lead, member or task tables.
//
// Wiring from the lake, one source per part file so decoding runs on the
// other core (row order does not matter to Compute):
//
//	func scan[T any](ctx context.Context, b lake.Blob, m *lake.Manifest) kpi.Source[T] {
//		var srcs []kpi.Source[T]
//		for _, f := range m.Files {
//			srcs = append(srcs, func(fn func([]T) error) error { return lake.ScanFilesBorrowed(ctx, b, []lake.File{f}, fn) })
//		}
//		return kpi.Concurrent(2, srcs...)
//	}
type Inputs struct {
	Users              Source[User]
	Accounts           Source[Account]
	Campaigns          Source[Campaign]
	Opportunities      Source[Opportunity]
	OpportunityHistory Source[OpportunityHistory]
	ContactRoles       Source[ContactRole]
	Leads              Source[Lead]
	CampaignMembers    Source[CampaignMember]
	Tasks              Source[Task]
	// Optional objects (nil when the org does not use them).
	Contracts Source[Contract]
	LineItems Source[LineItem]
	Products  Source[Product]
	// LeadHistory is the leads' field history; the lead-exit KPIs read
	// its Status changes, read before the leads.
	LeadHistory Source[LeadHistory]
	// Rates are a multi-currency org's exchange rates (CurrencyType and
	// DatedConversionRate): opportunities in another currency are
	// converted into the reporting currency at them (fx.go). Zero for a
	// single-currency org.
	Rates money.Rates
}

// each calls fn on every row of s and returns the number of rows read.
func each[T any](s Source[T], fn func(*T) error) (int64, error) {
	if s == nil {
		return 0, nil
	}
	var n int64
	err := s(func(rows []T) error {
		n += int64(len(rows))
		for i := range rows {
			if err := fn(&rows[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
