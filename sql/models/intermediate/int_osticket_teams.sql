-- intermediate.int_osticket_teams: the Intercom team each osTicket team's tickets go to.
-- Grain: one row per osTicket team (raw.team).
-- Why: osTicket assigns a ticket to a team as well as to a department (and an agent); an
-- Intercom ticket has one team assignee. A ticket assigned to an osTicket team whose name (or
-- its [teams.map] entry, keyed by the team's name as departments are by their path) matches an
-- Intercom team gets that team; otherwise it stays in its department's inbox, and the readiness
-- sheet lists the team to provision. Intercom's API cannot create teams.
CREATE OR REPLACE TABLE intermediate.int_osticket_teams AS
WITH
raw_team AS (SELECT * FROM staging.base_team),
raw_ticket AS (SELECT * FROM staging.base_ticket),
config_team_map AS (SELECT * FROM config.team_map),
intercom_team AS (SELECT * FROM raw_intercom.team),

tickets AS (
    SELECT team_id::BIGINT AS team_id, count(*) AS tickets
    FROM raw_ticket WHERE coalesce(team_id, 0) <> 0 GROUP BY 1
),

final AS (
    SELECT t.team_id::BIGINT AS osticket_team_id,
           trim(t.name) AS name,
           coalesce(m.team_name, trim(t.name)) AS expected_team,
           it.id AS team_id,
           coalesce(k.tickets, 0)::BIGINT AS tickets
    FROM raw_team t
    LEFT JOIN config_team_map m ON lower(m.department) = lower(trim(t.name))
    LEFT JOIN intercom_team it ON lower(trim(it.name)) = lower(trim(coalesce(m.team_name, t.name)))
    LEFT JOIN tickets k ON k.team_id = t.team_id
)

SELECT * FROM final;
