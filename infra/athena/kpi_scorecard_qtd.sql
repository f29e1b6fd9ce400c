-- The shared scorecard for the quarter to date: the latest nightly as-of
-- figures, org-wide. Every value is exact DECIMAL(18,6) (amount: DECIMAL(18,2) for money).
-- Partitions point at committed runs only (see infra/glue.yaml), so no
-- manifest logic is needed here.
WITH latest AS (
  SELECT max(as_of) AS as_of
  FROM kpi_gold
  WHERE quarter = '2026Q4' AND final = false
)
SELECT g.kpi, g.model, g.unit, g.value, g.amount, g.currency, g.defined
FROM kpi_gold g
JOIN latest l ON g.as_of = l.as_of
WHERE g.quarter = '2026Q4'
  AND g.dimension = 'org'
ORDER BY g.kpi, g.model;
