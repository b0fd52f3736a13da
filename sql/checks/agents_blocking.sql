-- check: agents who own tickets or wrote entries but have no Intercom admin (the load refuses to start)
-- severity: error
-- Why: Intercom's API cannot create admins; see reports.rpt_unmatched_agents for what to do.
SELECT staff_id, username, email, tickets_owned, entries_written
FROM intermediate.int_agent_admins
WHERE blocking;
