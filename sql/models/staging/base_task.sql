-- staging.base_task: osTicket's tasks, as the snapshot copied them.
-- Grain: one row per raw.task row.
-- Why: the one place later layers read raw.task through (the scope audit counts them before
-- any transform). A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_task AS
WITH
raw_task AS (SELECT * FROM raw.task),

final AS (
    SELECT * FROM raw_task
)

SELECT * FROM final;
