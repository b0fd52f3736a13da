-- check: orphan users whose company the customer must decide (ambiguous domain)
-- severity: warn
-- Why: a domain claimed by two organizations is never guessed; these contacts load without a company.
SELECT user_id, email, candidates
FROM reports.rpt_orphan_users
WHERE match_rule = 'ambiguous';
