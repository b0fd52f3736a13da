-- staging.base_ticket_priority: osTicket's ticket priorities, as the snapshot copied them.
-- Grain: one row per raw.ticket_priority row.
-- Why: the one place later layers read raw.ticket_priority through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_ticket_priority AS
WITH
raw_ticket_priority AS (SELECT * FROM raw.ticket_priority),

final AS (
    SELECT * FROM raw_ticket_priority
)

SELECT * FROM final;
