package comp

import "time"

// StatusRow is one statement's lifecycle state for the lake
// (comp/statement_status/quarter=YYYYQn), so Athena and DuckDB can tell a
// draft line from an approved or final one: join comp_statement_lines on
// statement_id (and quarter). One row per statement of the quarter, written
// after every payouts run and every approve or finalize that changed
// something. Total is DECIMAL(18,2) on int64 cents; times are UTC
// microseconds, NULL until the step happened.
type StatusRow struct {
	StatementID string     `parquet:"statement_id"`
	Quarter     string     `parquet:"quarter,dict"`
	PersonID    string     `parquet:"person_id"`
	EmployeeID  string     `parquet:"employee_id"`
	Status      string     `parquet:"status,dict"`
	Version     int64      `parquet:"statement_version"`
	ApprovedBy  string     `parquet:"approved_by,optional"`
	ApprovedAt  *time.Time `parquet:"approved_at,optional,timestamp(microsecond)"`
	FinalBy     string     `parquet:"final_by,optional"`
	FinalAt     *time.Time `parquet:"final_at,optional,timestamp(microsecond)"`
	Total       int64      `parquet:"total,decimal(2:18)"`
	Currency    string     `parquet:"currency,dict"`
	InputHash   string     `parquet:"input_hash"`
}
