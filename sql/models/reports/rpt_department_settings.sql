-- reports.rpt_department_settings: each department's routing and auto-response settings.
-- Grain: one row per department.
-- Why: departments become team inboxes (the load puts tickets there); their settings —
-- auto-responses, assignment rules, SLA, schedule, outgoing address, signature — are rebuilt by
-- the admin. department.flags: 0x1 assign to members only, 0x2 no auto-claim, 0x4 active,
-- 0x8 archived, 0x10 primary members only, 0x20 no auto-assign on reopen.
CREATE OR REPLACE TABLE reports.rpt_department_settings AS
WITH
raw_ticket AS (SELECT * FROM staging.base_ticket),
stg_departments AS (SELECT * FROM staging.stg_departments),
raw_department AS (SELECT * FROM staging.base_department),
int_team_inboxes AS (SELECT * FROM intermediate.int_team_inboxes),
stg_staff AS (SELECT * FROM staging.stg_staff),
raw_sla AS (SELECT * FROM staging.base_sla),
raw_schedule AS (SELECT * FROM staging.base_schedule),
raw_email AS NOT MATERIALIZED (SELECT * FROM staging.base_email),

final AS (
    SELECT d.dept_id,
           d.full_name AS department,
           i.expected_team AS team_inbox,
           CASE WHEN i.team_id IS NOT NULL THEN 'exists' ELSE 'missing' END AS team_status,
           r.ispublic <> 0 AS public,
           CASE WHEN r.flags & 8 <> 0 THEN 'archived' WHEN r.flags & 4 <> 0 THEN 'active' ELSE 'disabled' END AS status,
           m.name AS manager,
           l.name AS sla_plan,
           sch.name AS schedule,
           e.email AS outgoing_email,
           coalesce(r.ticket_auto_response, 1) <> 0 AS new_ticket_auto_response,
           coalesce(r.message_auto_response, 0) <> 0 AS new_message_auto_response,
           ae.email AS auto_response_from,
           concat_ws('; ',
               CASE WHEN r.flags & 1 <> 0 THEN 'assign only to members' END,
               CASE WHEN r.flags & 16 <> 0 THEN 'primary members only' END,
               CASE WHEN r.flags & 2 <> 0 THEN 'no claim on reply' END,
               CASE WHEN r.flags & 32 <> 0 THEN 'no auto-assign on reopen' END) AS assignment_rules,
           nullif(trim(regexp_replace(coalesce(r.signature, ''), '<[^>]*>', ' ', 'g')), '') AS signature,
           (SELECT count(*) FROM raw_ticket k WHERE k.dept_id = d.dept_id) AS tickets,
           'team inbox "' || coalesce(i.expected_team, d.full_name) || '"'
             || CASE WHEN i.team_id IS NULL THEN ' (create it first)' ELSE '' END
             || CASE WHEN sch.name IS NOT NULL THEN '; office hours "' || sch.name || '"' ELSE '' END
             || CASE WHEN l.name IS NOT NULL THEN '; workflow applying SLA "' || l.name || '"' ELSE '' END
             || CASE WHEN coalesce(r.ticket_auto_response, 1) <> 0 THEN '; auto-reply to new conversations (wording: rpt_email_templates ticket.autoresp)' ELSE '' END
             || CASE WHEN r.flags & 1 <> 0 THEN '; balanced assignment among the team''s members' ELSE '' END
             || CASE WHEN e.email IS NOT NULL THEN '; send from ' || e.email || ' (Settings › Channels › Email)' ELSE '' END
             AS rebuild_in_intercom
    FROM stg_departments d
    JOIN raw_department r ON r.id = d.dept_id
    LEFT JOIN int_team_inboxes i ON i.dept_id = d.dept_id
    LEFT JOIN stg_staff m ON m.staff_id = r.manager_id
    LEFT JOIN raw_sla l ON l.id = r.sla_id
    LEFT JOIN raw_schedule sch ON sch.id = r.schedule_id
    LEFT JOIN raw_email e ON e.email_id = r.email_id
    LEFT JOIN raw_email ae ON ae.email_id = r.autoresp_email_id
    ORDER BY d.full_name
)

SELECT * FROM final;
