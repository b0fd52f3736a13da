-- staging.base_filter: osTicket's ticket filters, as the snapshot copied them.
-- Grain: one row per raw.filter row.
-- Why: the one place later layers read raw.filter through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_filter AS
WITH
raw_filter AS (SELECT * FROM raw.filter),

final AS (
    SELECT * FROM raw_filter
)

SELECT * FROM final;
