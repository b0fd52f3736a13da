-- staging.base_thread: osTicket's threads (one per ticket, task or merged child), as the snapshot copied them.
-- Grain: one row per raw.thread row.
-- Why: the one place later layers read raw.thread through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_thread AS
WITH
raw_thread AS (SELECT * FROM raw.thread),

final AS (
    SELECT * FROM raw_thread
)

SELECT * FROM final;
