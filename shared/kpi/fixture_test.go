package kpi

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"github.com/venn-revops/venn/shared/money"
	"github.com/venn-revops/venn/shared/period"
)

// fixture is the hand-readable org of testdata/*.yaml: times as RFC 3339,
// dates as YYYY-MM-DD, amounts as decimal strings.
type fixture struct {
	Users    []struct{ ID, Team, Profile, Type string }
	Accounts []struct {
		ID, Segment, Region string
	}
	Campaigns []struct{ ID, Type, Start, End, Cost string }
	Leads     []struct {
		ID, Source, Owner, Segment, Region, Status, Opp string
		Created, MQL, SQL                               string
		Converted                                       string
		Deleted                                         bool
	}
	Opportunities []struct {
		ID, Account, Owner, Source, Campaign, Type, Stage, Currency string
		Created, Close, Amount, Contract                            string
		Won, Closed                                                 *bool
	}
	History []struct {
		ID, Opp, Stage, Created, Amount, Close string
	}
	ContactRoles []struct{ ID, Opp, Contact string } `yaml:"contact_roles"`
	Members      []struct {
		ID, Campaign, Lead, Contact string
		Responded                   bool
		FirstResponded              string `yaml:"first_responded"`
		TouchDate                   string `yaml:"touch_date"`
		Created                     string
	}
	Tasks []struct {
		ID, Who, Owner, Type, Created, Activity string
		CreatedBy                               string `yaml:"created_by"`
	}
	Contracts []struct {
		ID, Account, Owner, Status, Created, Start, End, Amount string
		Term                                                    *int64
		Deleted                                                 bool
	}
	LineItems []struct {
		ID, Opp, Product, Created, Price string
		Deleted                          bool
	} `yaml:"line_items"`
	Products []struct {
		ID, Family string
		Deleted    bool
	}
	LeadHistory []struct {
		ID, Lead, Field, Old, New, Created string
		Deleted                            bool
	} `yaml:"lead_history"`
	Rates struct {
		Corporate string
		Static    []struct{ Currency, Rate string }
		Dated     []struct{ Currency, Rate, Start, Next string }
	}
}

// fixtureRates are the fixture's exchange rates.
func fixtureRates(t testing.TB, f *fixture) money.Rates {
	r := money.Rates{Corporate: f.Rates.Corporate}
	date := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		return time.Unix(int64(*dayp(t, s))*86400, 0).UTC()
	}
	for _, s := range f.Rates.Static {
		r.Static = append(r.Static, money.StaticRate{Currency: s.Currency, Rate: decimal.RequireFromString(s.Rate)})
	}
	for _, d := range f.Rates.Dated {
		r.Dated = append(r.Dated, money.DatedRate{Currency: d.Currency, Rate: decimal.RequireFromString(d.Rate), Start: date(d.Start), Next: date(d.Next)})
	}
	return r
}

func ts(t testing.TB, s string) int64 {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("fixture time %q: %v", s, err)
	}
	return v.UnixMicro()
}

func tsp(t testing.TB, s string) *int64 {
	if s == "" {
		return nil
	}
	v := ts(t, s)
	return &v
}

func dayp(t testing.TB, s string) *int32 {
	if s == "" {
		return nil
	}
	v, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatalf("fixture date %q: %v", s, err)
	}
	d := int32(v.Unix() / 86400)
	return &d
}

func centsp(t testing.TB, s string) *int64 {
	if s == "" {
		return nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("fixture amount %q: %v", s, err)
	}
	c := d.Shift(2).IntPart()
	return &c
}

