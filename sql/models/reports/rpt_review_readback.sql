-- reports.rpt_review_readback: after a load, what Intercom holds of each line of a ticket, as
-- `ostmig verify` read it back; `ostmig review` shows it in place of the outbox.
-- Grain: one row per line of reports.rpt_review_thread of a ticket verify read back, plus one
-- per part Intercom holds that no line sent (its own state changes, a part someone added);
-- `target` is 'main' (load.readback) or 'sample' (the `--sample` rehearsal's sandbox).
-- Why: the outbox is what ostmig meant to send; a reviewer in the sandbox reconciliation signs
-- off what arrived. Each line finds its Intercom object through the load ledger (ledger_type,
-- ledger_key) and that object's part in the ticket as read back; `differences` says what
-- arrived otherwise than sent: nothing at all, at another time, with other visible text (bodies
-- compare by what a reader sees: Intercom rewrites markup), or with other files. A view: verify
-- replaces the read-backs whenever it runs.
CREATE OR REPLACE VIEW reports.rpt_review_readback AS
WITH
review_thread AS NOT MATERIALIZED (SELECT * FROM reports.rpt_review_thread),
stg_tickets AS NOT MATERIALIZED (SELECT * FROM staging.stg_tickets),
outbox_contacts AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_contacts),
ledger AS (
    SELECT 'main' AS target, * FROM load.ledger WHERE status IN ('created', 'existing')
    UNION ALL
    SELECT 'sample', * FROM load.sample_ledger WHERE status IN ('created', 'existing')
),
readback AS (
    SELECT 'main' AS target, * FROM load.readback WHERE object_type = 'ticket'
    UNION ALL
    SELECT 'sample', * FROM load.sample_readback WHERE object_type = 'ticket'
),

tickets AS (
    SELECT r.target, s.ticket_id, r.source_key AS number, r.intercom_id, r.body, r.read_at,
           coalesce(json_extract(r.body, '$.ticket_parts.ticket_parts[*]'), []) AS parts,
           coalesce(json_extract_string(r.body, '$.contacts.contacts[*].external_id'), []) AS contacts
    FROM readback r
    JOIN stg_tickets s ON s.number = r.source_key
),
parts AS (
    SELECT target, ticket_id, part->>'id' AS part_id, part->>'part_type' AS part_type,
           part->>'body' AS body, part->>'$.author.name' AS author,
           make_timestamp((part->>'created_at')::BIGINT * 1000000) AS held_at,
           -- Intercom's files are at Intercom's addresses: named here, not fetched.
           list_transform(coalesce(json_extract_string(part, '$.attachments[*].name'), []),
                          lambda n: {'name': n, 'data': NULL::VARCHAR}) AS files,
           position
    FROM (SELECT target, ticket_id, unnest(parts) AS part, generate_subscripts(parts, 1) AS position FROM tickets)
),

