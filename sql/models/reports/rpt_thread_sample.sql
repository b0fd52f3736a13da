-- reports.rpt_thread_sample: the thread-splitting sample the customer signs off, entry by entry.
-- Grain: one row per visible entry of each sampled ticket (stage.split_sample, `split --sample`).
-- Why: splitting osTicket's entries into Intercom parts (quote removal, HTML cleaning, offloaded
-- bodies) is where a migration can silently damage history; the customer reads the source text
-- beside the part it became, the body as it will be sent and which files ride on it, and
-- initials each line. A decision taken in `ostmig review` (reports.rpt_review_tickets) fills
-- the sign-off and comment of its ticket's lines. Text is cut at 32,000
-- characters (a spreadsheet cell holds 32,767).
CREATE OR REPLACE VIEW reports.rpt_thread_sample AS
WITH
stage_split_sample AS (SELECT * FROM stage.split_sample),
raw_ticket AS (SELECT * FROM staging.base_ticket),
int_tickets AS (SELECT * FROM intermediate.int_tickets),
outbox_ticket_parts AS (SELECT * FROM outbox.outbox_ticket_parts),
outbox_tickets AS (SELECT * FROM outbox.outbox_tickets),
outbox_attachments AS (SELECT * FROM outbox.outbox_attachments),
rpt_part_exclusions AS (SELECT * FROM reports.rpt_part_exclusions),
rpt_review_tickets AS (SELECT * FROM reports.rpt_review_tickets),

final AS (
    SELECT k.number AS ticket,
           s.stratum,
           s.seq,
           s.entry_id,
           s.kind,
           s.poster,
           s.created_at,
           s.source_format,
           left(s.source_body, 32000) AS source_body,
           left(s.body_text, 32000) AS part_text,
           -- What Intercom will hold: the reply's body as sent (markers, title, edit mark), or the
           -- description's text.
           left(CASE WHEN s.entry_id = t.description_entry_id THEN o.payload->>'$.ticket_attributes._default_description_'
                     ELSE p.payload->>'body' END, 32000) AS sent_body,
           f.files,
           CASE WHEN s.entry_id = t.description_entry_id THEN 'ticket description'
                WHEN p.route IS NOT NULL THEN replace(p.route, '_', ' ')
                WHEN x.reason IS NOT NULL THEN 'not sent: ' || x.reason
                ELSE 'not sent (ticket ' || coalesce(t.outcome, 'not staged') || ')' END AS becomes,
           CASE WHEN s.quoted_html IS NOT NULL THEN 'quoted earlier mail collapsed' END AS quoted_text,
           nullif(array_to_string(s.problems, ', '), '') AS problems,
           CASE WHEN r.verdict IS NOT NULL
                THEN r.reviewer || ': ' || r.status || ' on ' || strftime(r.decided_at, '%Y-%m-%d %H:%M') || ' UTC' END AS signed_off_by,
           nullif(r.comment, '') AS comment
    FROM stage_split_sample s
    LEFT JOIN raw_ticket k ON k.ticket_id = s.ticket_id
    LEFT JOIN int_tickets t ON t.ticket_id = s.ticket_id
    LEFT JOIN outbox_ticket_parts p ON p.entry_id = s.entry_id
    LEFT JOIN outbox_tickets o ON o.ticket_id = s.ticket_id
    LEFT JOIN (
        SELECT entry_id,
               string_agg(name || CASE carrier WHEN 'part' THEN ' (on this part)' ELSE ' (in the note after it)' END, ', ' ORDER BY n) AS files
        FROM outbox_attachments GROUP BY entry_id
    ) f ON f.entry_id = s.entry_id
    LEFT JOIN rpt_part_exclusions x ON x.entry_id = s.entry_id
    LEFT JOIN rpt_review_tickets r ON r.ticket_id = s.ticket_id
    ORDER BY s.stratum, k.number, s.seq
)

SELECT * FROM final;
