-- staging.base_schedule: osTicket's business-hours schedules, as the snapshot copied them.
-- Grain: one row per raw.schedule row.
-- Why: the one place later layers read raw.schedule through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_schedule AS
WITH
raw_schedule AS (SELECT * FROM raw.schedule),

final AS (
    SELECT * FROM raw_schedule
)

SELECT * FROM final;
