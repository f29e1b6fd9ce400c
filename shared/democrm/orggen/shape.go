package orggen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/venn-revops/venn/shared/crm"
)

// Shape is how an org differs from the standard org the crm registry
// describes, so tests can run the extract against orgs shaped like real
// ones. The zero Shape is the standard org.
//
// On the wire (describe, SOQL, JSON keys, CSV headers) the org uses its own
// field names; the rows Each yields keep the registry's layout (the lake's
// columns): a renamed field sits at its registry position, a field the org
// lacks is null, and extra fields follow the registry's (see Org.Object).
type Shape struct {
	// Omit lists objects the org does not have: "OpportunitySplit" (Splits
	// off), "OpportunityHistory", ... describe answers 404 NOT_FOUND and a
	// query 400 INVALID_TYPE, as Salesforce does.
	Omit []string
	// Fields renames registry fields, per object: registry name -> the
	// name in this org. An empty name means the org lacks the field.
	Fields map[string]map[string]string
	// Extra lists fields the org has beyond the registry, per object.
	Extra map[string][]ExtraField
	// Custom lists custom objects the org has.
	Custom []CustomObject
}

// ExtraField is a field beyond the registry: a custom or formula field.
// Its values are generated from (seed, object, record, field).
type ExtraField struct {
	Name string // API name, e.g. "Score__c"
	Type crm.FieldType
	// Values are a picklist's values (default "A", "B", "C").
	Values []string
	// Formula marks a formula field: describe says calculated and not
	// updateable.
	Formula bool
	// InvoicePaid makes an Opportunity date field the day the won deal's
	// invoice was paid, as InvoicePaidDate describes, instead of a random
	// date.
	InvoicePaid bool
}

// InvoicePaidDate is the demo org's Opportunity.Invoice_Paid_Date__c, a
// custom date field finance sets when a deal's invoice is paid: on a won
// deal, 10 to 80 days after its close date; null on open, lost and
// cancelled deals, on one won deal in ten (its invoice still unpaid), and
// when the day would be after as-of (not paid yet). The date is the
// deal's own: it does not move the deal's SystemModstamp (the org is
// generated as of as-of).
var InvoicePaidDate = ExtraField{Name: "Invoice_Paid_Date__c", Type: crm.Date, InvoicePaid: true}

// WithInvoicePaidDate is shape s with the demo's invoice field,
// InvoicePaidDate, among Opportunity's extra fields (unless s names a field
// of that name already): the org `make demo` runs, whose shipped extract
// configuration extracts the field and whose account executive plan holds
// commission on it.
func WithInvoicePaidDate(s Shape) Shape {
	if slices.ContainsFunc(s.Extra["Opportunity"], func(e ExtraField) bool { return strings.EqualFold(e.Name, InvoicePaidDate.Name) }) {
		return s
	}
	extra := map[string][]ExtraField{}
	for k, v := range s.Extra {
		extra[k] = v
	}
	extra["Opportunity"] = append([]ExtraField{InvoicePaidDate}, s.Extra["Opportunity"]...)
	s.Extra = extra
	return s
}

// CustomObject is a custom object of the org: Id, SystemModstamp,
// CreatedDate, IsDeleted and Fields, with Records generated records.
type CustomObject struct {
	Name    string // API name, e.g. "Subscription__c"
	Prefix  string // key prefix, default "a0S"
	Records int    // default Leads/10, at least 1
	Fields  []ExtraField
}

// CustomFieldNames are the registry's custom fields, by object: the fields
// an org may lack or name differently.
var CustomFieldNames = map[string][]string{
	"User":     {"Team__c", "CostCenter__c"},
	"Account":  {"Segment__c", "Region__c"},
	"Lead":     {"Segment__c", "Region__c", "MQL_Date__c", "SQL_Date__c"},
	"Contract": {"ARR__c"},
}

