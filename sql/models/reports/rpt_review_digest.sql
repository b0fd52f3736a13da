-- reports.rpt_review_digest: per ticket, a digest of everything the load sends for it, and how
-- its review thread reads (entries, lines that differ).
-- Grain: one row per osTicket ticket.
-- Why: a reviewer's decision records the digest of what they saw (review.decision), and
-- reports.rpt_review_tickets compares it with this one: a decision taken on another digest is
-- of a payload that has changed since. The digest covers every request body the load makes for
-- the ticket (the ticket, its parts, file notes, activity notes, participants and state) and
-- each file by the bytes it names; a ticket the load does not send has the digest of "not
-- sent" and why. A table: the outbox only changes when `ostmig transform` runs, and the review
-- reads it on every page, where a digest of every ticket computed again would cost seconds on
-- a large help desk.
CREATE OR REPLACE TABLE reports.rpt_review_digest AS
WITH
stg_tickets AS NOT MATERIALIZED (SELECT * FROM staging.stg_tickets),
int_tickets AS NOT MATERIALIZED (SELECT * FROM intermediate.int_tickets),
review_thread AS NOT MATERIALIZED (SELECT * FROM reports.rpt_review_thread),
outbox_tickets AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_tickets),
outbox_ticket_parts AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_ticket_parts),
outbox_ticket_events AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_ticket_events),
outbox_attachments AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_attachments),
outbox_ticket_participants AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_ticket_participants),
outbox_ticket_states AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_ticket_states),

sent AS (
    SELECT ticket_id, payload_sha256 AS sha FROM outbox_tickets
    UNION ALL SELECT ticket_id, payload_sha256 FROM outbox_ticket_parts
    UNION ALL SELECT ticket_id, payload_sha256 FROM outbox_ticket_events
    UNION ALL SELECT ticket_id, coalesce(note_payload_sha256, '') || ':' || coalesce(data_ref, '') || ':' || name FROM outbox_attachments
    UNION ALL SELECT ticket_id, payload_sha256 FROM outbox_ticket_participants
    UNION ALL SELECT ticket_id, payload_sha256 FROM outbox_ticket_states
),
payloads AS (
    SELECT ticket_id, sha256(string_agg(sha, ',' ORDER BY sha)) AS payload_sha256
    FROM sent GROUP BY ticket_id
),
lines AS (
    SELECT ticket_id,
           count(*) FILTER (WHERE source_kind IS NOT NULL AND source_kind <> 'event') AS entries,
           count(*) FILTER (WHERE len(differences) > 0) AS lines_differing
    FROM review_thread GROUP BY ticket_id
),

final AS (
    SELECT s.ticket_id, s.number,
           coalesce(t.outcome, 'not staged') AS outcome,
           coalesce(p.payload_sha256, sha256('not sent: ' || coalesce(t.reason, t.outcome, 'not staged'))) AS payload_sha256,
           coalesce(l.entries, 0) AS entries,
           coalesce(l.lines_differing, 0) AS lines_differing
    FROM stg_tickets s
    LEFT JOIN int_tickets t ON t.ticket_id = s.ticket_id
    LEFT JOIN payloads p ON p.ticket_id = s.ticket_id
    LEFT JOIN lines l ON l.ticket_id = s.ticket_id
)

SELECT * FROM final;
