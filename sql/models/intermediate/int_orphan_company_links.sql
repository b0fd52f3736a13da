-- intermediate.int_orphan_company_links: the company proposed for each user without organization.
-- Grain: one row per user with org_id NULL.
-- Why: Intercom contacts should belong to their company; osTicket only joined users to an
-- organization when it existed at their first mail. Rules, in order:
--   free_mail  – the domain is a free-mail provider (config.free_mail_domain): never linked;
--   exact      – the domain is an organization's domain;
--   subdomain  – the domain is under an organization's domain, when companies.link_subdomains
--                is true, or under a ".domain" entry (osTicket's own subdomain syntax);
--   ambiguous  – more than one organization matches: listed, not linked;
--   no_email / no_match – nothing to go on.
CREATE OR REPLACE TABLE intermediate.int_orphan_company_links AS
WITH
stg_users AS (SELECT * FROM staging.stg_users),
config_free_mail_domain AS (SELECT * FROM config.free_mail_domain),
int_org_domains AS (SELECT * FROM intermediate.int_org_domains),
settings AS (SELECT * FROM config.settings),

orphans AS (
    SELECT user_id, email, email_domain FROM stg_users WHERE org_id IS NULL
),

free AS (
    SELECT o.user_id
    FROM orphans o JOIN config_free_mail_domain f
      ON o.email_domain LIKE replace(f.pattern, '*', '%')
    GROUP BY o.user_id
),

candidates AS (
    SELECT o.user_id, d.org_id,
           CASE WHEN o.email_domain = d.domain AND NOT d.subdomains_only THEN 'exact' ELSE 'subdomain' END AS rule
    FROM orphans o
    JOIN int_org_domains d
      ON (o.email_domain = d.domain AND NOT d.subdomains_only)
      OR (ends_with(o.email_domain, '.' || d.domain)
          AND (d.subdomains_only OR (SELECT companies_link_subdomains FROM settings)))
),

best AS (
    -- An exact match beats subdomain matches.
    SELECT user_id, rule, list(DISTINCT org_id ORDER BY org_id) AS orgs
    FROM candidates c
    WHERE rule = 'exact' OR NOT EXISTS (SELECT 1 FROM candidates x WHERE x.user_id = c.user_id AND x.rule = 'exact')
    GROUP BY user_id, rule
),

final AS (
    SELECT o.user_id, o.email, o.email_domain,
           CASE
               WHEN o.email_domain IS NULL THEN 'no_email'
               WHEN o.user_id IN (SELECT user_id FROM free) THEN 'free_mail'
               WHEN len(b.orgs) > 1 THEN 'ambiguous'
               WHEN b.rule IS NOT NULL THEN b.rule
               ELSE 'no_match'
           END AS match_rule,
           CASE WHEN o.email IS NOT NULL AND o.user_id NOT IN (SELECT user_id FROM free) AND len(b.orgs) = 1
                THEN b.orgs[1] END AS proposed_org_id,
           b.orgs AS candidate_org_ids
    FROM orphans o
    LEFT JOIN best b ON b.user_id = o.user_id
)

SELECT * FROM final;
