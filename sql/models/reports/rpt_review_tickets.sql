-- reports.rpt_review_tickets: the tickets of `ostmig review`, with the latest decision on each
-- and whether what it approved is still what the load would send.
-- Grain: one row per osTicket ticket; `why` says why it is under review: in the split sample
-- (`split --sample`), the rehearsal sample (`load --sample`), or a reviewer opened it by
-- number and decided (NULL: not under review, though any ticket can be opened).
-- Why: the reviewer signs off what they saw. A decision taken on another digest than the
-- ticket's now (reports.rpt_review_digest) is of a payload that has changed since: `load
-- --apply` refuses while an approval is `changed_since`, and warns while a ticket is flagged.
-- A view: decisions land while the reviewer works, and the list reads them at once.
CREATE OR REPLACE VIEW reports.rpt_review_tickets AS
WITH
split_sample AS NOT MATERIALIZED (SELECT * FROM stage.split_sample),
load_sample AS NOT MATERIALIZED (SELECT * FROM load.sample),
decision AS NOT MATERIALIZED (SELECT * FROM review.decision),
stg_tickets AS NOT MATERIALIZED (SELECT * FROM staging.stg_tickets),
review_digest AS NOT MATERIALIZED (SELECT * FROM reports.rpt_review_digest),

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

final AS (
    SELECT s.ticket_id, s.number, s.subject, u.why,
           g.outcome, g.entries, g.lines_differing, g.payload_sha256,
           d.verdict, d.comment, d.reviewer, d.decided_at, d.reviewed_sha256,
           coalesce(d.decisions, 0) AS decisions,
           coalesce(d.reviewed_sha256 <> g.payload_sha256, false) AS changed_since,
           CASE WHEN d.verdict IS NULL THEN 'not reviewed'
                WHEN d.reviewed_sha256 <> g.payload_sha256 THEN d.verdict || ', changed since'
                ELSE d.verdict END AS status
    FROM stg_tickets s
    JOIN review_digest g ON g.ticket_id = s.ticket_id
    LEFT JOIN under_review u ON u.ticket_id = s.ticket_id
    LEFT JOIN latest d ON d.ticket_id = s.ticket_id
)

SELECT * FROM final ORDER BY try_cast(number AS BIGINT) NULLS LAST, number;
