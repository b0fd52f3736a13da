-- intermediate.int_ticket_states: the Intercom ticket state category of each osTicket status.
-- Grain: one row per raw.ticket_status row.
-- Why: statuses are renamed freely in osTicket; its `state` column (open, closed, archived,
-- deleted) is what they mean. Open tickets that were answered wait on the customer (decided per
-- ticket by the tickets outbox); closed and archived are resolved; deleted are not migrated.
CREATE OR REPLACE TABLE intermediate.int_ticket_states AS
WITH
raw_ticket_status AS (SELECT * FROM staging.base_ticket_status),

final AS (
    SELECT s.id::BIGINT AS status_id, s.name AS status, s.state,
           CASE s.state
               WHEN 'open' THEN 'in_progress'
               WHEN 'closed' THEN 'resolved'
               WHEN 'archived' THEN 'resolved'
           END AS intercom_category,
           CASE WHEN s.state = 'deleted' THEN 'deleted in osTicket: not migrated' END AS note
    FROM raw_ticket_status s
)

SELECT * FROM final;
