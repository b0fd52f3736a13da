-- staging.base_schedule_entry: osTicket's schedule entries (hours and holidays), as the snapshot copied them.
-- Grain: one row per raw.schedule_entry row.
-- Why: the one place later layers read raw.schedule_entry through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_schedule_entry AS
WITH
raw_schedule_entry AS (SELECT * FROM raw.schedule_entry),

final AS (
    SELECT * FROM raw_schedule_entry
)

SELECT * FROM final;
