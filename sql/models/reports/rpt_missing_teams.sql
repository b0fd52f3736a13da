-- reports.rpt_missing_teams: team inboxes to create in Intercom before the load.
-- Grain: one row per department without a matching Intercom team.
-- Why: teams cannot be created through the API; the customer's admin creates them (blocking
-- when the department holds tickets) or maps the department in [teams.map].
CREATE OR REPLACE TABLE reports.rpt_missing_teams AS
WITH
int_team_inboxes AS (SELECT * FROM intermediate.int_team_inboxes),

final AS (
    SELECT department, expected_team, tickets, blocking
    FROM int_team_inboxes
    WHERE team_id IS NULL
    ORDER BY blocking DESC, tickets DESC, department
)

SELECT * FROM final;
