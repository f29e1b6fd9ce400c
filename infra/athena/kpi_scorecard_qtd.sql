-- The shared scorecard of a quarter, org-wide: its newest as_of (the nightly
-- quarter-to-date figures, or the final ones once the quarter closed;
-- final says which). Every value is exact DECIMAL(18,6); amount is the
-- DECIMAL(18,2) value of currency KPIs. Partitions point at committed runs
-- only (see infra/glue.yaml), so no manifest logic is needed here.
--
-- Parameters: 1. quarter
-- Example parameters: '2026Q4'
-- Athena: PREPARE kpi_scorecard_qtd FROM <this query>;
--         EXECUTE kpi_scorecard_qtd USING '2026Q4';
-- DuckDB (over the generated views): PREPARE q AS <this query>; EXECUTE q('2026Q4');
WITH latest AS (
  SELECT quarter, max(as_of) AS as_of
  FROM kpi_gold
  WHERE quarter = ?
  GROUP BY quarter
)
SELECT g.kpi, g.model, g.unit, g.value, g.amount, g.currency, g.defined, g.as_of, g.final
FROM kpi_gold g
JOIN latest l ON g.quarter = l.quarter AND g.as_of = l.as_of
WHERE g.dimension = 'org'
ORDER BY g.kpi, g.model;
