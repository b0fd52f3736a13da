-- outbox.outbox_attachments: the files the loader uploads, last, as admin notes carrying
-- attachment_files on the ticket that holds their part: at most 10 per note and at most
-- attachments.request_bytes of base64 (a larger file goes alone), packed in attachment order.
-- Grain: one row per stage.part_attachment file (attachments and inline images) of a part that
-- is migrated (a reply in outbox_ticket_parts, or a ticket's description) and that can be sent.
-- Why: contact replies cannot carry files and attachment_urls need URLs Intercom can reach, so
-- each part's files arrive in notes of their own ("Attachments of …", backdated to the part).
-- The file bytes are read by the loader from raw.file_chunk, not copied here. Files over
-- attachments.limit_bytes, stored outside the database or missing are in
-- reports.rpt_attachment_exclusions.
CREATE OR REPLACE TABLE outbox.outbox_attachments AS
WITH RECURSIVE fallback AS (
    SELECT max(a.id) AS admin_id FROM raw_intercom.admin a
    WHERE lower(trim(a.email)) = (SELECT value FROM config.setting WHERE key = 'admins.fallback')
),
migrated AS (
    SELECT entry_id, ticket_id, admin_id FROM outbox.outbox_ticket_parts
    UNION ALL
    SELECT description_entry_id, ticket_id, NULL FROM outbox.outbox_tickets WHERE description_entry_id IS NOT NULL
),
files AS (
    SELECT pa.*, m.ticket_id, p.created_at, p.poster, p.kind,
           coalesce(CASE WHEN p.kind <> 'message' THEN m.admin_id END, (SELECT admin_id FROM fallback)) AS admin_id,
           row_number() OVER (PARTITION BY pa.entry_id ORDER BY pa.attachment_id) AS n,
           4 * ((coalesce(pa.size, 0) + 2) // 3) AS base64_bytes
    FROM stage.part_attachment pa
    JOIN migrated m ON m.entry_id = pa.entry_id
    JOIN stage.parts p ON p.entry_id = pa.entry_id
    WHERE pa.role IN ('attachment', 'inline_image')
      AND NOT pa.over_limit
      AND coalesce(pa.storage, 'D') = 'D'
      -- An attachment row whose file osTicket lost has no bytes to send (never an empty file).
      AND pa.file_id IN (SELECT id FROM raw.file)
),
request_limit AS (
    SELECT coalesce((SELECT value::BIGINT FROM config.setting WHERE key = 'attachments.request_bytes'), 8388608) AS bytes
),
-- Greedy packing, file by file: a file opens a new note when the current one holds 10 files
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
)
SELECT f.ticket_id, f.entry_id, b.batch, f.attachment_id, f.file_id, f.name, f.mime_type, f.size,
       f.role, f.admin_id,
       json_merge_patch('{}', json_object(
           'message_type', 'note', 'type', 'admin', 'admin_id', f.admin_id,
           'body', '<p><em>Attachments'
                   -- Notes of one entry differ in text, so a lost answer finds the right one.
                   || CASE WHEN b.notes > 1 THEN ' (' || (b.batch + 1) || ' of ' || b.notes || ')' ELSE '' END
                   || ' of the ' || CASE f.kind WHEN 'message' THEN 'message' WHEN 'response' THEN 'reply' ELSE 'note' END
                   || ' from ' || replace(replace(replace(coalesce(nullif(trim(f.poster), ''), 'an unknown sender'),
                                                          '&', '&amp;'), '<', '&lt;'), '>', '&gt;')
                   || ' of ' || strftime(f.created_at, '%Y-%m-%d %H:%M UTC') || '</em></p>',
           'created_at', epoch(f.created_at)::BIGINT,
           'skip_notifications', true
       )) AS note_payload
FROM files f
JOIN (SELECT *, max(batch) OVER (PARTITION BY entry_id) + 1 AS notes FROM packed) b
  ON b.entry_id = f.entry_id AND b.n = f.n;
