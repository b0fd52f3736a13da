-- staging.stg_staff: osTicket agents with a normalised e-mail.
-- Grain: one row per raw.staff row.
-- Why: agents become Intercom admins by e-mail, matched case- and whitespace-insensitively.
CREATE OR REPLACE TABLE staging.stg_staff AS
WITH
raw_staff AS (SELECT * FROM raw.staff),

final AS (
    SELECT s.staff_id::BIGINT AS staff_id,
           s.username,
           trim(concat_ws(' ', trim(s.firstname), trim(s.lastname))) AS name,
           nullif(lower(trim(s.email)), '') AS email,
           coalesce(s.isactive, 0) <> 0 AS active
    FROM raw_staff s
)

SELECT * FROM final;
