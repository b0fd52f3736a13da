-- reports.rpt_ticket_exclusions: the osTicket tickets that will not become Intercom tickets, and why.
-- Grain: one row per ticket whose int_tickets.outcome is not 'migrate'.
-- Why: nothing is lost silently. Merged children are not lost either: their entries are parts of
-- the parent ticket (outcome 'merged'); 'review' rows need a person before the load.
CREATE OR REPLACE TABLE reports.rpt_ticket_exclusions AS
WITH
int_tickets AS (SELECT * FROM intermediate.int_tickets),

final AS (
    SELECT t.ticket_id, t.number, t.title AS subject, t.status, t.outcome, t.reason
    FROM int_tickets t
    WHERE t.outcome <> 'migrate'
    ORDER BY t.outcome, t.ticket_id
)

SELECT * FROM final;