// RenamedCustomFields names the registry's custom fields as another org
// might: Team__c is Sales_Team__c, Segment__c Market_Segment__c, Region__c
// Sales_Region__c, CostCenter__c Cost_Centre__c, MQL_Date__c
// MQL_Timestamp__c, SQL_Date__c SQL_Timestamp__c, ARR__c
// Annual_Recurring_Revenue__c. For Shape.Fields.
func RenamedCustomFields() map[string]map[string]string {
	to := map[string]string{
		"Team__c": "Sales_Team__c", "Segment__c": "Market_Segment__c", "Region__c": "Sales_Region__c",
		"CostCenter__c": "Cost_Centre__c", "MQL_Date__c": "MQL_Timestamp__c", "SQL_Date__c": "SQL_Timestamp__c",
		"ARR__c": "Annual_Recurring_Revenue__c",
	}
	out := map[string]map[string]string{}
	for obj, names := range CustomFieldNames {
		out[obj] = map[string]string{}
		for _, n := range names {
			out[obj][n] = to[n]
		}
	}
	return out
}

// MissingCustomFields is an org without any of the registry's custom
// fields. For Shape.Fields.
func MissingCustomFields() map[string]map[string]string {
	out := map[string]map[string]string{}
	for obj, names := range CustomFieldNames {
		out[obj] = map[string]string{}
		for _, n := range names {
			out[obj][n] = ""
		}
	}
	return out
}

// ContractObjects are the objects of an org that sells with products and
// contracts; an org without them omits all three (Shape.Omit) and has no
// Opportunity.ContractId (WithoutContracts).
var ContractObjects = []string{"Product2", "Contract", "OpportunityLineItem"}

// WithoutContracts is an org without contracts, products and line items:
// the three objects omitted and Opportunity.ContractId missing.
func WithoutContracts() Shape {
	return Shape{Omit: ContractObjects, Fields: map[string]map[string]string{"Opportunity": {"ContractId": ""}}}
}

// CurrencyObjects are the objects only a multi-currency org has.
var CurrencyObjects = []string{"CurrencyType", "DatedConversionRate"}

// SingleCurrency is a single-currency org: no CurrencyType, no
// DatedConversionRate and no CurrencyIsoCode field on any object.
func SingleCurrency() Shape {
	fields := map[string]map[string]string{}
	for _, name := range []string{"Campaign", "Opportunity", "Contract", "OpportunityLineItem"} {
		fields[name] = map[string]string{"CurrencyIsoCode": ""}
	}
	return Shape{Omit: CurrencyObjects, Fields: fields}
}

// ExampleExtraFields are fields a real org has beyond the registry:
// Lead.Score__c (a number) and Opportunity.Forecast_Category__c (a formula
// picklist). For Shape.Extra.
func ExampleExtraFields() map[string][]ExtraField {
	return map[string][]ExtraField{
		"Lead":        {{Name: "Score__c", Type: crm.Int}},
		"Opportunity": {{Name: "Forecast_Category__c", Type: crm.Picklist, Values: []string{"Pipeline", "Best Case", "Commit", "Closed", "Omitted"}, Formula: true}},
	}
}

// ExampleCustomObject is a Subscription__c custom object. For Shape.Custom.
func ExampleCustomObject() CustomObject {
	return CustomObject{Name: "Subscription__c", Prefix: "a0S", Fields: []ExtraField{
		{Name: "Account__c", Type: crm.ID},
		{Name: "Status__c", Type: crm.Picklist, Values: []string{"Active", "Cancelled", "Trial"}},
		{Name: "MRR__c", Type: crm.Currency},
		{Name: "Start_Date__c", Type: crm.Date},
	}}
}

