-- staging.stg_users: osTicket users with their primary e-mail and phone.
-- Grain: one row per raw.user row.
-- Why: the user form's email and name are stored outside form_entry_values (FLAG_EXT_STORED):
-- email in user_email via user.default_email_id, name in user.name; phone is a form value
-- (digits, `X` before an extension). Addresses are matched case- and space-insensitively.
CREATE OR REPLACE TABLE staging.stg_users AS
WITH phone AS (
    SELECT fe.object_id::BIGINT AS user_id, max(v.value) AS phone
    FROM raw.form_entry fe
    JOIN raw.form f ON f.id = fe.form_id AND f.type = 'U'
    JOIN raw.form_field ff ON ff.form_id = f.id AND ff.name = 'phone'
    JOIN raw.form_entry_values v ON v.entry_id = fe.id AND v.field_id = ff.id
    WHERE fe.object_type = 'U' AND nullif(trim(v.value), '') IS NOT NULL
    GROUP BY fe.object_id
)
SELECT u.id::BIGINT AS user_id,
       nullif(u.org_id, 0)::BIGINT AS org_id,
       trim(u.name) AS name,
       nullif(lower(trim(e.address)), '') AS email,
       nullif(split_part(lower(trim(e.address)), '@', 2), '') AS email_domain,
       replace(p.phone, 'X', ' ext. ') AS phone,
       u.created,
       u.updated
FROM raw.user u
LEFT JOIN raw.user_email e ON e.id = u.default_email_id
LEFT JOIN phone p ON p.user_id = u.id;
