-- Open pipeline by stage from one night's snapshot, closing in that night's
-- quarter. Quarter bounds are half-open [start, end) on DATE values, so no
-- timestamp rounding (Athena reads micros at millisecond precision) can move
-- a deal across the boundary.
--
-- Parameters: 1. the snapshot night (a DATE)
-- Example parameters: DATE '2026-11-20'
-- Athena: PREPARE open_pipeline_by_stage FROM <this query>;
--         EXECUTE open_pipeline_by_stage USING DATE '2026-11-20';
-- DuckDB (over the generated views): PREPARE q AS <this query>; EXECUTE q(DATE '2026-11-20');
SELECT stage_name,
       count(*) AS opportunities,
       sum(amount) AS amount,
       currency_iso_code AS currency
FROM crm_snapshot_opportunity
WHERE dt = ?
  AND is_closed = false
  AND coalesce(is_deleted, false) = false
  AND close_date >= date_trunc('quarter', dt)
  AND close_date < date_trunc('quarter', dt) + INTERVAL '3' MONTH
GROUP BY stage_name, currency_iso_code
ORDER BY amount DESC;
