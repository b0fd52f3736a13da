-- outbox.outbox_ticket_parts: the replies and notes the loader posts on each created ticket
-- (POST /tickets/{id}/reply, or POST /conversations/{id}/reply: `endpoint`).
-- Grain: one row per intermediate.int_ticket_parts row except the ticket's description.
-- Why: customer messages are contact replies (user_id = the contact's external_id), agent
-- responses admin comments, internal notes admin notes, all backdated with created_at and all
-- with skip_notifications (the operation takes it for contact replies too); who posts what is
-- decided in int_ticket_parts. An admin's reply or note carries its own files
-- (outbox_attachments rows with carrier 'part'); so does a contact's reply where the workspace
-- keeps them, sent through the conversations endpoint, the only one whose contact reply takes
-- attachment_files (`endpoint` = 'conversations'); `data` names the bytes the loader sends. An
-- admin_id that is NULL fails `ostmig check`. The loader posts these, the file notes and the
-- activity notes of a ticket merged in created_at order (see `ostmig load`).
CREATE OR REPLACE TABLE outbox.outbox_ticket_parts AS
WITH parts AS (
    SELECT * FROM intermediate.int_ticket_parts WHERE NOT is_description
),
carried AS (
    SELECT entry_id,
           to_json(list(json_object('content_type', coalesce(mime_type, 'application/octet-stream'),
                                    'data', data_ref, 'name', name) ORDER BY n)) AS attachment_files
    FROM outbox.outbox_attachments
    WHERE carrier = 'part'
    GROUP BY entry_id
),
payloads AS (
    SELECT p.ticket_id, p.entry_id, p.seq, p.created_at, p.kind, p.route, p.admin_id, p.author_external_id,
           json_merge_patch('{}', CASE WHEN p.route = 'contact_comment' THEN
               json_object('message_type', 'comment', 'type', 'user', 'user_id', p.author_external_id,
                           'body', p.body, 'created_at', epoch(p.created_at)::BIGINT, 'skip_notifications', true,
                           'attachment_files', c.attachment_files)
           ELSE
               json_object('message_type', CASE p.route WHEN 'admin_comment' THEN 'comment' ELSE 'note' END,
                           'type', 'admin', 'admin_id', p.admin_id, 'body', p.body,
                           'created_at', epoch(p.created_at)::BIGINT, 'skip_notifications', true,
                           'attachment_files', c.attachment_files)
           END) AS payload,
           CASE WHEN p.route = 'contact_comment' AND c.attachment_files IS NOT NULL
                THEN 'conversations' ELSE 'tickets' END AS endpoint
    FROM parts p
    LEFT JOIN carried c ON c.entry_id = p.entry_id
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
