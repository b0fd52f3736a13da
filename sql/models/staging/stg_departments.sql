-- staging.stg_departments: departments with their full path ("Support / Tier 2").
-- Grain: one row per raw.department row.
-- Why: departments become Intercom team inboxes; a sub-department's name alone is ambiguous.
CREATE OR REPLACE TABLE staging.stg_departments AS
WITH RECURSIVE
raw_department AS NOT MATERIALIZED (SELECT * FROM raw.department),

path(dept_id, parent_id, name, full_name, depth) AS (
    SELECT id::BIGINT, nullif(pid, 0)::BIGINT, trim(name), trim(name), 0
    FROM raw_department WHERE coalesce(pid, 0) = 0
    UNION ALL
    SELECT d.id::BIGINT, d.pid::BIGINT, trim(d.name), p.full_name || ' / ' || trim(d.name), p.depth + 1
    FROM raw_department d JOIN path p ON d.pid = p.dept_id
    WHERE p.depth < 20
),

final AS (
    SELECT dept_id, parent_id, name, full_name FROM path
)

SELECT * FROM final;
