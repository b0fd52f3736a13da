-- reports.rpt_review_thread: each ticket's thread as osTicket showed it beside what Intercom will
-- hold, line by line, with what differs; `ostmig review` shows it side by side.
-- Grain: one row per line of a ticket: an osTicket entry and the part it becomes (or the
-- description), a file note the load adds after an entry, an osTicket event and the activity
-- note that carries it, or a participant the load adds.
-- Why: a person signs off a migrated conversation by reading it, not a spreadsheet row per
-- entry. The left side is the entry as osTicket stored it (`source_html`: its own HTML, or its
-- text escaped), the right side exactly the body the load sends (`intercom_html`), so what the
-- reviewer approves is what arrives. `differences` names what a reader would notice: an entry
-- with no part, a part at another time, a file that stays behind, an internal note the
-- customer would see, a customer's message only agents would see. Files are (name, data): `data`
-- names the bytes as outbox_attachments does (`file:<id>`, `image:<entry>:<n>`), and the review
-- serves them from the staging file. `aside` says why an event
-- has no note of its own. After a load, reports.rpt_review_readback puts what Intercom holds
-- beside each line. A table, not a view: a
-- 5,000-entry ticket opens from it by ticket_id without recomputing every ticket.
CREATE OR REPLACE TABLE reports.rpt_review_thread AS
WITH
stage_parts AS NOT MATERIALIZED (SELECT * FROM stage.parts),
part_attachment AS NOT MATERIALIZED (SELECT * FROM stage.part_attachment),
thread_entry AS NOT MATERIALIZED (SELECT * FROM staging.base_thread_entry),
stg_tickets AS NOT MATERIALIZED (SELECT * FROM staging.stg_tickets),
int_tickets AS NOT MATERIALIZED (SELECT * FROM intermediate.int_tickets),
int_ticket_events AS NOT MATERIALIZED (SELECT * FROM intermediate.int_ticket_events),
part_exclusions AS NOT MATERIALIZED (SELECT * FROM reports.rpt_part_exclusions),
attachment_exclusions AS NOT MATERIALIZED (SELECT * FROM reports.rpt_attachment_exclusions),
outbox_tickets AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_tickets),
outbox_ticket_parts AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_ticket_parts),
outbox_ticket_events AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_ticket_events),
outbox_attachments AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_attachments),
outbox_ticket_participants AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_ticket_participants),
outbox_contacts AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_contacts),
intercom_admin AS NOT MATERIALIZED (SELECT * FROM raw_intercom.admin),

-- The osTicket side: every entry of the ticket's thread, those moved in by a merge included,
-- and those no part was made of (rpt_part_exclusions says why).
source_entries AS (
    SELECT p.ticket_id, p.entry_id, p.seq, p.kind, p.poster, p.created_at, p.internal, p.title,
           p.source_format, coalesce(nullif(e.body, ''), p.body_html) AS body,
           origin.number AS origin_number
    FROM stage_parts p
    LEFT JOIN thread_entry e ON e.id = p.entry_id
    LEFT JOIN stg_tickets origin ON origin.ticket_id = p.origin_ticket_id AND p.origin_ticket_id <> p.ticket_id
    UNION ALL
    SELECT x.ticket_id, x.entry_id, x.seq, x.kind, x.poster, x.created_at, x.kind = 'note', e.title,
           e.format, e.body, NULL
    FROM part_exclusions x
    LEFT JOIN thread_entry e ON e.id = x.entry_id
    WHERE x.entry_id NOT IN (SELECT entry_id FROM stage_parts)
),
-- A body osTicket kept in a file (role 'body') is the entry's text, not one of its files.
source_files AS (
    SELECT entry_id, list({'name': name, 'data': 'file:' || file_id} ORDER BY attachment_id) AS files
    FROM part_attachment WHERE role <> 'body' GROUP BY entry_id
),
-- A file of the entry that no outbox row carries stays in osTicket.
lost_files AS (
    SELECT a.entry_id,
           list('file not sent: ' || a.name || coalesce(' (' || x.reason || ')', '') ORDER BY a.attachment_id) AS lost
    FROM part_attachment a
    LEFT JOIN attachment_exclusions x ON x.attachment_id = a.attachment_id
    WHERE a.role <> 'body'
      AND a.attachment_id NOT IN (SELECT attachment_id FROM outbox_attachments WHERE attachment_id IS NOT NULL)
    GROUP BY a.entry_id
),

