-- outbox.outbox_tasks: the back-office tickets the loader creates for osTicket's tasks
-- (POST /tickets), and what it sends each once its thread is posted (PUT /tickets/{id}).
-- Grain: one row per intermediate.int_tasks row whose outcome is 'migrate'.
-- Why: `payload` is the create request as sent, except the ids that exist only once the loader
-- has created them: `ticket_type_id` (the tasks row of outbox_ticket_type) and
-- `conversation_to_link_id` (the Intercom id of the customer ticket `ticket_number`). The
-- description says what osTicket showed beside the thread (its ticket, department, assignee,
-- due date); every thread entry is a note of its own (outbox_task_notes), so each keeps its
-- author and time. `state_payload` is the update as sent after the notes, except
-- `ticket_state_id` (the task type's state of `state_category`): the agent is assigned then,
-- and a closed task (state category resolved) is closed then, as tickets are (outbox_ticket_states).
CREATE OR REPLACE TABLE outbox.outbox_tasks AS
WITH
int_tasks AS (SELECT * FROM intermediate.int_tasks),
stg_tasks AS (SELECT * FROM staging.stg_tasks),
stg_departments AS (SELECT * FROM staging.stg_departments),

payloads AS (
    SELECT t.task_id, 'task-' || t.task_id AS task_key, t.number, t.ticket_number,
           t.state_category, t.assignee_admin_id,
           json_merge_patch('{}', json_object(
               'contacts', [json_object('external_id', t.contact_external_id)],
               'ticket_attributes', json_object(
                   '_default_title_', t.title,
                   '_default_description_', concat_ws(chr(10),
                       'osTicket task ' || coalesce(t.number, t.task_id::VARCHAR) || ' on ticket #' || t.ticket_number,
                       'Department: ' || d.full_name,
                       'Assigned to: ' || t.assignee,
                       'Due: ' || strftime(t.due_at, '%Y-%m-%d %H:%M UTC'),
                       CASE WHEN NOT t.open THEN 'Closed: ' || coalesce(strftime(t.closed, '%Y-%m-%d %H:%M UTC'), 'yes') END,
                       CASE WHEN t.entries = 0 THEN 'The task''s thread is empty in osTicket.' END),
                   'osTicket task number', coalesce(t.number, t.task_id::VARCHAR)),
               'created_at', epoch(t.created)::BIGINT,
               'assignment', CASE WHEN t.team_id IS NOT NULL THEN json_object('team_assignee_id', t.team_id) END,
               'skip_notifications', true
           )) AS payload,
           json_merge_patch('{}', json_object(
               'assignee_id', t.assignee_admin_id,
               'skip_notifications', true)) AS state_payload
    FROM int_tasks t
    JOIN stg_tasks s USING (task_id)
    LEFT JOIN stg_departments d ON d.dept_id = s.dept_id
    WHERE t.outcome = 'migrate'
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *,
           sha256(payload::VARCHAR) AS payload_sha256,
           sha256(json_object('state', state_category, 'update', state_payload)::VARCHAR) AS state_payload_sha256
    FROM payloads
)

SELECT * FROM final;
