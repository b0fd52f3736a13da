-- outbox.outbox_ticket_type_attributes: the attributes of the migrated ticket types
-- (POST /ticket_types/{id}/attributes); `type_name` is the type (outbox_ticket_type) they are on.
-- Grain: one row per attribute: the osTicket facts Intercom has no field for (number, id,
-- source channel, priority, SLA plan and grace, overdue flag, due and close dates, the numbers of
-- linked and of merged-in tickets), then one per
-- ticket-form and help-topic-form custom field with an Intercom type; the tasks' type has one,
-- "osTicket task number", by which a back-office ticket is found again.
-- Why: Intercom tickets have no external id, so "osTicket number" is how a migrated ticket is
-- found again (search ticket_attribute.{id}); close and due dates cannot be backdated, so they
-- are kept as values. list_items is comma-delimited: commas inside options become semicolons.
-- json_merge_patch('{}', …) drops the keys whose value is NULL (the API wants them absent).
CREATE OR REPLACE TABLE outbox.outbox_ticket_type_attributes AS
WITH
raw_ticket_priority AS (SELECT * FROM staging.base_ticket_priority),
config_priority_map AS (SELECT * FROM config.priority_map),
int_attribute_map AS (SELECT * FROM intermediate.int_attribute_map),
stg_custom_fields AS (SELECT * FROM staging.stg_custom_fields),
outbox_ticket_type AS (SELECT * FROM outbox.outbox_ticket_type),

priorities AS (
    SELECT string_agg(replace(coalesce(m.value, p.priority_desc), ',', ';'), ',' ORDER BY p.priority_urgency, p.priority_id) AS items
    FROM raw_ticket_priority p
    LEFT JOIN config_priority_map m ON lower(m.priority) = lower(p.priority)
),

fixed(position, name, description, data_type, list_items) AS (
    VALUES (1, 'osTicket number', 'Ticket number in osTicket (search by it to find a migrated ticket)', 'string', NULL),
           (2, 'osTicket ID', 'Internal ticket id in osTicket', 'integer', NULL),
           (3, 'Source channel', 'How the ticket reached osTicket', 'list', 'Web,Email,Phone,API,Other'),
           (4, 'Priority', 'Priority in osTicket', 'list', (SELECT items FROM priorities)),
           (5, 'SLA plan', 'SLA plan in osTicket', 'string', NULL),
           (6, 'SLA grace hours', 'Grace period of the SLA plan, in hours', 'integer', NULL),
           (7, 'Overdue in osTicket', 'osTicket had marked the ticket overdue', 'boolean', NULL),
           (8, 'Due at', 'Due date in osTicket (manual, else computed by the SLA)', 'datetime', NULL),
           (9, 'Closed at', 'When osTicket closed the ticket', 'datetime', NULL),
           (10, 'Linked osTicket numbers', 'osTicket tickets linked to this one (search by one of them to find the other)', 'string', NULL),
           (11, 'Merged osTicket numbers', 'osTicket tickets merged into this one: a search for their number finds this ticket', 'string', NULL)
),

payloads AS (
    SELECT 'tickets' AS type_role, position, NULL::BIGINT AS field_id, name, data_type,
           json_merge_patch('{}', json_object('name', name, 'description', description, 'data_type', data_type,
                       'required_to_create', false, 'visible_on_create', true,
                       'visible_to_contacts', false, 'list_items', list_items)) AS payload
    FROM fixed
    UNION ALL
    SELECT 'tickets', 100 + row_number() OVER (ORDER BY m.field_id), m.field_id, m.attribute_name, m.data_type,
           json_merge_patch('{}', json_object('name', m.attribute_name,
                       'description', coalesce(nullif(m.label, ''), m.field_name) || ' (' || m.form_title || ')',
                       'data_type', m.data_type,
                       'required_to_create', false, 'visible_on_create', true,
                       'visible_to_contacts', f.flags & 256 <> 0,
                       'multiline', CASE WHEN m.data_type = 'string' THEN m.multiline END,
                       'list_items', CASE WHEN m.data_type = 'list'
                                          THEN array_to_string(list_transform(m.options, lambda o: replace(o, ',', ';')), ',') END)) AS payload
    FROM int_attribute_map m
    JOIN stg_custom_fields f ON f.field_id = m.field_id
    WHERE m.target = 'ticket' AND m.data_type IS NOT NULL AND m.data_type <> 'files'
    UNION ALL
    SELECT 'tasks', 1, NULL, 'osTicket task number', 'string',
           json_object('name', 'osTicket task number',
                       'description', 'Task number in osTicket (search by it to find a migrated task)',
                       'data_type', 'string', 'required_to_create', false, 'visible_on_create', true,
                       'visible_to_contacts', false)
    WHERE EXISTS (SELECT 1 FROM outbox_ticket_type WHERE role = 'tasks')
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT t.name AS type_name, p.*, sha256(p.payload::VARCHAR) AS payload_sha256
    FROM payloads p
    JOIN outbox_ticket_type t ON t.role = p.type_role
)

SELECT * FROM final;
