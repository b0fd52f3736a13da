-- reports.rpt_readiness: the Intercom workspace readiness checklist, one line per thing.
-- Grain: one row per team inbox, osTicket team, admin, ticket type, ticket state category, attribute and tag
-- the migration needs.
-- Why: Intercom's API cannot create teams or admins, so the customer's admin provisions those
-- before the load; the schema the load creates itself is listed too, so nothing that appears in
-- the workspace is a surprise. A view: its status follows load.ledger while the load runs.
CREATE OR REPLACE VIEW reports.rpt_readiness AS
WITH
load_ledger AS (SELECT * FROM load.ledger),
intercom_ticket_type_state AS (SELECT * FROM raw_intercom.ticket_type_state),
outbox_ticket_type AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_ticket_type),
int_team_inboxes AS (SELECT * FROM intermediate.int_team_inboxes),
int_osticket_teams AS (SELECT * FROM intermediate.int_osticket_teams),
rpt_unmatched_agents AS (SELECT * FROM reports.rpt_unmatched_agents),
int_agent_admins AS (SELECT * FROM intermediate.int_agent_admins),
intercom_pull_log AS (SELECT * FROM raw_intercom.pull_log),
outbox_tickets AS (SELECT * FROM outbox.outbox_tickets),
outbox_ticket_type_attributes AS (SELECT * FROM outbox.outbox_ticket_type_attributes),
outbox_data_attributes AS (SELECT * FROM outbox.outbox_data_attributes),
outbox_tags AS (SELECT * FROM outbox.outbox_tags),

made AS (
    SELECT object_type, source_key,
           CASE status WHEN 'created' THEN 'created by the load'
                       WHEN 'existing' THEN 'already in the workspace'
                       WHEN 'rolled_back' THEN 'rolled back'
                       WHEN 'failed' THEN 'failed: see load.ledger'
                       ELSE 'being created' END AS status
    FROM load_ledger
),

type_states AS (
    SELECT s.category FROM intercom_ticket_type_state s
    WHERE s.ticket_type_name = (SELECT max(name) FROM outbox_ticket_type WHERE role = 'tickets')
      AND NOT coalesce(s.archived_type, false)
),

lines AS (
    SELECT 1 AS ord, 'Team inbox' AS area, i.expected_team AS item,
           'tickets of department ' || i.department || ' (' || i.tickets || ')' AS needed_for,
           'customer admin: Settings › Teammates › Teams' AS who,
           CASE WHEN i.team_id IS NOT NULL THEN 'exists'
                WHEN i.blocking THEN 'missing: blocks the load'
                ELSE 'missing (no tickets; optional)' END AS status
    FROM int_team_inboxes i
    UNION ALL
    SELECT 1, 'Team', o.expected_team,
           'tickets assigned to osTicket team ' || o.name || ' (' || o.tickets || ')',
           'customer admin: Settings › Teammates › Teams, or map the team in ostmig.toml [teams.map]',
           CASE WHEN o.team_id IS NOT NULL THEN 'exists'
                WHEN o.tickets > 0 THEN 'missing: its tickets stay in their department''s inbox'
                ELSE 'missing (no tickets; optional)' END
    FROM int_osticket_teams o
    UNION ALL
    SELECT 2, 'Admin', a.name || coalesce(' <' || a.email || '>', ''),
           a.tickets_owned || ' tickets owned, ' || a.entries_written || ' replies and notes written',
           'customer admin: invite the teammate, or map the agent in ostmig.toml [admins.map]',
           CASE WHEN a.blocking THEN 'missing: blocks the load' ELSE 'missing (optional)' END
    FROM rpt_unmatched_agents a
    UNION ALL
    SELECT 2, 'Admin', 'agents matched to Intercom admins',
           count(*) || ' agents', 'nothing to do', 'ready'
    FROM int_agent_admins WHERE admin_id IS NOT NULL
    UNION ALL
    SELECT 3, 'Ticket type', t.name,
           CASE t.role WHEN 'tasks' THEN 'osTicket''s tasks (back-office tickets linked to their ticket)'
                       ELSE 'every migrated ticket' END,
           'ostmig load (schema phase)',
           coalesce(m.status, 'the load creates it')
    FROM outbox_ticket_type t
    LEFT JOIN made m ON m.object_type = 'ticket_type' AND m.source_key = t.name
    UNION ALL
    -- A state must belong to the ticket's type (erratum ticket-state-per-type).
    SELECT 3, 'Ticket state', n.state_category, n.tickets || ' tickets',
           'customer admin: Settings › Tickets › the ticket type''s states',
           CASE WHEN NOT EXISTS (SELECT 1 FROM intercom_pull_log)
                    THEN 'not known: run ostmig intercom pull'
                WHEN NOT EXISTS (SELECT 1 FROM type_states)
                    THEN 'the load creates the type and checks its states before the first ticket'
                WHEN n.state_category IN (SELECT category FROM type_states) THEN 'exists'
                ELSE 'missing: blocks the load' END
    FROM (SELECT state_category, count(*) AS tickets FROM outbox_tickets GROUP BY state_category) n
    UNION ALL
    SELECT 4, 'Ticket attribute', a.name || ' (' || a.data_type || ')', 'ticket fields and osTicket data (type ' || a.type_name || ')',
           'ostmig load (schema phase)', coalesce(m.status, 'the load creates it')
    FROM outbox_ticket_type_attributes a
    LEFT JOIN made m ON m.object_type = 'ticket_type_attribute' AND m.source_key = a.name
    UNION ALL
    SELECT 5, upper(d.model[1]) || d.model[2:] || ' attribute', d.attribute_name, d.model || ' form fields',
           'ostmig load (schema phase)', coalesce(m.status, 'the load creates it')
    FROM outbox_data_attributes d
    LEFT JOIN made m ON m.object_type = 'data_attribute' AND m.source_key = d.attribute_name
    UNION ALL
    SELECT 6, 'Tag', g.tag, 'help topic of each ticket', 'ostmig load (schema phase)',
           coalesce(m.status, 'the load creates it')
    FROM outbox_tags g
    LEFT JOIN made m ON m.object_type = 'tag' AND m.source_key = g.tag
),

final AS (
    SELECT area, item, needed_for, who, status FROM lines ORDER BY ord, area DESC, item, needed_for
)

SELECT * FROM final;