-- Each line's object in Intercom, by the ledger.
lines AS (
    SELECT t.target, r.*, l.intercom_id
    FROM review_thread r
    JOIN tickets t ON t.ticket_id = r.ticket_id
    LEFT JOIN ledger l ON l.target = t.target AND l.object_type = r.ledger_type AND l.source_key = r.ledger_key
),
found AS (
    SELECT l.target, l.ticket_id, l.line, l.ledger_type, l.intercom_kind, l.intercom_at, l.intercom_html,
           l.intercom_files, l.intercom_author,
           CASE
               WHEN l.ledger_type IS NULL THEN NULL
               WHEN l.ledger_type = 'ticket' THEN t.body->>'$.ticket_attributes._default_description_'
               ELSE p.body END AS body,
           CASE WHEN l.ledger_type = 'ticket' THEN coalesce(c.payload->>'name', t.contacts[1])
                WHEN l.ledger_type = 'participant' THEN NULL
                ELSE p.author END AS author,
           CASE WHEN l.ledger_type = 'ticket' THEN make_timestamp((t.body->>'created_at')::BIGINT * 1000000)
                ELSE p.held_at END AS held_at,
           coalesce(p.files, []::STRUCT(name VARCHAR, data VARCHAR)[]) AS files,
           p.part_type,
           CASE
               WHEN l.ledger_type IS NULL THEN true
               WHEN l.ledger_type = 'ticket' THEN t.intercom_id IS NOT NULL
               -- A participant is on the ticket when its contact is.
               WHEN l.ledger_type = 'participant' THEN l.intercom_id IS NOT NULL
                    AND list_contains(t.contacts, split_part(l.ledger_key, ':', 2))
               ELSE p.part_id IS NOT NULL END AS arrived
    FROM lines l
    JOIN tickets t ON t.target = l.target AND t.ticket_id = l.ticket_id
    LEFT JOIN parts p ON p.target = l.target AND p.ticket_id = l.ticket_id AND p.part_id = l.intercom_id
    LEFT JOIN outbox_contacts c ON c.external_id = t.contacts[1]
),
line_rows AS (
    SELECT target, ticket_id, line, part_type,
           CASE WHEN ledger_type IS NULL THEN intercom_kind
                WHEN arrived THEN intercom_kind ELSE 'missing' END AS readback_kind,
           CASE WHEN ledger_type = 'participant' THEN intercom_author ELSE author END AS readback_author,
           CASE WHEN ledger_type = 'participant' THEN intercom_at ELSE held_at END AS readback_at,
           CASE WHEN ledger_type = 'participant' THEN intercom_html
                WHEN ledger_type = 'ticket' THEN '<div class="text">' || html_escape(coalesce(body, '')) || '</div>'
                ELSE body END AS readback_html,
           files AS readback_files,
           list_filter([
               CASE WHEN ledger_type IS NOT NULL AND NOT arrived THEN 'not in Intercom: the load sent it, the read-back does not hold it' END,
               CASE WHEN arrived AND ledger_type NOT IN ('participant') AND held_at IS DISTINCT FROM intercom_at
                    THEN 'Intercom holds another time: ' || coalesce(strftime(held_at, '%Y-%m-%d %H:%M:%S'), 'none') END,
               CASE WHEN arrived AND ledger_type NOT IN ('participant', 'ticket')
                         AND visible_text(body) <> visible_text(intercom_html)
                    THEN 'Intercom shows other text than was sent' END,
               CASE WHEN arrived AND ledger_type NOT IN ('participant', 'ticket')
                         AND list_sort(list_transform(files, lambda f: f.name))
                             <> list_sort(list_transform(intercom_files, lambda f: f.name))
                    THEN 'Intercom holds other files: '
                         || coalesce(nullif(array_to_string(list_transform(files, lambda f: f.name), ', '), ''), 'none') END
           ], lambda d: d IS NOT NULL) AS readback_differences
    FROM found
),

-- Parts no line sent: Intercom's own (state changes, assignments), or added by someone else.
claimed AS (
    SELECT target, ticket_id, intercom_id FROM lines WHERE intercom_id IS NOT NULL
),
foreign_rows AS (
    SELECT p.target, p.ticket_id,
           (SELECT coalesce(max(line), 0) FROM review_thread r WHERE r.ticket_id = p.ticket_id) + p.position + 1 AS line,
           p.part_type,
           'intercom_' || p.part_type AS readback_kind, p.author AS readback_author, p.held_at AS readback_at,
           coalesce(p.body, '<p><em>' || replace(p.part_type, '_', ' ') || '</em></p>') AS readback_html,
           p.files AS readback_files,
           CASE WHEN p.part_type IN ('comment', 'note', 'open')
                THEN ['in Intercom, not sent by ostmig'] ELSE []::VARCHAR[] END AS readback_differences
    FROM parts p
    WHERE NOT EXISTS (SELECT 1 FROM claimed c WHERE c.target = p.target AND c.ticket_id = p.ticket_id
                                                AND c.intercom_id = p.part_id)
),

all_rows AS (
    SELECT * FROM line_rows
    UNION ALL
    SELECT * FROM foreign_rows
),

final AS (
    SELECT r.*, t.read_at
    FROM all_rows r
    JOIN tickets t ON t.target = r.target AND t.ticket_id = r.ticket_id
)

SELECT * FROM final;
