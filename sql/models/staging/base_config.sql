-- staging.base_config: osTicket's osTicket's settings, one row per namespace and key, as the snapshot copied them.
-- Grain: one row per raw.config row.
-- Why: the one place later layers read raw.config through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_config AS
WITH
raw_config AS (SELECT * FROM raw.config),

final AS (
    SELECT * FROM raw_config
)

SELECT * FROM final;
