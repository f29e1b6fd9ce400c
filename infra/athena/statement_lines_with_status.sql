-- Statement lines with each statement's status (draft, approved, final),
-- version and approver: comp_statement_status has one row per statement of
-- the quarter, so join it on statement_id and quarter. Numbers are DECIMAL:
-- amount (18,2) exact cents; actual and target (18,6); attainment, rate and
-- proration (18,12), 1 = 100%, rounded half away from zero from the
-- statement's exact values.
--
-- Parameters: 1. quarter
-- Example parameters: '2026Q3'
-- Athena: PREPARE statement_lines_with_status FROM <this query>;
--         EXECUTE statement_lines_with_status USING '2026Q3';
-- DuckDB (over the generated views): PREPARE q AS <this query>; EXECUTE q('2026Q3');
SELECT l.quarter,
       l.person_id,
       s.status,
       s.statement_version,
       s.approved_by,
       s.approved_at,
       l.seq,
       l.kind,
       l.component,
       l.attainment,
       l.rate,
       l.amount,
       l.currency
FROM comp_statement_lines l
JOIN comp_statement_status s
  ON s.statement_id = l.statement_id AND s.quarter = l.quarter
WHERE l.quarter = ?
ORDER BY l.person_id, l.seq;
