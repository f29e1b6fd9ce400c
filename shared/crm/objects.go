// Package crm describes the CRM objects Venn extracts: their fields, the types
// the lake stores them as, and how a raw Salesforce record becomes a typed,
// validated row. It does no I/O.
//
// The registry below is the contract between the Salesforce client, the demo
// CRM, the lake and the KPI engine: every object's lake column names and
// logical types come from here and nowhere else.
package crm

import (
	"fmt"
	"slices"
)

// FieldType is the lake's logical type for a CRM field.
type FieldType int

const (
	// Text is free text (UTF-8 string).
	Text FieldType = iota
	// ID is a Salesforce record Id or reference (15 or 18 characters).
	ID
	// Picklist is an enum; the lake dictionary-encodes it.
	Picklist
	// Bool is a checkbox.
	Bool
	// Date is a calendar date ("2025-01-01"), stored as DATE.
	Date
	// DateTime is an instant ("2025-01-01T12:00:00.000+0000"), stored as
	// TIMESTAMP(MICROS, UTC).
	DateTime
	// Currency is money, stored as DECIMAL(18,2) backed by int64 cents. Its
	// currency sits in the object's CurrencyIsoCode column.
	Currency
	// Percent is a number with two decimals (e.g. SplitPercentage), stored as
	// DECIMAL(9,2).
	Percent
	// Int is a whole number, stored as INT64.
	Int
	// Email is PII: keyed-hashed in the lake unless configured otherwise.
	Email
	// Phone is PII: keyed-hashed in the lake unless configured otherwise.
	Phone
	// AnyType is Salesforce's anyType (a field history's OldValue and
	// NewValue): a value of whatever type the changed field has, kept as
	// its text. REST sends it as a JSON string, number or boolean, Bulk
	// API as a CSV cell; both decode to the same text (ParseAnyType).
	AnyType
	// Rate is an exchange rate (a Salesforce double of scale 6, such as
	// CurrencyType.ConversionRate), stored as DECIMAL(18,6) backed by int64
	// millionths: exact, never through float.
	Rate
)

// RateScale is a Rate's decimal places: Value.I is the rate × 10^6.
const RateScale = 6

var fieldTypeNames = [...]string{"text", "id", "picklist", "bool", "date", "datetime", "currency", "percent", "int", "email", "phone", "anytype", "rate"}

func (t FieldType) String() string {
	if int(t) < len(fieldTypeNames) {
		return fieldTypeNames[t]
	}
	return fmt.Sprintf("FieldType(%d)", int(t))
}

// IsPII reports whether values of this type are personal data.
func (t FieldType) IsPII() bool { return t == Email || t == Phone }

// Field is one CRM field as the lake stores it.
type Field struct {
	Name     string    // Salesforce API name, e.g. "StageName"
	Column   string    // lake column, e.g. "stage_name"
	Type     FieldType // logical type
	Required bool      // a record without it is rejected
	// Dict marks a field with few distinct values: a reference to a small
	// object (an owner, a campaign). The lake dictionary-encodes it, so a
	// reader decodes each distinct value once per row group instead of
	// once per row. It changes the file encoding only, not the logical
	// type: files written with and without it read the same.
	Dict bool
}

// Object is one CRM object.
type Object struct {
	Name string
	// SoftDelete is true when the object has IsDeleted, so queryAll reports
	// its deletions. Objects without it (CampaignMember, OpportunitySplit)
	// need an Id-set comparison to see hard deletes.
	SoftDelete bool
	Fields     []Field
	// Optional objects may be missing from an org (a feature not enabled,
	// a custom object); the extract skips them with a warning. A required
	// object the org lacks stops the extract before anything is pulled.
	Optional bool
	// Custom marks an object added by configuration (not in the code's
	// registry).
	Custom bool
	// Cursor is the datetime field of the incremental window; "" means
	// SystemModstamp, which every replicable object has.
	Cursor string
	// Extras are fields added by configuration beyond Fields; AllFields
	// takes every field the org's describe lists. Both are resolved per
	// run against the describe (extract), so Fields stays the columns the
	// KPI engine and comp may rely on.
	Extras    []Extra
	AllFields bool
	// AppendOnly objects (field history: LeadHistory) have no
	// SystemModstamp: a row never changes once written, so its
	// CreatedDate is its stamp. The extract selects CreatedDate only,
	// the decoder fills the lake's system_modstamp column from it, and
	// the incremental window and its order run on CreatedDate.
	AppendOnly bool
}

