-- staging.stg_users: osTicket users with their primary e-mail and phone.
-- Grain: one row per raw.user row.
-- Why: the user form's email and name are stored outside form_entry_values (FLAG_EXT_STORED):
-- email in user_email via user.default_email_id, name in user.name; phone is a form value
-- (digits, `X` before an extension). Addresses are matched case- and space-insensitively.
-- An address Intercom would refuse (not an address, or one already used by a user with a
-- lower id: Intercom keeps one contact per address, osTicket's index may not have) is not sent:
-- `email` is then NULL, `email_problem` says why and `source_email` keeps it for the review list.
-- A user's other addresses (`other_emails`) and client-portal account (`portal_account`: its
-- state, and the username when there is one) ride along as contact attributes: an Intercom
-- contact has one address, and no portal account can be created through the API.
CREATE OR REPLACE TABLE staging.stg_users AS
WITH
raw_form_entry AS (SELECT * FROM raw.form_entry),
raw_form AS (SELECT * FROM raw.form),
raw_form_field AS (SELECT * FROM raw.form_field),
raw_form_entry_values AS (SELECT * FROM raw.form_entry_values),
raw_user AS NOT MATERIALIZED (SELECT * FROM raw.user),
raw_user_email AS (SELECT * FROM raw.user_email),
raw_organization AS (SELECT * FROM raw.organization),
raw_user_account AS (SELECT * FROM staging.base_user_account),

phone AS (
    SELECT fe.object_id::BIGINT AS user_id, max(v.value) AS phone
    FROM raw_form_entry fe
    JOIN raw_form f ON f.id = fe.form_id AND f.type = 'U'
    JOIN raw_form_field ff ON ff.form_id = f.id AND ff.name = 'phone'
    JOIN raw_form_entry_values v ON v.entry_id = fe.id AND v.field_id = ff.id
    WHERE fe.object_type = 'U' AND nullif(trim(v.value), '') IS NOT NULL
    GROUP BY fe.object_id
),

address AS (
    SELECT u.id AS user_id, nullif(lower(trim(e.address)), '') AS address
    FROM raw_user u
    LEFT JOIN raw_user_email e ON e.id = u.default_email_id
),

other_emails AS (
    SELECT u.id AS user_id,
           list(DISTINCT lower(trim(e.address)) ORDER BY lower(trim(e.address))) AS other_emails
    FROM raw_user u
    JOIN raw_user_email e ON e.user_id = u.id AND e.id IS DISTINCT FROM u.default_email_id
    WHERE nullif(trim(e.address), '') IS NOT NULL
      AND lower(trim(e.address)) IS DISTINCT FROM
          (SELECT lower(trim(d.address)) FROM raw_user_email d WHERE d.id = u.default_email_id)
    GROUP BY u.id
),

-- osTicket's UserAccount flags: 0x1 confirmed, 0x2 locked, 0x4 must reset the password.
portal AS (
    SELECT user_id,
           CASE WHEN status & 2 <> 0 THEN 'locked'
                WHEN status & 1 <> 0 THEN 'active'
                ELSE 'registered, e-mail not confirmed' END
           || CASE WHEN status & 4 <> 0 THEN ', must reset password' ELSE '' END
           || coalesce(' (username ' || nullif(trim(username), '') || ')', '') AS portal_account
    FROM raw_user_account
    QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY id) = 1
),

checked AS (
    SELECT user_id, address,
           -- One @; a local part without spaces, quotes or brackets and without stray dots; a
           -- domain of dotted labels ending in a top-level domain of letters. Unicode is allowed.
           address IS NOT NULL AND length(address) <= 254
               AND regexp_full_match(address, '[^\s@"(),:;<>\[\]\\]+@([^\s@."(),:;<>\[\]\\_]+\.)+[^\s@."(),:;<>\[\]\\_0-9-]{2,}')
               AND NOT regexp_matches(address, '(^\.|\.\.|\.@|@-|-\.|\.-)') AS valid
    FROM address
),

ranked AS (
    SELECT *, CASE WHEN valid THEN row_number() OVER (PARTITION BY address, valid ORDER BY user_id) END AS nth,
           CASE WHEN valid THEN min(user_id) OVER (PARTITION BY address, valid) END AS first_user
    FROM checked
),

final AS (
    SELECT u.id::BIGINT AS user_id,
           -- An organization that no longer exists is no organization (reports.rpt_broken_references).
           CASE WHEN u.org_id IN (SELECT id FROM raw_organization) THEN u.org_id END::BIGINT AS org_id,
           trim(u.name) AS name,
           CASE WHEN a.valid AND a.nth = 1 THEN a.address END AS email,
           CASE WHEN a.valid THEN split_part(a.address, '@', 2) END AS email_domain,
           replace(p.phone, 'X', ' ext. ') AS phone,
           u.created,
           u.updated,
           a.address AS source_email,
           CASE WHEN a.address IS NULL THEN NULL
                WHEN NOT a.valid THEN 'invalid_email'
                WHEN a.nth > 1 THEN 'duplicate_email' END AS email_problem,
           CASE WHEN a.nth > 1 THEN a.first_user END AS email_owner,
           coalesce(o.other_emails, []) AS other_emails,
           pa.portal_account
    FROM raw_user u
    LEFT JOIN ranked a ON a.user_id = u.id
    LEFT JOIN phone p ON p.user_id = u.id
    LEFT JOIN other_emails o ON o.user_id = u.id
    LEFT JOIN portal pa ON pa.user_id = u.id
)

SELECT * FROM final;
