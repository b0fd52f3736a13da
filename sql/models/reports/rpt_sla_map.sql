-- reports.rpt_sla_map: each SLA plan, what it applies to, and how many tickets carry it.
-- Grain: one row per raw.sla row.
-- Why: Intercom SLAs are configured by the workspace admin, not through the API; the customer
-- rebuilds them from this map. Grace periods are in hours (sla.grace_period); flags 0x1 active,
-- 0x2 overdue alerts, 0x4 no alerts, 0x8 transient (replaced on transfer); the schedule decides
-- business hours (SLA schedule, else the department's, else the default).
CREATE OR REPLACE TABLE reports.rpt_sla_map AS
SELECT s.id::BIGINT AS sla_id,
       s.name,
       s.grace_period::BIGINT AS grace_hours,
       s.flags & 1 <> 0 AS active,
       s.flags & 2 <> 0 AS overdue_alerts,
       s.flags & 8 <> 0 AS transient,
       coalesce(sch.name, '(default schedule)') AS schedule,
       (SELECT string_agg(d.full_name, ', ' ORDER BY d.full_name) FROM staging.stg_departments d
        JOIN raw.department rd ON rd.id = d.dept_id WHERE rd.sla_id = s.id) AS departments,
       (SELECT string_agg(t.full_name, ', ' ORDER BY t.full_name) FROM staging.stg_help_topics t
        JOIN raw.help_topic rt ON rt.topic_id = t.topic_id WHERE rt.sla_id = s.id) AS help_topics,
       (SELECT count(*) FROM raw.ticket k WHERE k.sla_id = s.id) AS tickets,
       (SELECT count(*) FROM raw.ticket k WHERE k.sla_id = s.id AND k.isoverdue <> 0) AS overdue_tickets
FROM raw.sla s
LEFT JOIN raw.schedule sch ON sch.id = s.schedule_id
ORDER BY s.id;
