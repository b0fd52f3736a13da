-- intermediate.int_team_inboxes: the Intercom team inbox each department's tickets go to.
-- Grain: one row per department.
-- Why: Intercom's API cannot create teams, so the expected team (the department's path, or
-- [teams.map] in ostmig.toml) must already exist; matched case-insensitively against the
-- imported team list (`ostmig intercom import-teams`). Missing teams holding tickets block.
CREATE OR REPLACE TABLE intermediate.int_team_inboxes AS
WITH
raw_ticket AS (SELECT * FROM staging.base_ticket),
stg_departments AS (SELECT * FROM staging.stg_departments),
config_team_map AS (SELECT * FROM config.team_map),
intercom_team AS (SELECT * FROM raw_intercom.team),

tickets AS (
    SELECT dept_id::BIGINT AS dept_id, count(*) AS tickets FROM raw_ticket GROUP BY 1
),

final AS (
    SELECT d.dept_id, d.full_name AS department,
           coalesce(m.team_name, d.full_name) AS expected_team,
           t.id AS team_id,
           coalesce(k.tickets, 0)::BIGINT AS tickets,
           t.id IS NULL AND coalesce(k.tickets, 0) > 0 AS blocking
    FROM stg_departments d
    LEFT JOIN config_team_map m ON lower(m.department) = lower(d.full_name)
    LEFT JOIN intercom_team t ON lower(trim(t.name)) = lower(trim(coalesce(m.team_name, d.full_name)))
    LEFT JOIN tickets k ON k.dept_id = d.dept_id
)

SELECT * FROM final;
