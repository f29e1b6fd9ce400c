-- Draft or approved payout per person for a quarter, by line kind. Amounts
-- are DECIMAL(18,2): the sums are exact cents, and a statement's total is the
-- sum of its rounded lines. Names, teams and cost centers are on the payroll
-- export (exports_payroll) and the CRM user snapshot; join on employee_id.
--
-- Parameters: 1. quarter
-- Example parameters: '2026Q3'
-- Athena: PREPARE payouts_by_person FROM <this query>;
--         EXECUTE payouts_by_person USING '2026Q3';
-- DuckDB (over the generated views): PREPARE q AS <this query>; EXECUTE q('2026Q3');
SELECT person_id,
       employee_id,
       sum(amount) FILTER (WHERE kind = 'attainment_bonus') AS attainment_bonus,
       sum(amount) FILTER (WHERE kind = 'commission') AS commission,
       sum(amount) FILTER (WHERE kind = 'clawback') AS clawback,
       sum(amount) FILTER (WHERE kind = 'adjustment') AS adjustment,
       sum(amount) FILTER (WHERE kind = 'prior_period_adjustment') AS prior_period_adjustment,
       sum(amount) AS total,
       arbitrary(currency) AS currency
FROM comp_statement_lines
WHERE quarter = ?
GROUP BY person_id, employee_id
ORDER BY total DESC;
