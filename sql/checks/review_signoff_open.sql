-- check: reviewed tickets not signed off as they will be sent
-- severity: warn
-- Why: `ostmig review` records what a reviewer saw. A flagged ticket waits for someone to mend
-- it and for an approval after that; an approval of a payload that has changed since (a new
-- transform, another setting) no longer covers what the load sends: `load --apply` refuses
-- until the ticket is approved again. Open each in `ostmig review`.
SELECT number, status, reviewer, decided_at, comment
FROM reports.rpt_review_tickets
WHERE verdict = 'flagged' OR changed_since;
