package orggen

import "time"

// Person is one user of the demo org. The roster is fixed (not random) so the
// sample comp assignments in shared/config/comp/ can name people, and so the demo
// shows a mid-quarter hire, a promotion and a leaver in the closed quarter.
type Person struct {
	ID             string // Salesforce User Id
	Name           string
	Title          string // "Account Executive", "SDR", "Sales Manager", "Marketing Manager", "Marketing Ops"
	Department     string // "Sales" or "Marketing"
	Team           string // "Sales East", "Sales West", "Marketing"
	ManagerID      string
	EmployeeNumber string
	CostCenter     string
	Hired          time.Time  // first day active
	Left           *time.Time // last day active, nil while employed
	ProfileID      string     // "" for the Automated Process user
	UserType       string     // Salesforce User.UserType; "" reads as Standard
}

// Profiles of the demo org (Profile Ids are per org).
const (
	ProfileSales       = "00e000000000001AAA" // "Sales User"
	ProfileMarketing   = "00e000000000002AAA" // "Marketing User"
	ProfileIntegration = "00e000000000003AAA" // "Salesforce API Only System Integrations"
)

// AutomatedProcessID is the platform's Automated Process user, which the
// lead-routing flow runs as: it creates an e-mail Task on every new MQL,
// owned by the lead's owner (UserType AutomatedProcess, so the default KPI
// configuration does not count it as a response).
const AutomatedProcessID = "005000000000100AAA"

// QueueID is the SDR queue (a Group) that holds unassigned MQLs.
const QueueID = "00G000000000001EAA"

// profileOf is a person's profile: by department.
func (p Person) profileOf() string {
	switch {
	case p.ProfileID != "" || p.UserType == "AutomatedProcess":
		return p.ProfileID
	case p.Department == "Marketing":
		return ProfileMarketing
	case p.Department == "Operations":
		return ProfileIntegration
	}
	return ProfileSales
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
func dayp(y int, m time.Month, d int) *time.Time {
	t := day(y, m, d)
	return &t
}

// DefaultAsOf is the demo clock: the instant the demo's nightly run happens.
// The last closed quarter is 2026Q3 and the quarter to date is 2026Q4.
var DefaultAsOf = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

// DefaultHistoryStart is the first day of generated history (six quarters,
// 2025Q3 through the quarter to date).
var DefaultHistoryStart = day(2025, 7, 1)

// People is the demo org's roster.
var People = []Person{
	{ID: "005000000000001AAA", Name: "Maria Chen", Title: "Sales Manager", Department: "Sales", Team: "Sales East", EmployeeNumber: "E1001", CostCenter: "CC-SALES-EAST", Hired: day(2023, 2, 1)},
	{ID: "005000000000002AAA", Name: "Alex Romero", Title: "Account Executive", Department: "Sales", Team: "Sales East", ManagerID: "005000000000001AAA", EmployeeNumber: "E1002", CostCenter: "CC-SALES-EAST", Hired: day(2023, 5, 15)},
	{ID: "005000000000003AAA", Name: "Priya Nair", Title: "Account Executive", Department: "Sales", Team: "Sales East", ManagerID: "005000000000001AAA", EmployeeNumber: "E1003", CostCenter: "CC-SALES-EAST", Hired: day(2024, 1, 8)},
	{ID: "005000000000004AAA", Name: "Tom Becker", Title: "Account Executive", Department: "Sales", Team: "Sales East", ManagerID: "005000000000001AAA", EmployeeNumber: "E1004", CostCenter: "CC-SALES-EAST", Hired: day(2024, 9, 2)},
	// Jordan Lee is an SDR promoted to Account Executive on 2026-09-01 (mid 2026Q3).
	{ID: "005000000000005AAA", Name: "Jordan Lee", Title: "Account Executive", Department: "Sales", Team: "Sales East", ManagerID: "005000000000001AAA", EmployeeNumber: "E1005", CostCenter: "CC-SALES-EAST", Hired: day(2025, 3, 3)},
	{ID: "005000000000006AAA", Name: "Sam Okafor", Title: "Sales Manager", Department: "Sales", Team: "Sales West", EmployeeNumber: "E1006", CostCenter: "CC-SALES-WEST", Hired: day(2022, 11, 1)},
	{ID: "005000000000007AAA", Name: "Lena Fischer", Title: "Account Executive", Department: "Sales", Team: "Sales West", ManagerID: "005000000000006AAA", EmployeeNumber: "E1007", CostCenter: "CC-SALES-WEST", Hired: day(2023, 8, 21)},
	{ID: "005000000000008AAA", Name: "Diego Alvarez", Title: "Account Executive", Department: "Sales", Team: "Sales West", ManagerID: "005000000000006AAA", EmployeeNumber: "E1008", CostCenter: "CC-SALES-WEST", Hired: day(2024, 4, 1)},
	// Hana Sato joins mid 2026Q3: her pay is prorated by days active.
	{ID: "005000000000009AAA", Name: "Hana Sato", Title: "Account Executive", Department: "Sales", Team: "Sales West", ManagerID: "005000000000006AAA", EmployeeNumber: "E1009", CostCenter: "CC-SALES-WEST", Hired: day(2026, 8, 17)},
	// Chris Morgan, an SDR, leaves on 2026-09-15.
	{ID: "005000000000010AAA", Name: "Chris Morgan", Title: "SDR", Department: "Sales", Team: "Sales West", ManagerID: "005000000000006AAA", EmployeeNumber: "E1010", CostCenter: "CC-SALES-WEST", Hired: day(2024, 6, 10), Left: dayp(2026, 9, 15)},
	{ID: "005000000000011AAA", Name: "Nina Brooks", Title: "SDR", Department: "Sales", Team: "Sales East", ManagerID: "005000000000001AAA", EmployeeNumber: "E1011", CostCenter: "CC-SALES-EAST", Hired: day(2025, 1, 6)},
	{ID: "005000000000012AAA", Name: "Olivia Grant", Title: "Marketing Manager", Department: "Marketing", Team: "Marketing", EmployeeNumber: "E2001", CostCenter: "CC-MKTG", Hired: day(2022, 6, 1)},
	{ID: "005000000000013AAA", Name: "Ravi Patel", Title: "Marketing Manager", Department: "Marketing", Team: "Marketing", ManagerID: "005000000000012AAA", EmployeeNumber: "E2002", CostCenter: "CC-MKTG", Hired: day(2024, 2, 12)},
	{ID: "005000000000014AAA", Name: "Emma Novak", Title: "Marketing Ops", Department: "Marketing", Team: "Marketing", ManagerID: "005000000000012AAA", EmployeeNumber: "E2003", CostCenter: "CC-MKTG", Hired: day(2023, 3, 20)},
	// The integration user that owns system records; never paid.
	{ID: "005000000000099AAA", Name: "Integration User", Title: "Integration", Department: "Operations", Team: "Operations", EmployeeNumber: "", CostCenter: "", Hired: day(2020, 1, 1)},
	// The platform's automated-process user: the lead-routing flow's tasks.
	{ID: AutomatedProcessID, Name: "Automated Process", Title: "", Department: "", Team: "", Hired: day(2020, 1, 1), UserType: "AutomatedProcess"},
}

// JordanPromoted is the day Jordan Lee moved from SDR to Account Executive.
var JordanPromoted = day(2026, 9, 1)
