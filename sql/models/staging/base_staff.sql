-- staging.base_staff: osTicket's agents, as the snapshot copied them.
-- Grain: one row per raw.staff row.
-- Why: the one place later layers read raw.staff through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_staff AS
WITH
raw_staff AS (SELECT * FROM raw.staff),

final AS (
    SELECT * FROM raw_staff
)

SELECT * FROM final;