// StampField is the org field that says when a record last changed:
// SystemModstamp, or CreatedDate for an append-only object. Pulls are
// ordered by it, and the lake's system_modstamp column holds it.
func (o *Object) StampField() string {
	if o.AppendOnly {
		return "CreatedDate"
	}
	return "SystemModstamp"
}

// Extra is a field added by configuration.
type Extra struct {
	Name   string    // the org's API name, e.g. "ARR__c"
	Column string    // lake column; "" = ColumnName(Name)
	Type   FieldType // meaningful when TypeSet; else the describe's type
	// TypeSet says Type was configured; otherwise it comes from describe.
	TypeSet bool
}

// CursorField is the field the incremental window filters on.
func (o *Object) CursorField() string {
	if o.Cursor == "" {
		return o.StampField()
	}
	return o.Cursor
}

// WithFields returns a copy of o with fields appended (the per-run view of
// an object with its extra fields).
func (o *Object) WithFields(fields ...Field) *Object {
	c := *o
	c.Fields = append(slices.Clip(slices.Clone(o.Fields)), fields...)
	return &c
}

// Field returns the field with the given Salesforce name.
func (o *Object) Field(name string) (Field, bool) {
	for _, f := range o.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// FieldNames lists the Salesforce names in registry order, for SOQL SELECT:
// every field but an append-only object's SystemModstamp, which the org
// does not have.
func (o *Object) FieldNames() []string {
	out := make([]string, 0, len(o.Fields))
	for i, f := range o.Fields {
		if i != 1 || !o.AppendOnly {
			out = append(out, f.Name)
		}
	}
	return out
}

// Column returns the index of a lake column, or -1.
func (o *Object) Column(col string) int {
	for i, f := range o.Fields {
		if f.Column == col {
			return i
		}
	}
	return -1
}

// Common columns every object carries, in this order, first.
var (
	idField       = Field{Name: "Id", Column: "id", Type: ID, Required: true}
	modstampField = Field{Name: "SystemModstamp", Column: "system_modstamp", Type: DateTime, Required: true}
	createdField  = Field{Name: "CreatedDate", Column: "created_date", Type: DateTime, Required: true}
	deletedField  = Field{Name: "IsDeleted", Column: "is_deleted", Type: Bool}
	currencyField = Field{Name: "CurrencyIsoCode", Column: "currency_iso_code", Type: Picklist, Required: true}
)

func object(name string, softDelete bool, fields ...Field) *Object {
	return &Object{Name: name, SoftDelete: softDelete, Fields: append(BaseFields(softDelete), fields...)}
}

// BaseFields are the columns every object starts with: Id, SystemModstamp,
// CreatedDate and, with soft delete, IsDeleted.
func BaseFields(softDelete bool) []Field {
	base := []Field{idField, modstampField, createdField}
	if softDelete {
		base = append(base, deletedField)
	}
	return base
}

// optional marks an object the org may lack.
func optional(o *Object) *Object {
	o.Optional = true
	return o
}

// appendOnly marks a field-history object (see Object.AppendOnly).
func appendOnly(o *Object) *Object {
	o.AppendOnly = true
	return o
}

func f(name, col string, t FieldType) Field { return Field{Name: name, Column: col, Type: t} }

// req marks a field Salesforce never leaves null on a record (its describe
// says nillable: false, or the platform fills it): a null there means a
// broken record, which is rejected with the field named.
func req(f Field) Field { f.Required = true; return f }

// ref is an ID field that refers to a small object (User, Campaign, a
// split type): few distinct values, so it is dictionary-encoded.
func ref(name, col string) Field { return Field{Name: name, Column: col, Type: ID, Dict: true} }

// The objects Venn extracts, in dependency order (a later object refers to
// earlier ones). Custom fields (…__c) are those of a standard B2B org that
// tracks funnel dates on the lead and segment/region on the account; the KPI
// configuration names which of them mean what, and an org that names them
// otherwise says so in the extract configuration (NewRegistry).
//
// Required objects are what the KPI engine and comp cannot do without:
// User (owners, teams, payees), Account (segment and region of deals),
// Contact (the people campaign touches and contact roles point at),
// Lead (the funnel), Campaign and CampaignMember (touches and
// attribution), Opportunity (bookings, pipeline, comp credit). Every
// Salesforce edition has them, so their absence means the integration user
// cannot see them: the extract stops at start. Optional objects depend on a
// feature or an edition: OpportunitySplit (Splits enabled),
// OpportunityHistory (stage history; the stage-history KPIs stay empty),
// OpportunityContactRole (contact-role attribution falls back to the lead),
// Task (response-time KPIs stay empty), Contract (renewals and recurring
// revenue are then read from renewal opportunities), OpportunityLineItem
// and Product2 (products are an edition's or an org's choice: the
// contracts' recurring value does not need them), LeadHistory (field
// history tracking: lead scoring and the lead-exit KPIs fall back to
// current values).
var (
	User = object("User", false,
		req(f("Name", "name", Text)),
		f("Email", "email", Email),
		f("Title", "title", Text),
		f("Department", "department", Picklist),
		f("Team__c", "team", Picklist),
		ref("ManagerId", "manager_id"),
		f("EmployeeNumber", "employee_number", Text),
		f("CostCenter__c", "cost_center", Picklist),
		f("IsActive", "is_active", Bool),
		// The lead-response KPIs tell people from automation by these.
		ref("ProfileId", "profile_id"),
		f("UserType", "user_type", Picklist),
	)
	Account = object("Account", true,
		req(f("Name", "name", Text)),
		req(ref("OwnerId", "owner_id")),
		f("Industry", "industry", Picklist),
		f("Type", "type", Picklist),
		f("Segment__c", "segment", Picklist),
		f("Region__c", "region", Picklist),
	)
	Contact = object("Contact", true,
		f("AccountId", "account_id", ID),
		req(ref("OwnerId", "owner_id")),
		f("FirstName", "first_name", Text),
		req(f("LastName", "last_name", Text)),
		f("Email", "email", Email),
		f("Phone", "phone", Phone),
		f("LeadSource", "lead_source", Picklist),
	)
	Lead = object("Lead", true,
		f("FirstName", "first_name", Text),
		req(f("LastName", "last_name", Text)),
		req(f("Company", "company", Text)),
		f("Email", "email", Email),
		f("Phone", "phone", Phone),
		req(f("Status", "status", Picklist)),
		f("LeadSource", "lead_source", Picklist),
		req(ref("OwnerId", "owner_id")),
		f("Segment__c", "segment", Picklist),
		f("Region__c", "region", Picklist),
		f("MQL_Date__c", "mql_date", DateTime),
		f("SQL_Date__c", "sql_date", DateTime),
		f("IsConverted", "is_converted", Bool),
		f("ConvertedDate", "converted_date", Date),
		f("ConvertedAccountId", "converted_account_id", ID),
		f("ConvertedContactId", "converted_contact_id", ID),
		f("ConvertedOpportunityId", "converted_opportunity_id", ID),
		// What lead scoring reads besides source, segment and region
		// (standard fields of every org). Last, so earlier columns keep
		// their place.
		f("Title", "title", Text),
		f("Industry", "industry", Picklist),
	)
	Campaign = object("Campaign", true,
		req(f("Name", "name", Text)),
		f("Type", "type", Picklist),
		f("Status", "status", Picklist),
		f("StartDate", "start_date", Date),
		f("EndDate", "end_date", Date),
		req(ref("OwnerId", "owner_id")),
		f("ActualCost", "actual_cost", Currency),
		currencyField,
	)
	CampaignMember = object("CampaignMember", false,
		req(ref("CampaignId", "campaign_id")),
		f("LeadId", "lead_id", ID),
		f("ContactId", "contact_id", ID),
		req(f("Status", "status", Picklist)),
		f("HasResponded", "has_responded", Bool),
		f("FirstRespondedDate", "first_responded_date", Date),
		f("Touch_Date__c", "touch_date", DateTime),
	)
	Opportunity = object("Opportunity", true,
		req(f("Name", "name", Text)),
		f("AccountId", "account_id", ID),
		req(ref("OwnerId", "owner_id")),
		req(f("StageName", "stage_name", Picklist)),
		Field{Name: "Amount", Column: "amount", Type: Currency},
		currencyField,
		Field{Name: "CloseDate", Column: "close_date", Type: Date, Required: true},
		f("IsClosed", "is_closed", Bool),
		f("IsWon", "is_won", Bool),
		f("Type", "type", Picklist),
		f("LeadSource", "lead_source", Picklist),
		ref("CampaignId", "campaign_id"),
		f("Probability", "probability", Percent),
		// ContractId is the contract the opportunity belongs to: the one a
		// renewal renews (CPQ orgs keep theirs in SBQQ__RenewedContract__c
		// and map it here). Last, so earlier columns keep their place.
		f("ContractId", "contract_id", ID),
	)
	OpportunityContactRole = optional(object("OpportunityContactRole", true,
		req(f("OpportunityId", "opportunity_id", ID)),
		req(f("ContactId", "contact_id", ID)),
		f("Role", "role", Picklist),
		f("IsPrimary", "is_primary", Bool),
	))
	// OpportunityHistory is Salesforce's stage history: one row per change
	// of stage, amount or close date. It is append-only.
	OpportunityHistory = optional(object("OpportunityHistory", true,
		req(f("OpportunityId", "opportunity_id", ID)),
		req(f("StageName", "stage_name", Picklist)),
		f("Amount", "amount", Currency),
		f("CloseDate", "close_date", Date),
	))
	OpportunitySplit = optional(object("OpportunitySplit", false,
		req(f("OpportunityId", "opportunity_id", ID)),
		req(ref("SplitOwnerId", "split_owner_id")),
		req(f("SplitPercentage", "split_percentage", Percent)),
		ref("SplitTypeId", "split_type_id"),
	))
	Task = optional(object("Task", true,
		f("WhoId", "who_id", ID),
		f("WhatId", "what_id", ID),
		req(ref("OwnerId", "owner_id")),
		f("Subject", "subject", Text),
		f("Type", "type", Picklist),
		req(f("Status", "status", Picklist)),
		f("ActivityDate", "activity_date", Date),
		// Who made the task (automation often creates tasks owned by the
		// lead's owner): the lead-response KPIs' responder by default.
		ref("CreatedById", "created_by_id"),
	))
	// Product2 is the product catalogue; Family names what kind of revenue
	// a line item is (the KPI configuration names the recurring families).
	Product2 = optional(object("Product2", true,
		req(f("Name", "name", Text)),
		f("ProductCode", "product_code", Text),
		f("Family", "family", Picklist),
		f("IsActive", "is_active", Bool),
	))
	// Contract: renewals and recurring revenue. StatusCode is the category
	// Salesforce fixes (Draft, InApproval, Activated, Terminated, Expired)
	// behind the org's own Status labels. EndDate is calculated by
	// Salesforce from StartDate and ContractTerm (months). ARR__c is the
	// demo org's recurring-value field; an org maps its own (a CPQ org its
	// own ARR or MRR field) under fields: Contract: recurring_amount, and
	// an org without one gets a null column.
	Contract = optional(object("Contract", true,
		req(f("AccountId", "account_id", ID)),
		req(ref("OwnerId", "owner_id")),
		req(f("Status", "status", Picklist)),
		f("StatusCode", "status_code", Picklist),
		f("ContractNumber", "contract_number", Text),
		f("StartDate", "start_date", Date),
		f("EndDate", "end_date", Date),
		f("ContractTerm", "contract_term", Int),
		f("ActivatedDate", "activated_date", DateTime),
		f("ARR__c", "recurring_amount", Currency),
		currencyField,
	))
	// OpportunityLineItem: the products of an opportunity; TotalPrice is
	// the line's amount, and the lines of an opportunity sum to its Amount.
	// Quantity is the units sold (Salesforce: double, 12 digits, scale 2;
	// the lake keeps it as an exact DECIMAL(18,2), never through float);
	// UnitPrice is the sales price per unit and ListPrice the price book's
	// (TotalPrice = Quantity × UnitPrice, less any discount, so readers
	// take TotalPrice as the line's amount and never multiply). The later
	// columns are appended so earlier ones keep their place.
	OpportunityLineItem = optional(object("OpportunityLineItem", true,
		req(f("OpportunityId", "opportunity_id", ID)),
		ref("Product2Id", "product2_id"),
		f("TotalPrice", "total_price", Currency),
		f("ServiceDate", "service_date", Date),
		currencyField,
		ref("PricebookEntryId", "pricebook_entry_id"),
		req(f("Quantity", "quantity", Currency)),
		f("UnitPrice", "unit_price", Currency),
		f("ListPrice", "list_price", Currency),
	))
	// LeadHistory is Salesforce's field history of leads: one row per
	// change of a tracked field (Field is its API name: Status,
	// LeadSource, Title, a custom field's; "created" and "leadConverted"
	// mark those events, with null values). Append-only, without
	// SystemModstamp (AppendOnly). An org that tracks no lead field has
	// the object, empty; lead scoring then reads current values and the
	// lead-exit KPIs current statuses.
	LeadHistory = optional(appendOnly(object("LeadHistory", true,
		req(f("LeadId", "lead_id", ID)),
		req(f("Field", "field", Picklist)),
		f("OldValue", "old_value", AnyType),
		f("NewValue", "new_value", AnyType),
	)))
	// CurrencyType is a multi-currency org's currencies: ConversionRate is
	// units of the currency per 1 unit of the corporate one (IsCorporate,
	// rate 1); it is the static rate Salesforce converts every object but
	// opportunities at. DatedConversionRate (advanced currency management)
	// holds dated rates, each in force from StartDate up to, not including,
	// NextStartDate; opportunities convert at the one of their CloseDate.
	// Neither exists in a single-currency org (all optional). Neither has
	// IsDeleted: a deleted dated rate is found by comparing Id sets.
	CurrencyType = optional(object("CurrencyType", false,
		req(f("IsoCode", "iso_code", Picklist)),
		req(f("ConversionRate", "conversion_rate", Rate)),
		f("DecimalPlaces", "decimal_places", Int),
		f("IsActive", "is_active", Bool),
		f("IsCorporate", "is_corporate", Bool),
	))
	DatedConversionRate = optional(object("DatedConversionRate", false,
		req(f("IsoCode", "iso_code", Picklist)),
		req(f("ConversionRate", "conversion_rate", Rate)),
		req(f("StartDate", "start_date", Date)),
		f("NextStartDate", "next_start_date", Date),
	))
)

// Objects lists every extracted object in dependency order.
// Contract, Product2 and OpportunityLineItem come last although
// Opportunity refers to Contract: the order is the extract's and the
// summaries', and objects added later go at the end so earlier ones keep
// their place.
var Objects = []*Object{User, Account, Contact, Lead, Campaign, CampaignMember, Opportunity, OpportunityContactRole, OpportunityHistory, OpportunitySplit, Task, Product2, Contract, OpportunityLineItem,
	LeadHistory, CurrencyType, DatedConversionRate}
