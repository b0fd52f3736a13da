-- staging.base_user: osTicket's users as stored, as the snapshot copied them.
-- Grain: one row per raw.user row.
-- Why: the one place later layers read raw.user through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_user AS
WITH
raw_user AS (SELECT * FROM raw.user),

final AS (
    SELECT * FROM raw_user
)

SELECT * FROM final;
