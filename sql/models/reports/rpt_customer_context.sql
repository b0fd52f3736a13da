-- reports.rpt_customer_context: what osTicket knew about a customer beyond name and address, and
-- how each piece arrives: other e-mail addresses, staff notes, account managers, portal accounts.
-- Grain: one row per other e-mail address, staff note, organization with an account manager and
-- client-portal account.
-- Why: these are what agents miss after cut-over. An Intercom contact has one address, so the
-- others are kept in a contact attribute; mail sent from one of them opens a new lead, which
-- an agent must merge by hand. Staff notes become contact and company notes, not backdated
-- (their foot says who wrote them and when). The account manager owns the organization's
-- contacts when it is (or its team's lead is) an Intercom admin. A portal account cannot be
-- moved (Intercom has no API for it; the customer signs in to the Messenger by e-mail): its
-- state is kept in a contact attribute. `outcome`: carried, or not carried with why.
CREATE OR REPLACE TABLE reports.rpt_customer_context AS
WITH
stg_users AS (SELECT * FROM staging.stg_users),
int_contacts AS (SELECT * FROM intermediate.int_contacts),
stg_customer_notes AS (SELECT * FROM staging.stg_customer_notes),
outbox_customer_notes AS (SELECT * FROM outbox.outbox_customer_notes),
int_account_managers AS (SELECT * FROM intermediate.int_account_managers),
settings AS (SELECT * FROM config.settings),

addresses AS (
    SELECT u.user_id, u.name, unnest(u.other_emails) AS address FROM stg_users u
),

other_emails AS (
    SELECT 1 AS ord, 'other e-mail address' AS item, a.user_id AS osticket_id, a.name, a.address AS value,
           CASE WHEN c.user_id IS NULL THEN 'not carried' ELSE 'carried' END AS outcome,
           CASE WHEN c.user_id IS NULL THEN 'the user is not migrated (reports.rpt_contact_exclusions says why)'
                ELSE 'kept in the contact attribute ' || (SELECT attributes_prefix FROM settings)
                     || 'other-emails; mail from this address opens a new lead in Intercom: merge it into the contact' END AS reason
    FROM addresses a
    LEFT JOIN int_contacts c ON c.user_id = a.user_id
),

notes AS (
    SELECT 2, 'staff note', n.note_id, n.ext_id || coalesce(' by ' || n.staff_name, ''),
           left(regexp_replace(coalesce(n.body, ''), '<[^>]*>', '', 'g'), 200),
           CASE WHEN o.note_id IS NULL THEN 'not carried' ELSE 'carried' END,
           CASE WHEN o.note_id IS NOT NULL THEN 'a ' || o.target || ' note (dated and signed in its text: the API cannot backdate it)'
                WHEN n.empty THEN 'empty: nothing to carry'
                WHEN n.target IS NULL THEN 'about neither a user nor an organization (ext_id ' || coalesce(n.ext_id, 'empty') || ')'
                ELSE 'its ' || CASE n.target WHEN 'contact' THEN 'user' ELSE 'organization' END || ' ' || coalesce(n.object_id::VARCHAR, '?')
                     || ' is not migrated' END
    FROM stg_customer_notes n
    LEFT JOIN outbox_customer_notes o USING (note_id)
),

managers AS (
    SELECT 3, 'account manager', m.org_id, m.organization,
           coalesce('team ' || m.team || coalesce(', lead ' || m.agent, ''), m.agent, 'agent ' || m.staff_id),
           CASE WHEN m.admin_id IS NULL THEN 'not carried' ELSE 'carried' END,
           coalesce(m.problem || ': the organization''s contacts get no owner',
                    'owner of the organization''s contacts'
                    || CASE WHEN m.manager_team_id IS NOT NULL THEN ' (a contact has one owner: the team''s lead stands for the team)' ELSE '' END)
    FROM int_account_managers m
),

portal AS (
    SELECT 4, 'client-portal account', u.user_id, u.name, u.portal_account,
           CASE WHEN c.user_id IS NULL THEN 'not carried' ELSE 'carried' END,
           CASE WHEN c.user_id IS NULL THEN 'the user is not migrated (reports.rpt_contact_exclusions says why)'
                ELSE 'state kept in the contact attribute ' || (SELECT attributes_prefix FROM settings)
                     || 'portal-account; the account itself (username, password) cannot be moved: the customer signs in to Intercom by e-mail' END
    FROM stg_users u
    LEFT JOIN int_contacts c ON c.user_id = u.user_id
    WHERE u.portal_account IS NOT NULL
),

final AS (
    SELECT item, osticket_id, name, value, outcome, reason FROM (
        SELECT * FROM other_emails UNION ALL SELECT * FROM notes
        UNION ALL SELECT * FROM managers UNION ALL SELECT * FROM portal)
    ORDER BY ord, outcome DESC, osticket_id, value
)

SELECT * FROM final;
