-- outbox.outbox_ticket_parts: the replies and notes the loader posts on each created ticket
-- (POST /tickets/{id}/reply), in conversation order.
-- Grain: one row per stage.parts row of a migrated ticket, except the part that became the
-- ticket's description and the notes skipped by notes.policy = "skip"
-- (reports.rpt_part_exclusions lists those).
-- Why: customer messages are contact replies (user_id = the contact's external_id), agent
-- responses admin comments, internal notes admin notes, all backdated with created_at and all
-- with skip_notifications (the operation takes it for contact replies too). What
-- no contact or admin wrote (system entries, messages from people who are not contacts) is a
-- note by the fallback admin (admins.fallback) saying who wrote it; entries moved in from a
-- merged ticket say which ticket they came from; so does an entry whose agent osTicket no longer
-- has (reports.rpt_broken_references). An admin_id that is NULL fails `ostmig check`.
CREATE OR REPLACE TABLE outbox.outbox_ticket_parts AS
WITH fallback AS (
    SELECT max(a.id) AS admin_id FROM raw_intercom.admin a
    WHERE lower(trim(a.email)) = (SELECT value FROM config.setting WHERE key = 'admins.fallback')
),
parts AS (
    SELECT p.*, c.external_id AS author_external_id, aa.admin_id AS author_admin_id,
           origin.number AS origin_number,
           -- staff_id names an agent osTicket no longer has: posted like a system entry.
           p.staff_id IS NOT NULL AND p.staff_id NOT IN (SELECT staff_id FROM raw.staff) AS ghost_agent,
           CASE
               WHEN p.kind = 'message' AND c.external_id IS NOT NULL THEN 'contact_comment'
               WHEN p.kind = 'response' AND aa.admin_id IS NOT NULL THEN 'admin_comment'
               WHEN p.kind = 'response' AND p.staff_id IN (SELECT staff_id FROM raw.staff) THEN 'admin_comment'
               ELSE 'admin_note'
           END AS route
    FROM stage.parts p
    JOIN intermediate.int_tickets t ON t.ticket_id = p.ticket_id
    LEFT JOIN intermediate.int_contacts c ON c.user_id = p.user_id
    LEFT JOIN intermediate.int_agent_admins aa ON aa.staff_id = p.staff_id
    LEFT JOIN staging.stg_tickets origin
           ON origin.ticket_id = p.origin_ticket_id AND p.origin_ticket_id <> p.ticket_id
    WHERE t.outcome = 'migrate'
      AND p.entry_id IS DISTINCT FROM t.description_entry_id
      AND NOT (p.kind = 'note' AND (SELECT value FROM config.setting WHERE key = 'notes.policy') = 'skip')
),
shaped AS (
    SELECT p.*,
           CASE WHEN p.route = 'contact_comment' THEN NULL
                ELSE coalesce(p.author_admin_id,
                              CASE WHEN p.staff_id IS NULL OR p.ghost_agent THEN (SELECT admin_id FROM fallback) END)
           END AS admin_id,
           concat(
               CASE WHEN p.origin_number IS NOT NULL
                    THEN '<p><em>From osTicket #' || p.origin_number || ' (merged into this ticket)</em></p>' END,
               CASE WHEN p.route = 'admin_note' AND (p.kind IN ('message', 'system') OR p.ghost_agent)
                    THEN '<p><em>' || CASE p.kind WHEN 'message' THEN 'Message' WHEN 'response' THEN 'Reply' ELSE 'Entry' END || ' from '
                         || replace(replace(replace(coalesce(nullif(trim(p.poster), ''), 'an unknown sender'),
                                                    '&', '&amp;'), '<', '&lt;'), '>', '&gt;')
                         || '</em></p>' END,
               CASE WHEN trim(p.body_text) = '' AND p.body_html NOT LIKE '%<img%'
                    THEN '<p>(no text in osTicket)</p>' ELSE p.body_html END
           ) AS body
    FROM parts p
)
SELECT s.ticket_id, s.entry_id, s.seq, s.kind, s.route, s.admin_id, s.author_external_id,
       json_merge_patch('{}', CASE WHEN s.route = 'contact_comment' THEN
           json_object('message_type', 'comment', 'type', 'user', 'user_id', s.author_external_id,
                       'body', s.body, 'created_at', epoch(s.created_at)::BIGINT, 'skip_notifications', true)
       ELSE
           json_object('message_type', CASE s.route WHEN 'admin_comment' THEN 'comment' ELSE 'note' END,
                       'type', 'admin', 'admin_id', s.admin_id, 'body', s.body,
                       'created_at', epoch(s.created_at)::BIGINT, 'skip_notifications', true)
       END) AS payload
FROM shaped s;
