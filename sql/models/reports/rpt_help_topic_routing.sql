-- reports.rpt_help_topic_routing: where each help topic sends its tickets, and with what.
-- Grain: one row per help topic.
-- Why: a topic routes to a department (a team inbox), sets priority and SLA, may assign a
-- team or agent, turns off the auto-response and adds forms. The load tags each ticket with
-- its topic; the routing itself is rebuilt as workflows from this list.
CREATE OR REPLACE TABLE reports.rpt_help_topic_routing AS
WITH
raw_help_topic_form AS (SELECT * FROM staging.base_help_topic_form),
raw_form AS (SELECT * FROM staging.base_form),
raw_ticket AS (SELECT * FROM staging.base_ticket),
raw_help_topic AS (SELECT * FROM staging.base_help_topic),
stg_help_topics AS (SELECT * FROM staging.stg_help_topics),
stg_departments AS (SELECT * FROM staging.stg_departments),
int_team_inboxes AS (SELECT * FROM intermediate.int_team_inboxes),
raw_ticket_priority AS (SELECT * FROM staging.base_ticket_priority),
raw_sla AS (SELECT * FROM staging.base_sla),
raw_team AS (SELECT * FROM staging.base_team),
stg_staff AS (SELECT * FROM staging.stg_staff),

final AS (
    SELECT h.topic_id::BIGINT AS topic_id,
           s.full_name AS help_topic,
           h.ispublic <> 0 AS public,
           h.flags & 2 <> 0 AS active,
           d.full_name AS department,
           i.expected_team AS team_inbox,
           p.priority,
           l.name AS sla_plan,
           tm.name AS assigns_team,
           st.name AS assigns_agent,
           h.noautoresp <> 0 AS no_auto_response,
           (SELECT string_agg(f.title, ', ' ORDER BY hf.sort) FROM raw_help_topic_form hf JOIN raw_form f ON f.id = hf.form_id
            WHERE hf.topic_id = h.topic_id) AS forms,
           (SELECT count(*) FROM raw_ticket k WHERE k.topic_id = h.topic_id) AS tickets,
           'tag "' || s.full_name || '" (set by the load on every ticket); workflow: when a ticket has this tag'
             || CASE WHEN i.expected_team IS NOT NULL THEN ', assign to team inbox "' || i.expected_team || '"' ELSE '' END
             || CASE WHEN tm.name IS NOT NULL THEN ', assign to team "' || tm.name || '"' ELSE '' END
             || CASE WHEN st.name IS NOT NULL THEN ', assign to ' || st.name ELSE '' END
             || CASE WHEN p.priority IS NOT NULL THEN ', set Priority ' || p.priority ELSE '' END
             || CASE WHEN l.name IS NOT NULL THEN ', apply SLA "' || l.name || '"' ELSE '' END
             || CASE WHEN h.noautoresp <> 0 THEN ', no auto-reply' ELSE '' END
             || CASE WHEN h.ispublic <> 0 THEN '; offer it to customers as a ticket type or Messenger option' ELSE '' END
             AS rebuild_in_intercom
    FROM raw_help_topic h
    JOIN stg_help_topics s ON s.topic_id = h.topic_id
    LEFT JOIN stg_departments d ON d.dept_id = h.dept_id
    LEFT JOIN int_team_inboxes i ON i.dept_id = h.dept_id
    LEFT JOIN raw_ticket_priority p ON p.priority_id = h.priority_id
    LEFT JOIN raw_sla l ON l.id = h.sla_id
    LEFT JOIN raw_team tm ON tm.team_id = h.team_id
    LEFT JOIN stg_staff st ON st.staff_id = h.staff_id
    ORDER BY s.full_name
)

SELECT * FROM final;
