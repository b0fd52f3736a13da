-- check: every osTicket ticket is in the tickets outbox or in the ticket exclusions with a reason
-- severity: error
-- Why: nothing may be lost silently; a failing row is a ticket the load would drop.
SELECT t.ticket_id, t.number
FROM raw.ticket t
WHERE t.ticket_id NOT IN (SELECT ticket_id FROM outbox.outbox_tickets)
  AND t.ticket_id NOT IN (SELECT ticket_id FROM reports.rpt_ticket_exclusions);
