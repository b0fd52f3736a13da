-- intermediate.int_fallback_admin: the Intercom admin who posts what no agent of the workspace
-- can (system entries, messages of people who are not contacts, activity summaries).
-- Grain: one row; admin_id NULL when admins.fallback names nobody in raw_intercom.admin.
-- Why: the notes of three outboxes and the load name this admin; they read it here, once.
CREATE OR REPLACE TABLE intermediate.int_fallback_admin AS
WITH
admins AS (SELECT * FROM raw_intercom.admin),
settings AS (SELECT * FROM config.settings),

final AS (
    SELECT max(a.id) AS admin_id, any_value(s.admins_fallback) AS email
    FROM settings s
    LEFT JOIN admins a ON lower(trim(a.email)) = s.admins_fallback
)

SELECT * FROM final;
