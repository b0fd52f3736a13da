-- outbox.outbox_field_files: the files of a ticket's file-upload fields, as an admin note on the
-- ticket (POST /tickets/{id}/reply).
-- Grain: one row per ticket and file-upload field with a file that is carried
-- (intermediate.int_field_files.reason IS NULL).
-- Why: an Intercom attribute cannot hold a file, and a file the customer uploaded into a form
-- field is part of the request. The note names the field, is by [admins] fallback and is dated
-- at the ticket's creation, so it is the first thing in the conversation after the
-- description. `data` in each attachment_files item names the bytes (`file:<file id>`), which
-- the loader swaps for their base64, as in outbox_attachments.
CREATE OR REPLACE TABLE outbox.outbox_field_files AS
WITH
int_field_files AS (SELECT * FROM intermediate.int_field_files),
outbox_tickets AS (SELECT * FROM outbox.outbox_tickets),
int_fallback_admin AS (SELECT * FROM intermediate.int_fallback_admin),

carried AS (
    SELECT object_id AS ticket_id, field_id, any_value(field) AS field, count(*) AS files,
           to_json(list(json_object('content_type', coalesce(mime_type, 'application/octet-stream'),
                                    'data', 'file:' || file_id, 'name', name) ORDER BY n)) AS attachment_files,
           string_agg(name, ', ' ORDER BY n) AS names
    FROM int_field_files
    WHERE reason IS NULL
    GROUP BY object_id, field_id
),

payloads AS (
    SELECT c.ticket_id, 'field:' || c.ticket_id || ':' || c.field_id AS field_key, c.field_id, c.files,
           make_timestamp((t.payload->>'$.created_at')::BIGINT * 1000000) AS created_at, f.admin_id,
           json_object('message_type', 'note', 'type', 'admin', 'admin_id', f.admin_id,
                       'body', '<p><em>Files of the field "' || html_escape(c.field) || '" in osTicket: '
                               || html_escape(c.names) || '</em></p>',
                       'created_at', (t.payload->>'$.created_at')::BIGINT, 'skip_notifications', true,
                       'attachment_files', c.attachment_files) AS payload
    FROM carried c
    JOIN outbox_tickets t ON t.ticket_id = c.ticket_id
    CROSS JOIN int_fallback_admin f
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
