-- outbox.outbox_attachments: every file the loader uploads, and what carries it: the reply or
-- note of its own entry, or an admin note posted right after that entry.
-- Grain: one row per file of a migrated entry (intermediate.int_ticket_parts, the description
-- included) that can be sent: stage.part_attachment rows (attachments and cid: inline images)
-- and stage.part_image rows (images pasted as data: URIs), in that order.
-- Why: Intercom takes files only as attachment_files of a reply, at most 10 per request: on an
-- admin's reply or note, and on a contact's reply only through the conversations endpoint
-- (the tickets endpoint's contact reply has no such member), which a workspace may or may not
-- honour on a ticket. So an admin comment or note carries its first 10 files itself
-- (`carrier` = 'part', batch 0, up to the strategy's request_bytes of base64: the configured
-- attachments.request_bytes, lowered to what `ostmig probe` saw accepted; a larger file goes
-- alone), and so does a contact's reply where the probe found the workspace keeps its files
-- (int_workspace_strategy contact_reply_files = 'on_reply'); the files of other contact
-- replies, of the first message (the description is plain text) and any further batches arrive
-- in admin notes ("Attachments of …") at the entry's own created_at, posted right after it
-- (`carrier` = 'note', `note_payload` is the request). `data` in each attachment_files item
-- names the bytes, `file:<file id>` (raw.file_chunk) or `image:<entry id>:<n>`
-- (stage.part_image), which the loader swaps for their base64. Files over
-- attachments.limit_bytes (or too large for one request the workspace takes: the strategy's
-- file_bytes), stored outside the database or missing are in reports.rpt_attachment_exclusions.
CREATE OR REPLACE TABLE outbox.outbox_attachments AS
WITH RECURSIVE strategy AS (SELECT * FROM intermediate.int_workspace_strategy),
fallback AS (SELECT * FROM intermediate.int_fallback_admin),
parts AS (
    SELECT * FROM intermediate.int_ticket_parts
),
stored AS (
    SELECT pa.entry_id, 0 AS source, pa.attachment_id AS ord, pa.attachment_id, pa.file_id,
           NULL::INTEGER AS image_n, pa.name, pa.mime_type, pa.size, pa.role,
           'file:' || pa.file_id AS data_ref
    FROM stage.part_attachment pa
    WHERE pa.role IN ('attachment', 'inline_image')
      AND coalesce(pa.size, 0) <= (SELECT value FROM strategy WHERE decision = 'file_bytes')::BIGINT
      AND coalesce(pa.storage, 'D') = 'D'
      -- An attachment row whose file osTicket lost has no bytes to send (never an empty file).
      AND pa.file_id IN (SELECT id FROM staging.base_file)
),
pasted AS (
    SELECT i.entry_id, 1 AS source, i.n AS ord, NULL::BIGINT AS attachment_id, NULL::BIGINT AS file_id,
           i.n AS image_n, i.name, i.mime_type, i.size, 'pasted_image' AS role,
           'image:' || i.entry_id || ':' || i.n AS data_ref
    FROM stage.part_image i
    WHERE i.size <= (SELECT value FROM strategy WHERE decision = 'file_bytes')::BIGINT
),
files AS (
    SELECT f.*, p.ticket_id, p.seq, p.created_at, p.kind, p.route, p.is_description, s.poster,
           coalesce(CASE WHEN p.route <> 'contact_comment' THEN p.admin_id END, (SELECT admin_id FROM fallback)) AS admin_id,
           -- An admin's reply or note carries its files; a contact's reply where the workspace
           -- keeps them; the description never.
           NOT p.is_description
             AND (p.route <> 'contact_comment'
                  OR (SELECT value FROM strategy WHERE decision = 'contact_reply_files') = 'on_reply') AS part_can_carry,
           row_number() OVER (PARTITION BY f.entry_id ORDER BY f.source, f.ord) AS n,
           4 * ((coalesce(f.size, 0) + 2) // 3) AS base64_bytes
    FROM (SELECT * FROM stored UNION ALL SELECT * FROM pasted) f
    JOIN parts p ON p.entry_id = f.entry_id
    JOIN stage.parts s ON s.entry_id = f.entry_id
),
request_limit AS (
    SELECT (SELECT value FROM strategy WHERE decision = 'request_bytes')::BIGINT AS bytes
),
-- Greedy packing, file by file: a file opens a new batch when the current one holds 10 files
-- or would pass the byte limit.
packed AS (
    SELECT entry_id, n, 0 AS batch, 1 AS files, base64_bytes AS bytes FROM files WHERE n = 1
    UNION ALL
    SELECT f.entry_id, f.n,
           CASE WHEN p.files >= 10 OR p.bytes + f.base64_bytes > l.bytes THEN p.batch + 1 ELSE p.batch END,
           CASE WHEN p.files >= 10 OR p.bytes + f.base64_bytes > l.bytes THEN 1 ELSE p.files + 1 END,
           CASE WHEN p.files >= 10 OR p.bytes + f.base64_bytes > l.bytes THEN f.base64_bytes ELSE p.bytes + f.base64_bytes END
    FROM packed p
    JOIN files f ON f.entry_id = p.entry_id AND f.n = p.n + 1
    CROSS JOIN request_limit l
),
carried AS (
    SELECT f.*, b.batch,
           CASE WHEN f.part_can_carry AND b.batch = 0 THEN 'part' ELSE 'note' END AS carrier
    FROM files f
    JOIN packed b ON b.entry_id = f.entry_id AND b.n = f.n
),
notes AS (
    SELECT entry_id, batch,
           to_json(list(json_object('content_type', coalesce(mime_type, 'application/octet-stream'),
                                    'data', data_ref, 'name', name) ORDER BY n)) AS attachment_files,
           row_number() OVER (PARTITION BY entry_id ORDER BY batch) AS note_n,
           count(*) OVER (PARTITION BY entry_id) AS notes
    FROM carried
    WHERE carrier = 'note'
    GROUP BY entry_id, batch
),
payloads AS (
    SELECT c.ticket_id, c.entry_id, c.seq, c.created_at, c.batch, c.carrier, c.n, c.attachment_id,
           c.file_id, c.image_n, c.data_ref, c.name, c.mime_type, c.size, c.role, c.admin_id,
           CASE WHEN c.carrier = 'note' THEN json_object(
               'message_type', 'note', 'type', 'admin', 'admin_id', c.admin_id,
               'body', '<p><em>Attachments'
                       -- Notes of one entry differ in text, so a lost answer finds the right one.
                       || CASE WHEN nb.notes > 1 THEN ' (' || nb.note_n || ' of ' || nb.notes || ')' ELSE '' END
                       || ' of the ' || CASE c.kind WHEN 'message' THEN 'message' WHEN 'response' THEN 'reply' ELSE 'note' END
                       || ' from ' || html_escape(coalesce(nullif(trim(c.poster), ''), 'an unknown sender'))
                       || ' of ' || strftime(c.created_at, '%Y-%m-%d %H:%M UTC') || '</em></p>',
               'created_at', epoch(c.created_at)::BIGINT,
               'skip_notifications', true,
               'attachment_files', nb.attachment_files) END AS note_payload
    FROM carried c
    LEFT JOIN notes nb ON nb.entry_id = c.entry_id AND nb.batch = c.batch
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(note_payload::VARCHAR) AS note_payload_sha256 FROM payloads
)

SELECT * FROM final;
