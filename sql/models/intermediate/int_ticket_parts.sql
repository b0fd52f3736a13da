-- intermediate.int_ticket_parts: every entry of a migrated ticket as the part it becomes: who
-- posts it, as what, and the body as sent.
-- Grain: one row per stage.parts row of a ticket whose int_tickets.outcome is 'migrate',
-- except the notes skipped by notes.policy = "skip" (reports.rpt_part_exclusions lists those).
-- The entry that became the ticket's description is here too (`is_description`): its files
-- travel like every other entry's.
-- Why: customer messages are contact replies, agent responses admin comments, internal notes
-- admin notes. What no contact or admin wrote (system entries, messages from people who are
-- not contacts) is a note by the fallback admin (admins.fallback) saying who wrote it; entries
-- moved in from a merged ticket say which ticket they came from; so does an entry whose agent
-- osTicket no longer has (reports.rpt_broken_references). With participants = "notes" a
-- message from anyone but the requester is such a note too. Nothing osTicket shows on an entry
-- is dropped: a title other than the ticket's subject (a note's "Ticket transferred", a reply
-- under another subject) is its first line, and an edited entry ends with osTicket's "Edited"
-- mark, saying by whom and when. Where the workspace rewrites old reply times
-- (int_workspace_strategy reply_times = 'in_body'), each ends with the time osTicket recorded.
CREATE OR REPLACE TABLE intermediate.int_ticket_parts AS
WITH settings AS (SELECT * FROM config.settings),
-- Where `ostmig probe` found that the workspace does not keep a reply's created_at when it is
-- older than its ticket, each entry says when osTicket recorded it.
strategy AS (SELECT * FROM intermediate.int_workspace_strategy),
times_lost AS (
    SELECT count(*) > 0 AS lost FROM strategy
    WHERE decision = 'reply_times' AND value = 'in_body'
),
fallback AS (SELECT * FROM intermediate.int_fallback_admin),
tickets AS (
    SELECT t.ticket_id, t.description_entry_id, t.user_id AS requester_id, s.subject
    FROM intermediate.int_tickets t
    JOIN staging.stg_tickets s USING (ticket_id)
    WHERE t.outcome = 'migrate'
),
parts AS (
    SELECT * FROM stage.parts
),
contacts AS (
    SELECT user_id, external_id FROM intermediate.int_contacts
),
agents AS (
    SELECT staff_id, admin_id FROM intermediate.int_agent_admins
),
entries AS (
    SELECT id::BIGINT AS entry_id, TRY_CAST(editor AS BIGINT) AS editor, editor_type,
           TRY_CAST(updated AS TIMESTAMP) AS updated
    FROM staging.base_thread_entry
),
-- A subject compared without the reply and forward prefixes mail clients add.
normalised AS (
    SELECT p.*, t.description_entry_id, t.requester_id,
           regexp_replace(lower(trim(coalesce(p.title, ''))), '^((re|fwd?|aw|wg|sv)\s*:\s*)+', '') AS title_key,
           regexp_replace(lower(trim(coalesce(t.subject, ''))), '^((re|fwd?|aw|wg|sv)\s*:\s*)+', '') AS subject_key
    FROM parts p
    JOIN tickets t ON t.ticket_id = p.ticket_id
    WHERE NOT (p.kind = 'note' AND (SELECT notes_policy FROM settings) = 'skip'
               AND p.entry_id IS DISTINCT FROM t.description_entry_id)
),
routed AS (
    SELECT p.*, c.external_id AS author_external_id, aa.admin_id AS author_admin_id,
           origin.number AS origin_number,
           -- staff_id names an agent osTicket no longer has: posted like a system entry.
           p.staff_id IS NOT NULL AND p.staff_id NOT IN (SELECT staff_id FROM staging.base_staff) AS ghost_agent,
           CASE
               -- participants = "notes": only the requester replies as a contact; a CC's
               -- message is a note naming them (see outbox_ticket_participants).
               WHEN p.kind = 'message' AND c.external_id IS NOT NULL
                    AND (p.user_id = p.requester_id
                         OR (SELECT participants FROM settings) = 'add')
                    THEN 'contact_comment'
               WHEN p.kind = 'response' AND aa.admin_id IS NOT NULL THEN 'admin_comment'
               WHEN p.kind = 'response' AND p.staff_id IN (SELECT staff_id FROM staging.base_staff) THEN 'admin_comment'
               ELSE 'admin_note'
           END AS route,
           CASE WHEN p.edited THEN coalesce(
               CASE e.editor_type WHEN 'S' THEN (SELECT name FROM staging.stg_staff s WHERE s.staff_id = e.editor)
                                  WHEN 'U' THEN (SELECT name FROM staging.stg_users u WHERE u.user_id = e.editor) END,
               'an agent') END AS editor_name,
           e.updated AS edited_at
    FROM normalised p
    LEFT JOIN contacts c ON c.user_id = p.user_id
    LEFT JOIN agents aa ON aa.staff_id = p.staff_id
    LEFT JOIN entries e ON e.entry_id = p.entry_id
    LEFT JOIN staging.stg_tickets origin
           ON origin.ticket_id = p.origin_ticket_id AND p.origin_ticket_id <> p.ticket_id
),
final AS (
    SELECT p.ticket_id, p.entry_id, p.seq, p.kind, p.route, p.created_at,
           p.entry_id IS NOT DISTINCT FROM p.description_entry_id AS is_description,
           p.author_external_id,
           CASE WHEN p.route = 'contact_comment' THEN NULL
                ELSE coalesce(p.author_admin_id,
                              CASE WHEN p.staff_id IS NULL OR p.ghost_agent THEN (SELECT admin_id FROM fallback) END)
           END AS admin_id,
           p.title_key <> '' AND p.title_key <> p.subject_key AS title_shown,
           p.editor_name IS NOT NULL AS edit_mark,
           concat(
               CASE WHEN p.origin_number IS NOT NULL
                    THEN '<p><em>From osTicket #' || p.origin_number || ' (merged into this ticket)</em></p>' END,
               CASE WHEN p.route = 'admin_note' AND (p.kind IN ('message', 'system') OR p.ghost_agent)
                    THEN '<p><em>' || CASE p.kind WHEN 'message' THEN 'Message' WHEN 'response' THEN 'Reply' ELSE 'Entry' END || ' from '
                         || html_escape(coalesce(nullif(trim(p.poster), ''), 'an unknown sender'))
                         || '</em></p>' END,
               CASE WHEN p.title_key <> '' AND p.title_key <> p.subject_key
                    THEN '<p><b>' || html_escape(trim(p.title)) || '</b></p>' END,
               CASE WHEN trim(p.body_text) = '' AND p.body_html NOT LIKE '%<img%'
                    THEN '<p>(no text in osTicket)</p>' ELSE p.body_html END,
               CASE WHEN p.editor_name IS NOT NULL
                    THEN '<p><em>Edited in osTicket by '
                         || html_escape(p.editor_name)
                         || coalesce(' on ' || strftime(p.edited_at, '%Y-%m-%d %H:%M UTC'), '') || '</em></p>' END,
               CASE WHEN (SELECT lost FROM times_lost)
                    THEN '<p><em>Posted in osTicket on ' || strftime(p.created_at, '%Y-%m-%d %H:%M UTC') || '</em></p>' END
           ) AS body
    FROM routed p
)
SELECT * FROM final;
