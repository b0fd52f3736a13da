-- staging.base_thread_event: osTicket's thread events, as the snapshot copied them.
-- Grain: one row per raw.thread_event row.
-- Why: the one place later layers read raw.thread_event through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_thread_event AS
WITH
raw_thread_event AS (SELECT * FROM raw.thread_event),

final AS (
    SELECT * FROM raw_thread_event
)

SELECT * FROM final;
