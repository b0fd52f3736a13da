-- check: departments holding tickets whose Intercom team inbox does not exist
-- severity: error
-- Why: teams cannot be created through the API; see reports.rpt_missing_teams.
SELECT department, expected_team, tickets
FROM intermediate.int_team_inboxes
WHERE blocking;