-- The Intercom side of an entry: the ticket's description, or the part posted on the ticket.
intercom_entries AS (
    SELECT t.ticket_id, t.description_entry_id AS entry_id, 'description' AS route,
           'ticket' AS ledger_type, t.number AS ledger_key,
           coalesce(c.payload->>'name', c.payload->>'email', t.contact_external_id) AS author,
           make_timestamp((t.payload->>'created_at')::BIGINT * 1000000) AS at,
           '<div class="text">' || html_escape(t.payload->>'$.ticket_attributes._default_description_') || '</div>' AS html,
           true AS public
    FROM outbox_tickets t
    LEFT JOIN outbox_contacts c ON c.external_id = t.contact_external_id
    WHERE t.description_entry_id IS NOT NULL
    UNION ALL
    SELECT p.ticket_id, p.entry_id, p.route,
           'part', p.entry_id::VARCHAR,
           CASE WHEN p.route = 'contact_comment'
                THEN coalesce(c.payload->>'name', c.payload->>'email', p.author_external_id)
                ELSE coalesce(a.name, 'admin ' || p.admin_id) END,
           make_timestamp((p.payload->>'created_at')::BIGINT * 1000000),
           p.payload->>'body',
           p.route <> 'admin_note'
    FROM outbox_ticket_parts p
    LEFT JOIN outbox_contacts c ON c.external_id = p.author_external_id
    LEFT JOIN intercom_admin a ON a.id = p.admin_id
),
part_files AS (
    SELECT entry_id, list({'name': name, 'data': data_ref} ORDER BY n) AS files
    FROM outbox_attachments WHERE carrier = 'part' GROUP BY entry_id
),

entry_lines AS (
    SELECT s.ticket_id, s.created_at AS sort_at, 0 AS sort_kind, s.seq AS sort_n,
           s.entry_id, s.kind AS source_kind, s.poster AS source_author, s.created_at AS source_at,
           s.title AS source_title,
           -- An inline image (cid:<file key>) is served by the review (/cid/<key>).
           CASE WHEN s.source_format = 'html' THEN regexp_replace(s.body, '(src\s*=\s*["'']?)cid:', '\1/cid/', 'gi')
                ELSE '<div class="text">' || html_escape(coalesce(s.body, '')) || '</div>' END AS source_html,
           s.internal AS source_internal, coalesce(sf.files, []::STRUCT(name VARCHAR, data VARCHAR)[]) AS source_files, s.origin_number,
           i.route AS intercom_kind, i.author AS intercom_author, i.at AS intercom_at, i.html AS intercom_html,
           i.public AS intercom_public, coalesce(pf.files, []::STRUCT(name VARCHAR, data VARCHAR)[]) AS intercom_files,
           i.ledger_type, i.ledger_key,
           list_filter([
               CASE WHEN t.outcome IS DISTINCT FROM 'migrate'
                    THEN 'not in Intercom: the ticket is not migrated (' || coalesce(t.reason, t.outcome, 'not staged') || ')'
                    WHEN i.route IS NULL
                    THEN 'not in Intercom: ' || coalesce(x.reason, 'no part is made of this entry') END,
               CASE WHEN i.at IS NOT NULL AND date_trunc('second', i.at) <> date_trunc('second', s.created_at)
                    THEN 'time changed: ' || strftime(s.created_at, '%Y-%m-%d %H:%M:%S') || ' → ' || strftime(i.at, '%Y-%m-%d %H:%M:%S') END,
               CASE WHEN s.internal AND i.public THEN 'internal note shown to the customer' END,
               CASE WHEN NOT s.internal AND s.kind = 'message' AND i.public = false
                    THEN 'the customer''s message is an internal note: only agents see it' END
           ], lambda d: d IS NOT NULL) || coalesce(lf.lost, []) AS differences
    FROM source_entries s
    LEFT JOIN intercom_entries i ON i.entry_id = s.entry_id
    LEFT JOIN int_tickets t ON t.ticket_id = s.ticket_id
    LEFT JOIN part_exclusions x ON x.entry_id = s.entry_id
    LEFT JOIN source_files sf ON sf.entry_id = s.entry_id
    LEFT JOIN part_files pf ON pf.entry_id = s.entry_id
    LEFT JOIN lost_files lf ON lf.entry_id = s.entry_id
),

-- Files the load posts in a note of their own, right after their entry.
file_note_lines AS (
    SELECT a.ticket_id, any_value(a.created_at) AS sort_at, 1 AS sort_kind, min(a.seq) * 1000 + a.batch AS sort_n,
           a.entry_id,
           NULL AS source_kind, NULL AS source_author, NULL::TIMESTAMP AS source_at, NULL AS source_title,
           NULL AS source_html, NULL::BOOLEAN AS source_internal, []::STRUCT(name VARCHAR, data VARCHAR)[] AS source_files, NULL AS origin_number,
           'file_note' AS intercom_kind, coalesce(any_value(ad.name), 'admin ' || any_value(a.admin_id)) AS intercom_author,
           make_timestamp((any_value(a.note_payload)->>'created_at')::BIGINT * 1000000) AS intercom_at,
           any_value(a.note_payload)->>'body' AS intercom_html, false AS intercom_public,
           list({'name': a.name, 'data': a.data_ref} ORDER BY a.n) AS intercom_files,
           'attachment_note' AS ledger_type, a.entry_id || ':' || a.batch AS ledger_key,
           []::VARCHAR[] AS differences
    FROM outbox_attachments a
    LEFT JOIN intercom_admin ad ON ad.id = a.admin_id
    WHERE a.carrier = 'note'
    GROUP BY a.ticket_id, a.entry_id, a.batch
),

