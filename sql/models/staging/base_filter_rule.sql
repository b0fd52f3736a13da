-- staging.base_filter_rule: osTicket's filter rules, as the snapshot copied them.
-- Grain: one row per raw.filter_rule row.
-- Why: the one place later layers read raw.filter_rule through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_filter_rule AS
WITH
raw_filter_rule AS (SELECT * FROM raw.filter_rule),

final AS (
    SELECT * FROM raw_filter_rule
)

SELECT * FROM final;
