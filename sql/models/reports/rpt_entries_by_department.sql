-- reports.rpt_entries_by_department: tickets and thread entries per osTicket department (the
-- Intercom team inbox each becomes).
-- Grain: one row per department holding at least one ticket.
-- Why: the team inboxes that carry the most history are the ones to provision and check first;
-- the scope workbook charts it.
CREATE OR REPLACE TABLE reports.rpt_entries_by_department AS
WITH tickets AS (
    SELECT ticket_id, dept_id FROM staging.stg_tickets
),
entries AS (
    SELECT ticket_id, count(*) AS n FROM stage.parts GROUP BY 1
),
departments AS (
    SELECT dept_id, full_name FROM staging.stg_departments
),
final AS (
    SELECT coalesce(d.full_name, 'department #' || t.dept_id) AS department,
           count(*) AS tickets,
           coalesce(sum(e.n), 0)::BIGINT AS entries
    FROM tickets t
    LEFT JOIN entries e USING (ticket_id)
    LEFT JOIN departments d USING (dept_id)
    GROUP BY 1
)
SELECT * FROM final ORDER BY entries DESC, department;
