-- reports.rpt_task_exclusions: osTicket's tasks, each listed with what becomes of it.
-- Grain: one row per staging.stg_tasks row.
-- Why: every record either arrives or is listed. A task becomes a back-office ticket linked to
-- its ticket, its thread the notes on it (intermediate.int_tasks); a task that cannot (no
-- ticket, or a ticket that is not migrated) is listed with the reason, for the customer to
-- recreate what is still open. The files of task entries are not carried: counted per task.
CREATE OR REPLACE TABLE reports.rpt_task_exclusions AS
WITH
int_tasks AS (SELECT * FROM intermediate.int_tasks),
stg_tasks AS (SELECT * FROM staging.stg_tasks),
stage_task_parts AS (SELECT * FROM stage.task_parts),
raw_attachment AS (SELECT * FROM staging.base_attachment),

files AS (
    SELECT p.task_id, count(*) AS files
    FROM raw_attachment a
    JOIN stage_task_parts p ON p.entry_id = a.object_id
    WHERE a.type = 'H'
    GROUP BY p.task_id
),

final AS (
    SELECT t.task_id, t.number, t.ticket_number, t.title,
           CASE WHEN t.open THEN 'open' ELSE 'closed' END AS state,
           t.assignee, t.due_at, t.closed, t.entries,
           coalesce(f.files, 0) AS files_not_carried,
           CASE WHEN t.outcome = 'migrate' THEN 'back-office ticket linked to #' || t.ticket_number
                ELSE 'not migrated' END AS outcome,
           CASE WHEN t.outcome = 'migrate'
                THEN CASE WHEN coalesce(f.files, 0) > 0
                          THEN 'its thread''s files stay in osTicket (counted here): this version posts a task''s notes without their files'
                     END
                ELSE t.reason || CASE WHEN t.open THEN '' ELSE ' (closed in osTicket, kept here as the record)' END
           END AS reason
    FROM int_tasks t
    LEFT JOIN files f ON f.task_id = t.task_id
    ORDER BY t.outcome = 'migrate', t.task_id
)

SELECT * FROM final;
