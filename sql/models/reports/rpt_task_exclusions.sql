-- reports.rpt_task_exclusions: osTicket's tasks, each listed with what becomes of it.
-- Grain: one row per staging.stg_tasks row.
-- Why: every record either arrives or is listed. This version of ostmig creates no back-office
-- tickets, so no task is sent: each is listed with its ticket, title, assignee, due date and how
-- many entries its thread holds (those entries are excluded as task_thread in the split), for
-- the customer to recreate what is still open.
CREATE OR REPLACE TABLE reports.rpt_task_exclusions AS
WITH
stg_tasks AS (SELECT * FROM staging.stg_tasks),
stg_tickets AS (SELECT * FROM staging.stg_tickets),
stg_staff AS (SELECT * FROM staging.stg_staff),

final AS (
    SELECT t.task_id, t.number, k.number AS ticket_number, t.title,
           CASE WHEN t.open THEN 'open' ELSE 'closed' END AS state,
           s.name AS assignee, t.due_at, t.closed, t.entries,
           'not migrated: ostmig does not create back-office tickets yet; '
               || CASE WHEN t.open THEN 'recreate it in Intercom if the work is still to do'
                       ELSE 'closed in osTicket, kept here as the record' END AS reason
    FROM stg_tasks t
    LEFT JOIN stg_tickets k ON k.ticket_id = t.ticket_id
    LEFT JOIN stg_staff s ON s.staff_id = t.staff_id
    ORDER BY t.task_id
)

SELECT * FROM final;
