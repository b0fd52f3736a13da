-- intermediate.int_org_domains: which organization owns which e-mail domain.
-- Grain: one row per (organization, domain); `owners` counts the organizations claiming it.
-- Why: orphan users are linked by domain, and a domain claimed by two organizations is ambiguous.
CREATE OR REPLACE TABLE intermediate.int_org_domains AS
WITH
stg_organizations AS (SELECT * FROM staging.stg_organizations),

d AS (
    SELECT org_id, ltrim(domain, '.') AS domain, starts_with(domain, '.') AS subdomains_only
    FROM stg_organizations, unnest(domains) AS t(domain)
),

final AS (
    SELECT org_id, domain, subdomains_only,
           count(DISTINCT org_id) OVER (PARTITION BY domain) AS owners
    FROM d
)

SELECT * FROM final;
