-- outbox.outbox_ticket_type: the Intercom ticket types the migration creates (POST /ticket_types).
-- Grain: one row per role: 'tickets', and 'tasks' when a task is migrated.
-- Why: Intercom tickets need a type; one "Customer" type (named by tickets.type_name) keeps
-- customer replies possible ("User replies are not allowed on Backoffice tickets") and holds
-- the osTicket fields as its attributes (outbox.outbox_ticket_type_attributes). osTicket's
-- tasks are internal work on a ticket: a "Back-office" type (tasks.type_name), whose tickets
-- are not shared with the customer and can be linked to a customer ticket.
CREATE OR REPLACE TABLE outbox.outbox_ticket_type AS
WITH
settings AS (SELECT * FROM config.settings),
int_tasks AS (SELECT * FROM intermediate.int_tasks),

payloads AS (
    SELECT 'tickets' AS role, s.tickets_type_name AS name,
           json_object(
               'name', s.tickets_type_name,
               'description', 'Tickets migrated from osTicket',
               'category', 'Customer',
               'is_internal', false
           ) AS payload
    FROM settings s
    WHERE s.tickets_type_name IS NOT NULL
    UNION ALL
    SELECT 'tasks', s.tasks_type_name,
           json_object(
               'name', s.tasks_type_name,
               'description', 'Tasks migrated from osTicket, each linked to its ticket',
               'category', 'Back-office',
               'icon', '📋',
               'is_internal', false
           )
    FROM settings s
    WHERE EXISTS (SELECT 1 FROM int_tasks WHERE outcome = 'migrate')
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
