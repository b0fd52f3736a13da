-- raw.user, raw.user_email and the users' phone answers from the user export
-- (raw_csv.users), plus every requester of the ticket export that the user export lacks.
-- Grain: one user per distinct e-mail address (case-insensitive), or per name without one.
-- Why: the export has name, organization, e-mail and the user form's answers by label; ids are
-- assigned in address order. The phone (label "Phone Number") rides on the user form as in the
-- database, so staging reads it the same way.
CREATE OR REPLACE TEMP TABLE csv_people AS
WITH listed AS (
    SELECT trim("Name") AS name, nullif(trim("Email"), '') AS email,
           nullif(trim("Organization"), '') AS organization, nullif(trim("Phone Number"), '') AS phone, 0 AS source
    FROM raw_csv.users
    UNION ALL
    SELECT trim("From"), nullif(trim("From Email"), ''), NULL, NULL, 1
    FROM raw_csv.tickets
),
one AS (
    SELECT * FROM listed
    QUALIFY row_number() OVER (PARTITION BY coalesce(lower(email), '#' || name) ORDER BY source, name) = 1
)
SELECT row_number() OVER (ORDER BY lower(email) NULLS LAST, name) AS id, * FROM one;

INSERT INTO raw.user (id, org_id, default_email_id, status, name, created, updated)
SELECT p.id, coalesce(o.id, 0), CASE WHEN p.email IS NOT NULL THEN p.id ELSE 0 END, 0, coalesce(p.name, ''), NULL, NULL
FROM csv_people p LEFT JOIN raw.organization o ON o.name = p.organization;

INSERT INTO raw.user_email (id, user_id, flags, address)
SELECT id, id, 0, email FROM csv_people WHERE email IS NOT NULL;

INSERT INTO raw.form (id, pid, type, flags, title, instructions, name, notes, created, updated)
VALUES (1, NULL, 'U', 0, 'Contact Information', NULL, '', NULL, NULL, NULL);
INSERT INTO raw.form_field (id, form_id, flags, type, label, name, configuration, sort, hint, created, updated)
VALUES (3, 1, 1, 'phone', 'Phone Number', 'phone', NULL, 3, NULL, NULL, NULL);
INSERT INTO raw.form_entry (id, form_id, object_id, object_type, sort, extra, created, updated)
SELECT 100000 + id, 1, id, 'U', 1, NULL, NULL, NULL FROM csv_people WHERE phone IS NOT NULL;
INSERT INTO raw.form_entry_values (entry_id, field_id, value, value_id)
SELECT 100000 + id, 3, phone, NULL FROM csv_people WHERE phone IS NOT NULL;
