-- intermediate.int_account_managers: the Intercom admin who owns each organization's contacts.
-- Grain: one row per osTicket organization with an account manager (organization.manager).
-- Why: osTicket names an agent ('s<id>') or a team ('t<id>') as an organization's account
-- manager; Intercom has no company owner but a contact owner (`owner_id`, an admin), so the
-- manager owns every member contact. A team's lead stands for the team (a contact has one
-- owner). `admin_id` is NULL when the agent (or lead) has no Intercom admin, or the team no
-- lead: reports.rpt_customer_context lists those organizations.
CREATE OR REPLACE TABLE intermediate.int_account_managers AS
WITH
stg_organizations AS (SELECT * FROM staging.stg_organizations),
raw_team AS (SELECT * FROM staging.base_team),
int_agent_admins AS (SELECT * FROM intermediate.int_agent_admins),

managers AS (
    SELECT o.org_id, o.name AS organization, o.manager_team_id, t.name AS team,
           coalesce(o.manager_staff_id, nullif(t.lead_id, 0)::BIGINT) AS staff_id
    FROM stg_organizations o
    LEFT JOIN raw_team t ON t.team_id = o.manager_team_id
    WHERE o.manager_staff_id IS NOT NULL OR o.manager_team_id IS NOT NULL
),

final AS (
    SELECT m.org_id, m.organization, m.manager_team_id, m.team, m.staff_id,
           a.name AS agent, a.admin_id,
           CASE WHEN m.manager_team_id IS NOT NULL AND m.team IS NULL THEN 'the managing team no longer exists'
                WHEN m.staff_id IS NULL THEN 'the managing team has no lead'
                WHEN a.staff_id IS NULL THEN 'the managing agent no longer exists'
                WHEN a.admin_id IS NULL THEN 'the managing agent has no Intercom admin (map it in [admins.map])'
           END AS problem
    FROM managers m
    LEFT JOIN int_agent_admins a ON a.staff_id = m.staff_id
)

SELECT * FROM final;
