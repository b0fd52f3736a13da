-- reports.rpt_sla_map: each SLA plan, what it applies to, and how many tickets carry it.
-- Grain: one row per raw.sla row.
-- Why: Intercom SLAs are configured by the workspace admin, not through the API; the customer
-- rebuilds them from this map; `rebuild_in_intercom` says how, in words. Grace periods are in hours (sla.grace_period); flags 0x1 active,
-- 0x2 overdue alerts, 0x4 no alerts, 0x8 transient (replaced on transfer); the schedule decides
-- business hours (SLA schedule, else the department's, else the default).
CREATE OR REPLACE TABLE reports.rpt_sla_map AS
WITH
stg_departments AS (SELECT * FROM staging.stg_departments),
raw_department AS NOT MATERIALIZED (SELECT * FROM staging.base_department),
stg_help_topics AS NOT MATERIALIZED (SELECT * FROM staging.stg_help_topics),
raw_help_topic AS NOT MATERIALIZED (SELECT * FROM staging.base_help_topic),
raw_ticket AS NOT MATERIALIZED (SELECT * FROM staging.base_ticket),
int_team_inboxes AS (SELECT * FROM intermediate.int_team_inboxes),
raw_sla AS (SELECT * FROM staging.base_sla),
raw_schedule AS (SELECT * FROM staging.base_schedule),

final AS (
    SELECT s.id::BIGINT AS sla_id,
           s.name,
           s.grace_period::BIGINT AS grace_hours,
           s.flags & 1 <> 0 AS active,
           s.flags & 2 <> 0 AS overdue_alerts,
           s.flags & 8 <> 0 AS transient,
           coalesce(sch.name, '(default schedule)') AS schedule,
           (SELECT string_agg(d.full_name, ', ' ORDER BY d.full_name) FROM stg_departments d
            JOIN raw_department rd ON rd.id = d.dept_id WHERE rd.sla_id = s.id) AS departments,
           (SELECT string_agg(t.full_name, ', ' ORDER BY t.full_name) FROM stg_help_topics t
            JOIN raw_help_topic rt ON rt.topic_id = t.topic_id WHERE rt.sla_id = s.id) AS help_topics,
           (SELECT count(*) FROM raw_ticket k WHERE k.sla_id = s.id) AS tickets,
           (SELECT count(*) FROM raw_ticket k WHERE k.sla_id = s.id AND k.isoverdue <> 0) AS overdue_tickets,
           -- osTicket's grace period is the time to resolve (the due date); Intercom's nearest is an
           -- SLA with a "time to close" target, applied by a workflow, counted in office hours.
           'SLA "' || s.name || '" (Settings › Helpdesk › SLAs) with time to close ' || s.grace_period || ' h'
             || CASE WHEN sch.name IS NOT NULL THEN ', counted in office hours "' || sch.name || '"' ELSE '' END
             || '; apply it with a workflow "Apply SLA" for '
             || coalesce(nullif(concat_ws(' or ',
                    (SELECT 'team inbox ' || string_agg('"' || i.expected_team || '"', ', ' ORDER BY i.expected_team)
                     FROM int_team_inboxes i JOIN raw_department rd ON rd.id = i.dept_id WHERE rd.sla_id = s.id),
                    (SELECT 'tag ' || string_agg('"' || t.full_name || '"', ', ' ORDER BY t.full_name)
                     FROM stg_help_topics t JOIN raw_help_topic rt ON rt.topic_id = t.topic_id WHERE rt.sla_id = s.id)), ''),
                  CASE WHEN s.flags & 1 = 0 THEN 'nothing (the plan is inactive: skip it)' ELSE 'the tickets it covers' END)
             || CASE WHEN s.flags & 4 <> 0 THEN '; no breach alerts (osTicket sent none)' ELSE '' END
             AS rebuild_in_intercom
    FROM raw_sla s
    LEFT JOIN raw_schedule sch ON sch.id = s.schedule_id
    ORDER BY s.id
)

SELECT * FROM final;
