-- staging.base_ticket_status: osTicket's ticket statuses, as the snapshot copied them.
-- Grain: one row per raw.ticket_status row.
-- Why: the one place later layers read raw.ticket_status through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_ticket_status AS
WITH
raw_ticket_status AS (SELECT * FROM raw.ticket_status),

final AS (
    SELECT * FROM raw_ticket_status
)

SELECT * FROM final;
