-- outbox.outbox_ticket_type: the Intercom ticket type every migrated ticket gets (POST /ticket_types).
-- Grain: one row.
-- Why: Intercom tickets need a type; one "Customer" type (named by tickets.type_name) keeps
-- customer replies possible ("User replies are not allowed on Backoffice tickets") and holds
-- the osTicket fields as its attributes (outbox.outbox_ticket_type_attributes).
CREATE OR REPLACE TABLE outbox.outbox_ticket_type AS
SELECT s.value AS name,
       json_object(
           'name', s.value,
           'description', 'Tickets migrated from osTicket',
           'category', 'Customer',
           'is_internal', false
       ) AS payload
FROM config.setting s
WHERE s.key = 'tickets.type_name';
