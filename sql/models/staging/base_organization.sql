-- staging.base_organization: osTicket's organizations, as the snapshot copied them.
-- Grain: one row per raw.organization row.
-- Why: the one place later layers read raw.organization through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_organization AS
WITH
raw_organization AS (SELECT * FROM raw.organization),

final AS (
    SELECT * FROM raw_organization
)

SELECT * FROM final;
