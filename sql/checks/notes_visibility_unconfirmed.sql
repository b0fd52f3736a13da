-- check: osTicket's internal notes would be posted, and nobody has recorded that this workspace hides notes from customers
-- severity: error
-- Why: the service this tool replaces warns that on Intercom's Starter/Essential plans internal
-- notes can be visible to customers, and no API call can tell the plan. Check it (Settings ›
-- Billing; the scope workbook's "Workspace behaviour" sheet says how), then record it:
-- `ostmig probe --db FILE --answer notes_hidden_from_customers=yes --by "Your Name"`. Where they
-- would be visible, set [notes] policy = "skip" in ostmig.toml (the notes are listed, not sent)
-- and run `ostmig transform`. One row per ticket whose internal notes wait for that answer.
WITH settings AS (SELECT * FROM config.settings),
probe_result AS (SELECT * FROM probe.result),
int_ticket_parts AS (SELECT * FROM intermediate.int_ticket_parts),
hidden AS (
    SELECT answer FROM probe_result WHERE question_id = 'notes_hidden_from_customers'
),
final AS (
    SELECT p.ticket_id, count(*) AS internal_notes,
           coalesce((SELECT answer FROM hidden), 'not recorded') AS notes_hidden_from_customers
    FROM int_ticket_parts p
    WHERE p.kind = 'note'
      AND (SELECT notes_policy FROM settings) = 'note'
      AND coalesce((SELECT answer FROM hidden), '') <> 'yes'
    GROUP BY p.ticket_id
)
SELECT * FROM final;
