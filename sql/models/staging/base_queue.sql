-- staging.base_queue: osTicket's queues (saved ticket views), as the snapshot copied them.
-- Grain: one row per raw.queue row.
-- Why: the one place later layers read raw.queue through (the scope audit counts them before any
-- transform). A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_queue AS
WITH
raw_queue AS (SELECT * FROM raw.queue),

final AS (
    SELECT * FROM raw_queue
)

SELECT * FROM final;
