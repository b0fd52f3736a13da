-- reports.rpt_orphan_users: the reconciliation list of users without organization.
-- Grain: one row per orphan user, with the proposed company and the rule that chose it.
-- Why: the customer confirms or corrects every link before contacts are loaded.
CREATE OR REPLACE TABLE reports.rpt_orphan_users AS
WITH
stg_organizations AS NOT MATERIALIZED (SELECT * FROM staging.stg_organizations),
int_orphan_company_links AS (SELECT * FROM intermediate.int_orphan_company_links),
stg_users AS (SELECT * FROM staging.stg_users),

final AS (
    SELECT l.user_id, u.name, l.email, l.email_domain, l.match_rule,
           l.proposed_org_id, o.name AS proposed_company,
           (SELECT string_agg(x.name, '; ' ORDER BY x.org_id)
            FROM stg_organizations x WHERE list_contains(l.candidate_org_ids, x.org_id)) AS candidates
    FROM int_orphan_company_links l
    JOIN stg_users u USING (user_id)
    LEFT JOIN stg_organizations o ON o.org_id = l.proposed_org_id
    ORDER BY l.match_rule, l.user_id
)

SELECT * FROM final;
