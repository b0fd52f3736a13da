-- check: tickets that cannot be created until a person decides (no requester who can be a contact)
-- severity: error
-- Why: Intercom tickets need exactly one contact; reports.rpt_ticket_exclusions says what to do.
SELECT ticket_id, number, reason
FROM reports.rpt_ticket_exclusions
WHERE outcome = 'review';
