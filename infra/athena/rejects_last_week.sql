-- Records the extract quarantined in the last 7 days, by object and reason.
-- crm_rejects uses partition projection (append-only diagnostics), so the
-- predicate on dt prunes the scan without registered partitions.
SELECT object_name, field, reason, count(*) AS records, count(DISTINCT run) AS runs
FROM crm_rejects
WHERE dt >= current_date - INTERVAL '7' DAY
GROUP BY object_name, field, reason
ORDER BY records DESC;
