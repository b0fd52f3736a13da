-- reports.rpt_email_routing: each e-mail address osTicket receives on, where its mail goes, and
-- what receives it in Intercom.
-- Grain: one row per raw.email row.
-- Why: customers keep writing to the old addresses after cut-over. Intercom receives mail only
-- where the address forwards to the workspace's inbox address (Settings › Channels › Email),
-- and routes it by Workflows, not per address: each address's department (team inbox), help
-- topic and priority here are the rules to rebuild. The mailbox osTicket fetched from
-- (email_account, IMAP/POP) is what forwarding replaces; no secret of it is read.
CREATE OR REPLACE TABLE reports.rpt_email_routing AS
WITH
raw_email AS (SELECT * FROM staging.base_email),
raw_email_account AS (SELECT * FROM staging.base_email_account),
stg_departments AS (SELECT * FROM staging.stg_departments),
int_team_inboxes AS (SELECT * FROM intermediate.int_team_inboxes),
raw_help_topic AS (SELECT * FROM staging.base_help_topic),
raw_ticket_priority AS (SELECT * FROM staging.base_ticket_priority),

mailboxes AS (
    SELECT email_id,
           string_agg(coalesce(protocol, 'mailbox') || ' ' || host || coalesce(':' || port, '') || coalesce(' ' || folder, '')
                      || CASE WHEN active = 0 THEN ' (inactive)' ELSE '' END, '; ' ORDER BY id) AS mailboxes,
           bool_or(active <> 0) AS fetched
    FROM raw_email_account
    WHERE email_id IS NOT NULL AND coalesce(type, 'mailbox') = 'mailbox'
    GROUP BY email_id
),

final AS (
    SELECT e.email_id, e.email, nullif(e.name, '') AS name,
           d.full_name AS department, ti.expected_team AS team_inbox,
           h.topic AS help_topic, pr.priority AS priority,
           m.mailboxes, e.noautoresp <> 0 AS no_auto_response,
           'forward ' || e.email || ' to the Intercom inbox address (Settings › Channels › Email), add it as a sender address'
               || CASE WHEN d.dept_id IS NOT NULL THEN '; a Workflow routes its mail to ' || coalesce(ti.expected_team, d.full_name) ELSE '' END
               || CASE WHEN h.topic IS NOT NULL THEN ', tagged ' || h.topic ELSE '' END
               || CASE WHEN coalesce(m.fetched, false) THEN '; then stop osTicket fetching ' || m.mailboxes ELSE '' END
           AS rebuild_in_intercom
    FROM raw_email e
    LEFT JOIN stg_departments d ON d.dept_id = e.dept_id
    LEFT JOIN int_team_inboxes ti ON ti.dept_id = e.dept_id
    LEFT JOIN raw_help_topic h ON h.topic_id = e.topic_id
    LEFT JOIN raw_ticket_priority pr ON pr.priority_id = e.priority_id
    LEFT JOIN mailboxes m ON m.email_id = e.email_id
    ORDER BY e.email_id
)

SELECT * FROM final;
