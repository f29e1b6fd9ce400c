-- Open pipeline by stage from last night's snapshot, closing in the current
-- quarter. Quarter bounds are half-open [start, end) on DATE values, so no
-- timestamp rounding (Athena reads micros at millisecond precision) can move
-- a deal across the boundary.
SELECT stage_name,
       count(*) AS opportunities,
       sum(amount) AS amount,
       currency_iso_code AS currency
FROM crm_snapshot_opportunity
WHERE dt = DATE '2026-11-20'
  AND is_closed = false
  AND coalesce(is_deleted, false) = false
  AND close_date >= DATE '2026-10-01'
  AND close_date < DATE '2027-01-01'
GROUP BY stage_name, currency_iso_code
ORDER BY amount DESC;
