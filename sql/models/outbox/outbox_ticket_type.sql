-- outbox.outbox_ticket_type: the Intercom ticket type every migrated ticket gets (POST /ticket_types).
-- Grain: one row.
-- Why: Intercom tickets need a type; one "Customer" type (named by tickets.type_name) keeps
-- customer replies possible ("User replies are not allowed on Backoffice tickets") and holds
-- the osTicket fields as its attributes (outbox.outbox_ticket_type_attributes).
CREATE OR REPLACE TABLE outbox.outbox_ticket_type AS
WITH
settings AS (SELECT * FROM config.settings),

payloads AS (
    SELECT s.tickets_type_name AS name,
           json_object(
               'name', s.tickets_type_name,
               'description', 'Tickets migrated from osTicket',
               'category', 'Customer',
               'is_internal', false
           ) AS payload
    FROM settings s
    WHERE s.tickets_type_name IS NOT NULL
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
