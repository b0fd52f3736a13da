-- staging.base_sla: osTicket's SLA plans, as the snapshot copied them.
-- Grain: one row per raw.sla row.
-- Why: the one place later layers read raw.sla through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_sla AS
WITH
raw_sla AS (SELECT * FROM raw.sla),

final AS (
    SELECT * FROM raw_sla
)

SELECT * FROM final;
