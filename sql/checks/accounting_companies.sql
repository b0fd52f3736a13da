-- check: every osTicket organization is a company in the outbox
-- severity: error
-- Why: contacts link to companies by company_id; a missing company breaks those links.
SELECT o.id AS org_id, o.name
FROM raw.organization o
WHERE o.id NOT IN (SELECT org_id FROM outbox.outbox_companies);