// ColumnOf is the lake column the demo suggests for an extra field:
// snake case without the __c suffix ("Forecast_Category__c" ->
// "forecast_category", "MRR__c" -> "mrr").
func ColumnOf(name string) string {
	name = strings.TrimSuffix(name, "__c")
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 && name[i-1] != '_' && !(name[i-1] >= 'A' && name[i-1] <= 'Z') {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// extraField is an ExtraField placed in an object.
func (e ExtraField) field() crm.Field {
	return crm.Field{Name: e.Name, Column: ColumnOf(e.Name), Type: e.Type}
}

// validate checks the shape against the registry.
func (s Shape) validate() error {
	for _, name := range s.Omit {
		if _, err := crm.Lookup(name); err != nil {
			return fmt.Errorf("shape: Omit: %w", err)
		}
	}
	for objName, m := range s.Fields {
		obj, err := crm.Lookup(objName)
		if err != nil {
			return fmt.Errorf("Fields: %w", err)
		}
		for from, to := range m {
			i := slices.IndexFunc(obj.Fields, func(f crm.Field) bool { return f.Name == from })
			switch {
			case i < 0:
				return fmt.Errorf("Fields: %s has no registry field %s", objName, from)
			case i < 3 || (obj.SoftDelete && i == 3):
				return fmt.Errorf("Fields: %s.%s is a system field every org has", objName, from)
			case to != "" && slices.ContainsFunc(obj.Fields, func(f crm.Field) bool { return strings.EqualFold(f.Name, to) && f.Name != from }):
				return fmt.Errorf("Fields: %s.%s cannot be renamed to %s, another registry field", objName, from, to)
			}
		}
	}
	seen := map[string]bool{}
	for objName, extras := range s.Extra {
		if _, err := crm.Lookup(objName); err != nil {
			return fmt.Errorf("shape: Extra: %w", err)
		}
		if err := checkExtras(objName, extras); err != nil {
			return err
		}
	}
	for _, c := range s.Custom {
		if !strings.HasSuffix(c.Name, "__c") || seen[c.Name] {
			return fmt.Errorf("shape: Custom: %q must be a unique name ending in __c", c.Name)
		}
		seen[c.Name] = true
		if c.Prefix != "" && (len(c.Prefix) != 3 || !isBase62(c.Prefix)) {
			return fmt.Errorf("shape: Custom: %s prefix %q is not 3 characters of [0-9A-Za-z]", c.Name, c.Prefix)
		}
		if err := checkExtras(c.Name, c.Fields); err != nil {
			return err
		}
	}
	return nil
}

func isBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(base62, s[i]) < 0 {
			return false
		}
	}
	return true
}

func checkExtras(obj string, extras []ExtraField) error {
	names := map[string]bool{}
	for _, e := range extras {
		if e.Name == "" || names[strings.ToLower(e.Name)] {
			return fmt.Errorf("shape: Extra: %s field %q is empty or repeated", obj, e.Name)
		}
		names[strings.ToLower(e.Name)] = true
		if e.InvoicePaid && (obj != "Opportunity" || e.Type != crm.Date) {
			return fmt.Errorf("shape: Extra: %s field %q: InvoicePaid is for an Opportunity date field", obj, e.Name)
		}
	}
	return nil
}

// applyShape exposes the generated tables as this org has them: omitted
// objects hidden, fields renamed or dropped, extra fields appended, custom
// objects added. all holds every generated table.
func (o *Org) applyShape(all map[string]*table) {
	sh := o.cfg.Shape
	if err := sh.validate(); err != nil {
		panic("democrm: Config.Shape: " + err.Error())
	}
	o.tables = map[string]*table{}
	for _, base := range crm.Objects {
		if slices.Contains(sh.Omit, base.Name) {
			continue
		}
		t := all[base.Name]
		t.base = base
		renames, extras := sh.Fields[base.Name], sh.Extra[base.Name]
		if len(renames) > 0 || len(extras) > 0 || base.AppendOnly {
			obj := *base
			obj.Fields = slices.Clone(base.Fields)
			if base.AppendOnly {
				// Field history has no SystemModstamp on the wire; the
				// rows keep CreatedDate in its column (rowWriter.common).
				obj.Fields[1].Name = ""
			}
			for i, f := range obj.Fields {
				if to, ok := renames[f.Name]; ok {
					obj.Fields[i].Name = to // "" for a field the org lacks
					if to == "" {
						t.hidden = append(t.hidden, i)
					}
				}
			}
			for _, e := range extras {
				obj.Fields = append(obj.Fields, e.field())
			}
			t.obj = &obj
			t.extras = extras
			t.stream = streamExtra<<8 + uint64(len(o.objects))
		}
		o.tables[base.Name] = t
		o.objects = append(o.objects, t.obj)
	}
	for k, c := range sh.Custom {
		t := o.customTable(c, k)
		o.tables[c.Name] = t
		o.objects = append(o.objects, t.obj)
	}
}

// streamExtra keys the random streams of extra fields and custom objects.
const streamExtra = 11

