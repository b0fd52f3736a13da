-- outbox.outbox_task_notes: the thread of each task, as admin notes on its back-office ticket
-- (POST /tickets/{id}/reply).
-- Grain: one row per stage.task_parts row of a task in outbox_tasks.
-- Why: Intercom refuses user replies on back-office tickets and admin comments on non-shared
-- ones (spec; Intercom-OpenAPI PR #671), and a task's thread is internal in osTicket anyway:
-- every entry is a note, backdated, by the agent's admin. What no agent of the workspace wrote
-- (a system entry, a user's message, an agent osTicket no longer has) is a note by the fallback
-- admin naming its author. A title other than the task's is the first line, as on tickets. The
-- files of task entries are not carried (reports.rpt_task_exclusions counts them per task).
CREATE OR REPLACE TABLE outbox.outbox_task_notes AS
WITH
outbox_tasks AS (SELECT * FROM outbox.outbox_tasks),
int_tasks AS (SELECT * FROM intermediate.int_tasks),
stage_task_parts AS (SELECT * FROM stage.task_parts),
int_agent_admins AS (SELECT * FROM intermediate.int_agent_admins),
int_fallback_admin AS (SELECT * FROM intermediate.int_fallback_admin),

notes AS (
    SELECT o.task_key, p.task_id, p.entry_id, p.seq, p.created_at, p.poster,
           a.admin_id AS author_admin_id, f.admin_id AS fallback_admin_id,
           coalesce(a.admin_id, f.admin_id) AS admin_id,
           concat(
               CASE WHEN a.admin_id IS NULL
                    THEN '<p><em>' || CASE p.kind WHEN 'message' THEN 'Message' WHEN 'response' THEN 'Reply' ELSE 'Entry' END
                         || ' from ' || html_escape(coalesce(nullif(trim(p.poster), ''), 'an unknown sender')) || '</em></p>' END,
               CASE WHEN nullif(trim(p.title), '') IS NOT NULL AND trim(p.title) <> t.title
                    THEN '<p><b>' || html_escape(trim(p.title)) || '</b></p>' END,
               CASE WHEN trim(p.body_text) = '' AND p.body_html NOT LIKE '%<img%'
                    THEN '<p>(no text in osTicket)</p>' ELSE p.body_html END
           ) AS body
    FROM stage_task_parts p
    JOIN outbox_tasks o ON o.task_id = p.task_id
    JOIN int_tasks t ON t.task_id = p.task_id
    LEFT JOIN int_agent_admins a ON a.staff_id = p.staff_id
    CROSS JOIN int_fallback_admin f
),

payloads AS (
    SELECT task_key, task_id, entry_id, seq, created_at, admin_id,
           json_object('message_type', 'note', 'type', 'admin', 'admin_id', admin_id, 'body', body,
                       'created_at', epoch(created_at)::BIGINT, 'skip_notifications', true) AS payload
    FROM notes
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
