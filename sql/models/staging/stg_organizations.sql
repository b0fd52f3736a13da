-- staging.stg_organizations: osTicket organizations, typed and with their auto-membership domains.
-- Grain: one row per raw.organization row.
-- Why: organization.domain is a comma list; a leading dot (".initech-labs.example") means
-- "this domain's subdomains" in osTicket's auto-membership, so it is kept as a flag.
-- The account manager (`manager`) is 's<staff id>' for an agent or 't<team id>' for a team.
CREATE OR REPLACE TABLE staging.stg_organizations AS
WITH
raw_organization AS (SELECT * FROM raw.organization),

final AS (
    SELECT o.id::BIGINT AS org_id,
           trim(o.name) AS name,
           list_filter(
               list_transform(string_split(coalesce(o.domain, ''), ','), lambda d: lower(trim(d))),
               lambda d: d <> ''
           ) AS domains,
           CASE WHEN o.manager LIKE 's%' THEN try_cast(substr(o.manager, 2) AS BIGINT) END AS manager_staff_id,
           CASE WHEN o.manager LIKE 't%' THEN try_cast(substr(o.manager, 2) AS BIGINT) END AS manager_team_id,
           o.created,
           o.updated
    FROM raw_organization o
)

SELECT * FROM final;
