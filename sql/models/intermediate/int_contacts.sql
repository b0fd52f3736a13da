-- intermediate.int_contacts: the osTicket users that become Intercom contacts, and their company.
-- Grain: one row per osTicket user that has an e-mail address or a phone number.
-- Why: `external_id` is derived from the osTicket id (stable across reruns); the company is the
-- user's organization, else the single company proposed by domain (int_orphan_company_links).
-- Users with neither e-mail nor phone cannot be contacts: reports.rpt_contact_exclusions lists them.
-- A user whose address Intercom would refuse (staging.stg_users.email_problem) is sent without
-- it, known by external_id, and listed there for review.
-- The contact's owner is its company's account manager, where that is an Intercom admin
-- (intermediate.int_account_managers).
CREATE OR REPLACE TABLE intermediate.int_contacts AS
WITH
stg_users AS (SELECT * FROM staging.stg_users),
int_orphan_company_links AS (SELECT * FROM intermediate.int_orphan_company_links),
int_account_managers AS (SELECT * FROM intermediate.int_account_managers),

final AS (
    SELECT u.user_id,
           'osticket-user-' || u.user_id AS external_id,
           coalesce(u.org_id, l.proposed_org_id) AS org_id,
           CASE WHEN u.org_id IS NOT NULL THEN 'member' WHEN l.proposed_org_id IS NOT NULL THEN l.match_rule END AS company_rule,
           u.email IS NULL AND u.email_problem IS NULL AS phone_only,
           m.admin_id AS owner_admin_id
    FROM stg_users u
    LEFT JOIN int_orphan_company_links l ON l.user_id = u.user_id
    LEFT JOIN int_account_managers m ON m.org_id = coalesce(u.org_id, l.proposed_org_id)
    WHERE u.email IS NOT NULL OR u.phone IS NOT NULL OR u.email_problem IS NOT NULL
)

SELECT * FROM final;
