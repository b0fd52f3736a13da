-- reports.rpt_collaborator_exclusions: the collaborators (CCs) who are not on their Intercom
-- ticket, and why.
-- Grain: one row per intermediate.int_collaborators row with a reason.
-- Why: every record either arrives or is listed: the "Collaborators" sheet of the
-- reconciliation, with the ticket (or thread) they were on.
CREATE OR REPLACE TABLE reports.rpt_collaborator_exclusions AS
WITH
int_collaborators AS (SELECT * FROM intermediate.int_collaborators),

final AS (
    SELECT collaborator_id, coalesce(number, 'thread ' || thread_id) AS ticket, user_id, name, email, reason
    FROM int_collaborators
    WHERE reason IS NOT NULL
    ORDER BY collaborator_id
)

SELECT * FROM final;