func (o *Org) customTable(c CustomObject, k int) *table {
	if c.Prefix == "" {
		c.Prefix = "a0S"
	}
	if c.Records == 0 {
		c.Records = max(1, o.cfg.Leads/10)
	}
	fields := []crm.Field{
		{Name: "Id", Column: "id", Type: crm.ID, Required: true},
		{Name: "SystemModstamp", Column: "system_modstamp", Type: crm.DateTime, Required: true},
		{Name: "CreatedDate", Column: "created_date", Type: crm.DateTime, Required: true},
		{Name: "IsDeleted", Column: "is_deleted", Type: crm.Bool},
	}
	for _, e := range c.Fields {
		fields = append(fields, e.field())
	}
	t := &table{obj: &crm.Object{Name: c.Name, SoftDelete: true, Fields: fields}, prefix: c.Prefix, n: int64(c.Records),
		extras: c.Fields, stream: streamExtra<<16 + uint64(k), over: map[int64]*crm.Row{}, gone: map[int64]bool{}, deletedAt: map[int64]int64{}}
	g := &o.gen
	span := g.asOf - g.start
	for i := int64(0); i < t.n; i++ {
		r := newRNG(g.seed, t.stream, -1-i)
		created := g.start + span*i/t.n + r.between(0, usDay)
		t.stamps = append(t.stamps, wholeSecond(min(g.asOf, created+r.between(0, 30*usDay))))
	}
	t.render = func(rc *renderCtx, i int64, row *crm.Row) {
		r := newRNG(rc.g.seed, t.stream, -1-i)
		created := rc.g.start + span*i/t.n + r.between(0, usDay)
		w := rowWriter{t.obj, row}
		w.common(makeID(t.prefix, i), wholeSecond(created), t.stamps[i])
	}
	return t
}

// fillExtras writes the generated values of record i's extra fields, which
// follow the registry's in the row.
func (t *table) fillExtras(rc *renderCtx, i int64, row *crm.Row) {
	g := rc.g
	base := len(t.obj.Fields) - len(t.extras)
	created := row.Values[2].I
	for k, e := range t.extras {
		r := newRNG(g.seed, t.stream, i<<8|int64(k))
		if e.InvoicePaid {
			row.Values[base+k] = t.invoicePaid(rc, &r, i)
			continue
		}
		v := crm.Value{}
		switch e.Type {
		case crm.Bool:
			v.B = r.chance(0.5)
		case crm.Int:
			v.I = int64(r.intn(101))
		case crm.Currency, crm.Percent, crm.Rate:
			v.I = r.between(0, 100_000_00)
		case crm.Date:
			v.I = dayOf(created) + r.between(0, 90)
		case crm.DateTime:
			v.I = wholeSecond(created + r.between(0, 90*usDay))
		case crm.Picklist:
			vals := e.Values
			if len(vals) == 0 {
				vals = []string{"A", "B", "C"}
			}
			v.S = vals[r.intn(len(vals))]
		case crm.ID: // an account if the org has any, else a user
			if n := g.accounts.n; n > 0 {
				v.S = makeID(keyPrefix["Account"], r.between(0, n))
			} else {
				v.S = People[r.intn(len(People))].ID
			}
		case crm.Email:
			v.S = fmt.Sprintf("x%d@example.com", i)
		case crm.Phone:
			v.S = phone(i)
		default:
			v.S = fmt.Sprintf("%s %d", e.Name, i)
		}
		if e.Type != crm.Bool && r.chance(1.0/7) {
			v = crm.Value{Null: true}
		}
		row.Values[base+k] = v
	}
}

// invoicePaid is opportunity i's InvoicePaidDate value, drawn from r.
func (t *table) invoicePaid(rc *renderCtx, r *rng, i int64) crm.Value {
	p, ref := rc.leadOf(t, i)
	o := &p.opps[ref.a]
	unpaid := r.chance(0.1)
	day := o.closeDay + r.between(10, 81)
	if o.outcome != outcomeWon || o.cancelled || unpaid || day >= dayOf(rc.g.asOf) {
		return crm.Value{Null: true}
	}
	return crm.Value{I: day}
}
