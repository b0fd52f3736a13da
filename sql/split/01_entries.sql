-- stage.split_entries: every thread entry, with the ticket it belongs to now and the ticket it
-- was written on.
-- Grain: one row per raw.thread_entry row (superseded edits included; the split skips them).
-- Why: merges MOVE entries into the parent's thread and leave the child's thread as type 'C'
-- (facts §5), so "which ticket" is the thread's ticket now, and "where from" is
-- thread_entry_merge.data->thread → that thread's ticket.
CREATE OR REPLACE VIEW stage.split_entries AS
WITH moved AS (
    SELECT thread_entry_id,
           -- data is JSON as osTicket wrote it; a malformed value means "origin unknown", not a failure.
           max(TRY_CAST(json_extract_string(CASE WHEN json_valid(data) THEN data END, '$.thread') AS BIGINT)) AS from_thread
    FROM raw.thread_entry_merge
    GROUP BY thread_entry_id
),
placed AS (
    SELECT e.*,
           th.object_type AS thread_type,
           th.object_id AS thread_object_id,
           CASE th.object_type
               WHEN 'T' THEN th.object_id
               -- an entry still on a merged child's thread belongs to the parent
               WHEN 'C' THEN coalesce(TRY_CAST(json_extract_string(CASE WHEN json_valid(th.extra) THEN th.extra END, '$.ticket_id') AS BIGINT),
                                      child.ticket_pid)
           END AS owner_ticket_id,
           CASE
               WHEN th.object_type = 'C' THEN th.object_id
               WHEN src.object_type IN ('T', 'C') THEN src.object_id
           END AS moved_from_ticket_id
    FROM raw.thread_entry e
    LEFT JOIN raw.thread th ON th.id = e.thread_id
    LEFT JOIN raw.ticket child ON th.object_type = 'C' AND child.ticket_id = th.object_id
    LEFT JOIN moved m ON m.thread_entry_id = e.id
    LEFT JOIN raw.thread src ON src.id = m.from_thread
)
SELECT p.id AS entry_id,
       p.thread_id,
       p.thread_type,
       p.owner_ticket_id AS ticket_id,
       CASE WHEN p.thread_type = 'A' THEN p.thread_object_id END AS task_id,
       coalesce(p.moved_from_ticket_id, p.owner_ticket_id) AS origin_ticket_id,
       t.ticket_id IS NOT NULL AS ticket_exists,
       p.pid, p.type, p.flags, p.format, p.poster, p.user_id, p.staff_id, p.title, p.body, p.created
FROM placed p
LEFT JOIN raw.ticket t ON t.ticket_id = p.owner_ticket_id;