// loadFixture reads testdata/<name> into engine inputs.
func loadFixture(t testing.TB, name string) Inputs {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	dec := yaml.NewDecoder(bytesReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var in struct {
		users    []User
		accounts []Account
		camps    []Campaign
		leads    []Lead
		opps     []Opportunity
		hist     []OpportunityHistory
		roles    []ContactRole
		members  []CampaignMember
		tasks    []Task
		contract []Contract
	}
	for _, u := range f.Users {
		in.users = append(in.users, User{ID: u.ID, Team: u.Team, ProfileID: u.Profile, UserType: u.Type})
	}
	for _, a := range f.Accounts {
		in.accounts = append(in.accounts, Account{ID: a.ID, Segment: a.Segment, Region: a.Region})
	}
	for _, c := range f.Campaigns {
		in.camps = append(in.camps, Campaign{ID: c.ID, Type: c.Type, StartDate: dayp(t, c.Start), EndDate: dayp(t, c.End), ActualCost: centsp(t, c.Cost)})
	}
	for _, l := range f.Leads {
		in.leads = append(in.leads, Lead{ID: l.ID, CreatedDate: ts(t, l.Created), IsDeleted: l.Deleted, Status: l.Status,
			LeadSource: l.Source, OwnerID: l.Owner, Segment: l.Segment, Region: l.Region, MQLDate: tsp(t, l.MQL), SQLDate: tsp(t, l.SQL),
			ConvertedDate: dayp(t, l.Converted), ConvertedOpportunityID: l.Opp})
	}
	for _, o := range f.Opportunities {
		in.opps = append(in.opps, Opportunity{ID: o.ID, CreatedDate: ts(t, o.Created), AccountID: o.Account, OwnerID: o.Owner,
			StageName: o.Stage, Amount: centsp(t, o.Amount), CurrencyIsoCode: o.Currency, CloseDate: *dayp(t, o.Close),
			IsClosed: o.Closed, IsWon: o.Won, Type: o.Type, LeadSource: o.Source, CampaignID: o.Campaign, ContractID: o.Contract})
	}
	for _, h := range f.History {
		in.hist = append(in.hist, OpportunityHistory{ID: h.ID, CreatedDate: ts(t, h.Created), OpportunityID: h.Opp,
			StageName: h.Stage, Amount: centsp(t, h.Amount), CloseDate: dayp(t, h.Close)})
	}
	for _, r := range f.ContactRoles {
		in.roles = append(in.roles, ContactRole{ID: r.ID, OpportunityID: r.Opp, ContactID: r.Contact})
	}
	for _, m := range f.Members {
		in.members = append(in.members, CampaignMember{ID: m.ID, CreatedDate: ts(t, m.Created), CampaignID: m.Campaign,
			LeadID: m.Lead, ContactID: m.Contact, HasResponded: m.Responded, FirstRespondedDate: dayp(t, m.FirstResponded), TouchDate: tsp(t, m.TouchDate)})
	}
	for _, k := range f.Tasks {
		in.tasks = append(in.tasks, Task{ID: k.ID, CreatedDate: ts(t, k.Created), WhoID: k.Who, OwnerID: k.Owner, Type: k.Type,
			ActivityDate: dayp(t, k.Activity), CreatedByID: k.CreatedBy})
	}
	for _, c := range f.Contracts {
		in.contract = append(in.contract, Contract{ID: c.ID, CreatedDate: ts(t, c.Created), IsDeleted: c.Deleted, AccountID: c.Account,
			OwnerID: c.Owner, Status: c.Status, StatusCode: c.Status, StartDate: dayp(t, c.Start), EndDate: dayp(t, c.End),
			ContractTerm: c.Term, RecurringAmount: centsp(t, c.Amount)})
	}
	var contracts Source[Contract]
	if len(in.contract) > 0 {
		contracts = Rows(in.contract) // an org without contracts has no Contracts source
	}
	var lines Source[LineItem]
	var products Source[Product]
	if len(f.LineItems) > 0 || len(f.Products) > 0 {
		var ls []LineItem
		for _, l := range f.LineItems {
			ls = append(ls, LineItem{ID: l.ID, CreatedDate: ts(t, l.Created), IsDeleted: l.Deleted, OpportunityID: l.Opp,
				Product2ID: l.Product, TotalPrice: centsp(t, l.Price)})
		}
		var ps []Product
		for _, p := range f.Products {
			ps = append(ps, Product{ID: p.ID, IsDeleted: p.Deleted, Family: p.Family})
		}
		lines, products = Rows(ls), Rows(ps)
	}
	var leadHistory Source[LeadHistory]
	if len(f.LeadHistory) > 0 {
		var hs []LeadHistory
		for _, h := range f.LeadHistory {
			hs = append(hs, LeadHistory{ID: h.ID, CreatedDate: ts(t, h.Created), IsDeleted: h.Deleted, LeadID: h.Lead, Field: h.Field, OldValue: h.Old, NewValue: h.New})
		}
		leadHistory = Rows(hs) // an org without field history has no LeadHistory source
	}
	return Inputs{LeadHistory: leadHistory, Contracts: contracts, LineItems: lines, Products: products, Users: Rows(in.users), Accounts: Rows(in.accounts), Campaigns: Rows(in.camps), Leads: Rows(in.leads),
		Opportunities: Rows(in.opps), OpportunityHistory: Rows(in.hist), ContactRoles: Rows(in.roles),
		CampaignMembers: Rows(in.members), Tasks: Rows(in.tasks), Rates: fixtureRates(t, &f)}
}

type expectFile struct {
	Cases []struct {
		Name    string
		Quarter string
		AsOf    string `yaml:"asof"`
		Final   bool
		Expect  []struct {
			KPI, Dim, Key, Model string
			Value, Num, Den      string
			Defined              *bool
		}
	}
}

func loadTestConfig(t testing.TB) *Config {
	t.Helper()
	data, err := os.ReadFile("testdata/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig("testdata/config.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestSmallOrg checks every hand-computed value of small-org.expect.yaml.
func TestSmallOrg(t *testing.T) {
	checkExpect(t, loadTestConfig(t), "small-org.yaml", "small-org.expect.yaml")
}

// TestEveryKPIHasAFixture: every catalog KPI has a hand-computed
// expectation in some testdata/*.expect.yaml (each file is checked by its
// own test: TestSmallOrg, TestAttributionWindows, TestLeadKPIs…).
func TestEveryKPIHasAFixture(t *testing.T) {
	files, err := filepath.Glob("testdata/*.expect.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no expect files: %v", err)
	}
	covered := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ef expectFile
		if err := yaml.Unmarshal(data, &ef); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range ef.Cases {
			for _, x := range c.Expect {
				covered[x.KPI] = true
			}
		}
	}
	for _, d := range Catalog() {
		if !covered[d.Name] {
			t.Errorf("catalog KPI %s has no hand-computed expectation in testdata/*.expect.yaml", d.Name)
		}
	}
}

// TestOppKPIsOrg checks opp-kpis-org.expect.yaml: the opportunity KPIs of
// issue 12 (lost amount, win rate by amount, open count, medians, time in
// stage, coverage at the quarter start and for the next quarter).
func TestOppKPIsOrg(t *testing.T) {
	checkExpect(t, loadTestConfig(t), "opp-kpis-org.yaml", "opp-kpis-org.expect.yaml")
}

// checkExpect computes every case of testdata/<expect> over
// testdata/<fixture> and compares each expected value; it returns the
// KPIs it checked.
func checkExpect(t *testing.T, cfg *Config, fixtureName, expectName string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile("testdata/" + expectName)
	if err != nil {
		t.Fatal(err)
	}
	var ef expectFile
	dec := yaml.NewDecoder(bytesReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&ef); err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, c := range ef.Cases {
		t.Run(c.Name, func(t *testing.T) {
			asOf, err := time.Parse(time.RFC3339, c.AsOf)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Compute(cfg, loadFixture(t, fixtureName), Period{Quarter: period.MustParse(c.Quarter), AsOf: asOf, Final: c.Final})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range c.Expect {
				dim, key := x.Dim, x.Key
				if dim == "" {
					dim, key = DimOrg, KeyAll
				}
				covered[x.KPI] = true
				v, ok := res.Get(x.KPI, dim, key, x.Model)
				if !ok {
					t.Errorf("%s %s=%s %s: missing", x.KPI, dim, key, x.Model)
					continue
				}
				want := decimal.RequireFromString(x.Value)
				defined := x.Defined == nil || *x.Defined
				if !v.Value.Equal(want) || v.Defined != defined {
					t.Errorf("%s %s=%s %s: got %s (defined %v), want %s (defined %v)", x.KPI, dim, key, x.Model, v.Value, v.Defined, want, defined)
				}
				if x.Num != "" && !v.Numerator.Equal(decimal.RequireFromString(x.Num)) {
					t.Errorf("%s %s=%s: numerator %s, want %s", x.KPI, dim, key, v.Numerator, x.Num)
				}
				if x.Den != "" && !v.Denominator.Equal(decimal.RequireFromString(x.Den)) {
					t.Errorf("%s %s=%s: denominator %s, want %s", x.KPI, dim, key, v.Denominator, x.Den)
				}
				if v.Unit == UnitCurrency && v.Currency != "USD" {
					t.Errorf("%s: currency %q", x.KPI, v.Currency)
				}
			}
		})
	}
	return covered
}
