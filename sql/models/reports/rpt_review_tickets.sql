-- reports.rpt_review_tickets: the tickets under review in `ostmig review`, with the latest
-- decision on each and whether what it approved is still what the load would send.
-- Grain: one row per osTicket ticket; `why` says why it is under review: in the split sample
-- (`split --sample`), the rehearsal sample (`load --sample`), or a reviewer opened it by
-- number and decided (NULL: not under review, though any ticket can be opened).
-- Why: the reviewer signs off what they saw; `payload_sha256` is a digest of everything the load
-- sends for the ticket (the ticket, its parts, file notes, activity notes, participants and
-- state), so a decision taken on another digest is of a payload that has changed since. `load
-- --apply` refuses while an approval is `changed_since`, and warns while a ticket is flagged.
-- A view: decisions land while the reviewer works, and the list reads them at once.
CREATE OR REPLACE VIEW reports.rpt_review_tickets AS
WITH
split_sample AS (SELECT * FROM stage.split_sample),
load_sample AS (SELECT * FROM load.sample),
decision AS (SELECT * FROM review.decision),
stg_tickets AS (SELECT * FROM staging.stg_tickets),
int_tickets AS (SELECT * FROM intermediate.int_tickets),
review_thread AS (SELECT * FROM reports.rpt_review_thread),
outbox_tickets AS (SELECT * FROM outbox.outbox_tickets),
outbox_ticket_parts AS (SELECT * FROM outbox.outbox_ticket_parts),
outbox_ticket_events AS (SELECT * FROM outbox.outbox_ticket_events),
outbox_attachments AS (SELECT * FROM outbox.outbox_attachments),
outbox_ticket_participants AS (SELECT * FROM outbox.outbox_ticket_participants),
outbox_ticket_states AS (SELECT * FROM outbox.outbox_ticket_states),

under_review AS (
    SELECT ticket_id, string_agg(why, '; ' ORDER BY why) AS why
    FROM (
        SELECT DISTINCT ticket_id, 'split sample (' || stratum || ')' AS why FROM split_sample
        UNION
        SELECT ticket_id, 'rehearsal sample (' || stratum || ')' FROM load_sample
        UNION
        SELECT DISTINCT ticket_id, 'opened by a reviewer' FROM decision
    )
    GROUP BY ticket_id
),

-- Every request body the load makes for a ticket, by its digest; a file by the bytes it names.
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

latest AS (
    SELECT ticket_id,
           arg_max(verdict, decision_id) AS verdict,
           arg_max(comment, decision_id) AS comment,
           arg_max(reviewer, decision_id) AS reviewer,
           arg_max(decided_at, decision_id) AS decided_at,
           arg_max(payload_sha256, decision_id) AS reviewed_sha256,
           count(*) AS decisions
    FROM decision GROUP BY ticket_id
),

lines AS (
    SELECT ticket_id, count(*) FILTER (WHERE source_kind IS NOT NULL AND source_kind <> 'event') AS entries,
           count(*) FILTER (WHERE len(differences) > 0) AS lines_differing
    FROM review_thread GROUP BY ticket_id
),

-- A ticket the load does not send is signed off as that: "not sent", and why.
current AS (
    SELECT s.ticket_id, u.why, t.outcome,
           coalesce(p.payload_sha256, sha256('not sent: ' || coalesce(t.reason, t.outcome, 'not staged'))) AS payload_sha256
    FROM stg_tickets s
    LEFT JOIN under_review u ON u.ticket_id = s.ticket_id
    LEFT JOIN int_tickets t ON t.ticket_id = s.ticket_id
    LEFT JOIN payloads p ON p.ticket_id = s.ticket_id
),

final AS (
    SELECT c.ticket_id, s.number, s.subject, c.why,
           coalesce(c.outcome, 'not staged') AS outcome,
           coalesce(l.entries, 0) AS entries,
           coalesce(l.lines_differing, 0) AS lines_differing,
           c.payload_sha256,
           d.verdict, d.comment, d.reviewer, d.decided_at, d.reviewed_sha256,
           coalesce(d.decisions, 0) AS decisions,
           coalesce(d.reviewed_sha256 <> c.payload_sha256, false) AS changed_since,
           CASE WHEN d.verdict IS NULL THEN 'not reviewed'
                WHEN d.reviewed_sha256 <> c.payload_sha256 THEN d.verdict || ', changed since'
                ELSE d.verdict END AS status
    FROM current c
    LEFT JOIN stg_tickets s ON s.ticket_id = c.ticket_id
    LEFT JOIN latest d ON d.ticket_id = c.ticket_id
    LEFT JOIN lines l ON l.ticket_id = c.ticket_id
)

SELECT * FROM final ORDER BY try_cast(number AS BIGINT) NULLS LAST, number;
