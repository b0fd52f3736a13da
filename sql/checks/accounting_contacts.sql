-- check: every osTicket user is a contact in the outbox or excluded with a reason
-- severity: error
-- Why: nothing may be lost silently; a failing row is a user the load would drop.
SELECT u.id AS user_id, u.name
FROM raw.user u
WHERE u.id NOT IN (SELECT user_id FROM outbox.outbox_contacts)
  AND u.id NOT IN (SELECT user_id FROM reports.rpt_contact_exclusions WHERE outcome = 'excluded');
