-- reports.rpt_part_exclusions: the conversation parts that are not posted as replies or notes, and why.
-- Grain: one row per stage.parts row that is neither in outbox.outbox_ticket_parts nor a
-- migrated ticket's description.
-- Why: the accounting of thread entries; a skipped internal note (notes.policy = "skip") or a
-- part of a ticket that is not created is listed here with its author and date.
CREATE OR REPLACE TABLE reports.rpt_part_exclusions AS
WITH
stage_parts AS (SELECT * FROM stage.parts),
int_tickets AS (SELECT * FROM intermediate.int_tickets),
stg_tickets AS (SELECT * FROM staging.stg_tickets),
outbox_ticket_parts AS (SELECT * FROM outbox.outbox_ticket_parts),
outbox_tickets AS (SELECT * FROM outbox.outbox_tickets),

final AS (
    SELECT p.ticket_id, s.number, p.entry_id, p.seq, p.kind, p.poster, p.created_at,
           CASE
               WHEN t.outcome <> 'migrate' THEN 'ticket not migrated: ' || t.reason
               WHEN p.kind = 'note' THEN 'internal note skipped (notes.policy = "skip")'
               ELSE 'not routed'
           END AS reason,
           left(p.body_text, 200) AS excerpt
    FROM stage_parts p
    JOIN int_tickets t ON t.ticket_id = p.ticket_id
    JOIN stg_tickets s ON s.ticket_id = p.ticket_id
    WHERE p.entry_id NOT IN (SELECT entry_id FROM outbox_ticket_parts)
      AND p.entry_id NOT IN (SELECT description_entry_id FROM outbox_tickets WHERE description_entry_id IS NOT NULL)
    ORDER BY p.ticket_id, p.seq
)

SELECT * FROM final;
