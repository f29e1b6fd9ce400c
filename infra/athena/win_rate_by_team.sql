-- Win rate by team for a closed quarter's final figures, with the counts
-- behind it. Recomputing the ratio here shows the stored value is
-- numerator / denominator; CAST keeps Athena's decimal division explicit
-- (Athena keeps scale max(s1, s2) and rounds half up; DuckDB returns DOUBLE).
--
-- Parameters: 1. quarter (closed: its final figures)
-- Example parameters: '2026Q3'
-- Athena: PREPARE win_rate_by_team FROM <this query>;
--         EXECUTE win_rate_by_team USING '2026Q3';
-- DuckDB (over the generated views): PREPARE q AS <this query>; EXECUTE q('2026Q3');
SELECT key AS team,
       value AS win_rate,
       numerator AS won,
       denominator AS won_plus_lost,
       CASE WHEN denominator = 0 THEN NULL
            ELSE CAST(numerator AS DECIMAL(18,6)) / CAST(denominator AS DECIMAL(18,6)) END AS recomputed
FROM kpi_gold
WHERE quarter = ?
  AND final = true
  AND kpi = 'win_rate'
  AND dimension = 'team'
ORDER BY value DESC;
