-- staging.base_user_email: osTicket's users' e-mail addresses, as the snapshot copied them.
-- Grain: one row per raw.user_email row.
-- Why: the one place later layers read raw.user_email through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_user_email AS
WITH
raw_user_email AS (SELECT * FROM raw.user_email),

final AS (
    SELECT * FROM raw_user_email
)

SELECT * FROM final;
