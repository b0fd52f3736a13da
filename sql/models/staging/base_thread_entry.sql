-- staging.base_thread_entry: osTicket's thread entries as stored, as the snapshot copied them.
-- Grain: one row per raw.thread_entry row.
-- Why: the one place later layers read raw.thread_entry through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_thread_entry AS
WITH
raw_thread_entry AS (SELECT * FROM raw.thread_entry),

final AS (
    SELECT * FROM raw_thread_entry
)

SELECT * FROM final;
