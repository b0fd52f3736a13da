-- staging.base_filter_action: osTicket's filter actions, as the snapshot copied them.
-- Grain: one row per raw.filter_action row.
-- Why: the one place later layers read raw.filter_action through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_filter_action AS
WITH
raw_filter_action AS (SELECT * FROM raw.filter_action),

final AS (
    SELECT * FROM raw_filter_action
)

SELECT * FROM final;
