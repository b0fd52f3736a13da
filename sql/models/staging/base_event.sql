-- staging.base_event: osTicket's event names of thread events, as the snapshot copied them.
-- Grain: one row per raw.event row.
-- Why: the one place later layers read raw.event through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_event AS
WITH
raw_event AS (SELECT * FROM raw.event),

final AS (
    SELECT * FROM raw_event
)

SELECT * FROM final;
