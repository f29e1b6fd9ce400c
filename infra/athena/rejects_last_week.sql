-- Records the extract quarantined in the last N days, by object and reason.
-- crm_rejects uses partition projection (append-only diagnostics), so the
-- predicate on dt prunes the scan without registered partitions.
-- Athena only: crm_rejects is JSON lines; the generated DuckDB views cover
-- the Parquet tables.
--
-- Parameters: 1. days back
-- Example parameters: 7
-- Athena: PREPARE rejects_last_week FROM <this query>;
--         EXECUTE rejects_last_week USING 7;
SELECT object_name, field, reason, count(*) AS records, count(DISTINCT run) AS runs
FROM crm_rejects
WHERE dt >= date_add('day', -?, current_date)
GROUP BY object_name, field, reason
ORDER BY records DESC;
