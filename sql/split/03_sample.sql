-- stage.split_sample: the tickets an analyst and the customer read to sign off the split.
-- Grain: one row per part of each sampled ticket, source body beside the result.
-- Why stratified: a random sample of a helpdesk is mostly short HTML threads; the sign-off must
-- also see old and new threads, text bodies, merges, attachments and notes. $1 = sample size.
-- Picks round-robin across strata (age quartile × format × merged × attachments × notes),
-- deterministic by ticket id hash.
INSERT INTO stage.split_sample
WITH per_ticket AS (
    SELECT p.ticket_id,
           min(p.created_at) AS first_at,
           CASE WHEN bool_and(p.source_format = 'html') THEN 'html'
                WHEN bool_and(p.source_format = 'text') THEN 'text' ELSE 'mixed' END AS fmt,
           bool_or(p.origin_ticket_id <> p.ticket_id) AS merged,
           bool_or(a.entry_id IS NOT NULL) AS files,
           bool_or(p.internal) AS notes
    FROM stage.parts p
    LEFT JOIN (SELECT DISTINCT entry_id FROM stage.part_attachment) a ON a.entry_id = p.entry_id
    GROUP BY p.ticket_id
),
strata AS (
    SELECT ticket_id,
           concat_ws('/', 'age' || ntile(4) OVER (ORDER BY first_at, ticket_id), fmt,
                     CASE WHEN merged THEN 'merged' ELSE 'single' END,
                     CASE WHEN files THEN 'files' ELSE 'no-files' END,
                     CASE WHEN notes THEN 'notes' ELSE 'no-notes' END) AS stratum
    FROM per_ticket
),
ranked AS (
    SELECT ticket_id, stratum,
           row_number() OVER (PARTITION BY stratum ORDER BY hash(ticket_id), ticket_id) AS turn
    FROM strata
),
picked AS (
    SELECT ticket_id, stratum FROM ranked
    ORDER BY turn, hash(stratum), stratum
    LIMIT $1
)
SELECT p.ticket_id, k.stratum, p.seq, p.entry_id, p.kind, p.poster, p.created_at, p.source_format,
       e.body, p.body_html, p.body_text, p.quoted_html, p.problems
FROM picked k
JOIN stage.parts p ON p.ticket_id = k.ticket_id
JOIN raw.thread_entry e ON e.id = p.entry_id
ORDER BY p.ticket_id, p.seq;