-- osTicket's events; the activity note that carries a burst of them sits on its first event.
event_notes AS (
    SELECT ticket_id, event_key, admin_id, payload, unnest(event_ids) AS event_id
    FROM outbox_ticket_events
),
event_lines AS (
    SELECT e.ticket_id, e.happened_at AS sort_at, 2 AS sort_kind, e.event_id AS sort_n, NULL::BIGINT AS entry_id,
           'event' AS source_kind, e.actor AS source_author, e.happened_at AS source_at, NULL AS source_title,
           '<p>' || html_escape(e.sentence) || '</p>' AS source_html, true AS source_internal,
           []::STRUCT(name VARCHAR, data VARCHAR)[] AS source_files, NULL AS origin_number,
           CASE WHEN n.event_key IS NULL THEN 'not_sent'
                WHEN row_number() OVER (PARTITION BY n.event_key ORDER BY e.happened_at, e.event_id) = 1 THEN 'activity_note'
                ELSE 'same_note' END AS intercom_kind,
           CASE WHEN n.event_key IS NOT NULL THEN coalesce(a.name, 'admin ' || n.admin_id) END AS intercom_author,
           make_timestamp((n.payload->>'created_at')::BIGINT * 1000000) AS intercom_at,
           n.payload->>'body' AS intercom_html,
           -- Why an event has no note of its own (int_ticket_events.fate).
           CASE WHEN n.event_key IS NULL THEN e.fate END AS aside,
           CASE WHEN n.event_key IS NOT NULL THEN false END AS intercom_public,
           []::STRUCT(name VARCHAR, data VARCHAR)[] AS intercom_files,
           CASE WHEN n.event_key IS NOT NULL THEN 'event' END AS ledger_type, n.event_key AS ledger_key,
           []::VARCHAR[] AS differences
    FROM int_ticket_events e
    LEFT JOIN event_notes n ON n.event_id = e.event_id AND n.ticket_id = e.ticket_id
    LEFT JOIN intercom_admin a ON a.id = n.admin_id
),

-- People the load adds to the ticket (participants), or names in a note (participants = "notes").
participant_lines AS (
    SELECT q.ticket_id, q.created_at AS sort_at, 3 AS sort_kind, row_number() OVER (PARTITION BY q.ticket_id ORDER BY q.participant_key) AS sort_n,
           NULL::BIGINT AS entry_id,
           NULL AS source_kind, NULL AS source_author, NULL::TIMESTAMP AS source_at, NULL AS source_title,
           NULL AS source_html, NULL::BOOLEAN AS source_internal, []::STRUCT(name VARCHAR, data VARCHAR)[] AS source_files, NULL AS origin_number,
           CASE q.kind WHEN 'participant' THEN 'participant' ELSE 'cc_note' END AS intercom_kind,
           coalesce(a.name, 'admin ' || (q.payload->>'admin_id')) AS intercom_author,
           q.created_at AS intercom_at,
           CASE q.kind WHEN 'participant'
                THEN '<p>Adds ' || html_escape(coalesce(c.payload->>'name', c.payload->>'email', q.payload->>'$.customer.user_id')) || ' to the ticket</p>'
                ELSE q.payload->>'body' END AS intercom_html,
           q.kind = 'participant' AS intercom_public,
           []::STRUCT(name VARCHAR, data VARCHAR)[] AS intercom_files,
           CASE q.kind WHEN 'participant' THEN 'participant' ELSE 'cc_note' END AS ledger_type,
           q.participant_key AS ledger_key,
           []::VARCHAR[] AS differences
    FROM outbox_ticket_participants q
    LEFT JOIN intercom_admin a ON a.id = (q.payload->>'admin_id')
    LEFT JOIN outbox_contacts c ON c.external_id = (q.payload->>'$.customer.user_id')
),

lines AS (
    SELECT * FROM entry_lines
    UNION ALL BY NAME SELECT * FROM file_note_lines
    UNION ALL BY NAME SELECT * FROM event_lines
    UNION ALL BY NAME SELECT * FROM participant_lines
),

final AS (
    SELECT row_number() OVER (PARTITION BY ticket_id ORDER BY sort_at NULLS FIRST, sort_kind, sort_n) AS line,
           ticket_id, entry_id,
           source_kind, source_author, source_at, source_title, source_html, source_internal, source_files,
           origin_number,
           intercom_kind, intercom_author, intercom_at, intercom_html, intercom_public, intercom_files,
           aside, differences,
           -- The load ledger's key of the line's Intercom object (load.ledger object_type,
           -- source_key): how reports.rpt_review_readback finds what Intercom holds of it.
           ledger_type, ledger_key
    FROM lines
)

SELECT * FROM final ORDER BY ticket_id, line;
