-- staging.base_department: osTicket's departments, as the snapshot copied them.
-- Grain: one row per raw.department row.
-- Why: the one place later layers read raw.department through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_department AS
WITH
raw_department AS (SELECT * FROM raw.department),

final AS (
    SELECT * FROM raw_department
)

SELECT * FROM final;
