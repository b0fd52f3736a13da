-- reports.rpt_unmatched_agents: agents with no Intercom admin, blocking ones first.
-- Grain: one row per unmatched agent.
-- Why: the customer provisions these admins in Intercom (or maps them in [admins.map]) before
-- the load; blocking agents own tickets or wrote entries.
CREATE OR REPLACE TABLE reports.rpt_unmatched_agents AS
WITH
int_agent_admins AS (SELECT * FROM intermediate.int_agent_admins),

final AS (
    SELECT staff_id, username, name, email, active, blocking, tickets_owned, entries_written,
           CASE WHEN blocking THEN 'provision an Intercom admin with this e-mail, or map the username in [admins.map]'
                ELSE 'not needed: owns no tickets and wrote nothing' END AS action
    FROM int_agent_admins
    WHERE admin_id IS NULL
    ORDER BY blocking DESC, entries_written + tickets_owned DESC, staff_id
)

SELECT * FROM final;
