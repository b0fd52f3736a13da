-- staging.stg_tasks: osTicket's tasks, typed, with their title and thread.
-- Grain: one row per raw.task row.
-- Why: a task is an agent's to-do with its own thread (thread.object_type 'A'), usually on a
-- ticket (object_type 'T'); flags 0x1 means open. Its title is the first entry's title (the
-- task form's answer in osTicket, which writes it there too).
CREATE OR REPLACE TABLE staging.stg_tasks AS
WITH
raw_task AS (SELECT * FROM raw.task),
raw_thread AS (SELECT * FROM raw.thread),
raw_thread_entry AS (SELECT * FROM raw.thread_entry),

threads AS (
    SELECT th.object_id::BIGINT AS task_id, th.id::BIGINT AS thread_id,
           count(e.id) AS entries,
           arg_min(nullif(trim(e.title), ''), e.id) AS title
    FROM raw_thread th
    LEFT JOIN raw_thread_entry e ON e.thread_id = th.id
    WHERE th.object_type = 'A'
    GROUP BY ALL
),

final AS (
    SELECT t.id::BIGINT AS task_id,
           t.number,
           CASE WHEN t.object_type = 'T' THEN nullif(t.object_id, 0)::BIGINT END AS ticket_id,
           nullif(t.dept_id, 0)::BIGINT AS dept_id,
           nullif(t.staff_id, 0)::BIGINT AS staff_id,
           nullif(t.team_id, 0)::BIGINT AS team_id,
           t.flags & 1 <> 0 AS open,
           t.duedate AS due_at,
           t.closed,
           t.created,
           th.thread_id,
           coalesce(th.entries, 0)::BIGINT AS entries,
           coalesce(th.title, 'Task ' || coalesce(t.number, t.id::VARCHAR)) AS title
    FROM raw_task t
    LEFT JOIN threads th ON th.task_id = t.id
)

SELECT * FROM final;
