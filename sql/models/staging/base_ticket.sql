-- staging.base_ticket: osTicket's tickets as stored, as the snapshot copied them.
-- Grain: one row per raw.ticket row.
-- Why: the one place later layers read raw.ticket through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_ticket AS
WITH
raw_ticket AS (SELECT * FROM raw.ticket),

final AS (
    SELECT * FROM raw_ticket
)

SELECT * FROM final;
