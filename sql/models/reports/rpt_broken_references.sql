-- reports.rpt_broken_references: every reference in osTicket to a row that does not exist.
-- Grain: one row per source row and column whose id points nowhere.
-- Why: years-old help desks lose rows (deleted agents, organizations, statuses, a half-finished
-- cleanup); each such reference is handled, never a failed run, and listed here with what
-- became of it so the customer can check.
CREATE OR REPLACE TABLE reports.rpt_broken_references AS
WITH
raw_ticket AS NOT MATERIALIZED (SELECT * FROM staging.base_ticket),
raw_user AS NOT MATERIALIZED (SELECT * FROM staging.base_user),
raw_ticket_status AS (SELECT * FROM staging.base_ticket_status),
raw_department AS (SELECT * FROM staging.base_department),
raw_help_topic AS (SELECT * FROM staging.base_help_topic),
raw_staff AS NOT MATERIALIZED (SELECT * FROM staging.base_staff),
raw_organization AS (SELECT * FROM staging.base_organization),
raw_thread_entry AS NOT MATERIALIZED (SELECT * FROM staging.base_thread_entry),
raw_thread AS (SELECT * FROM staging.base_thread),
raw_attachment AS (SELECT * FROM staging.base_attachment),
raw_file AS (SELECT * FROM staging.base_file),

final AS (
    SELECT 'ticket' AS object, t.ticket_id::BIGINT AS object_id, t.number AS ticket, 'user_id' AS column_name,
           t.user_id::BIGINT AS points_to, 'the requester does not exist: the ticket waits for review (reports.rpt_ticket_exclusions)' AS handled
    FROM raw_ticket t WHERE t.user_id <> 0 AND t.user_id NOT IN (SELECT id FROM raw_user)
    UNION ALL
    SELECT 'ticket', t.ticket_id, t.number, 'status_id', t.status_id,
           'no such status: the state follows the closed date (' || CASE WHEN t.closed IS NULL THEN 'in_progress' ELSE 'resolved' END || ')'
    FROM raw_ticket t WHERE t.status_id NOT IN (SELECT id FROM raw_ticket_status)
    UNION ALL
    SELECT 'ticket', t.ticket_id, t.number, 'dept_id', t.dept_id, 'no such department: the ticket is in no team inbox'
    FROM raw_ticket t WHERE t.dept_id <> 0 AND t.dept_id NOT IN (SELECT id FROM raw_department)
    UNION ALL
    SELECT 'ticket', t.ticket_id, t.number, 'topic_id', t.topic_id, 'no such help topic: the ticket gets no topic tag'
    FROM raw_ticket t WHERE t.topic_id <> 0 AND t.topic_id NOT IN (SELECT topic_id FROM raw_help_topic)
    UNION ALL
    SELECT 'ticket', t.ticket_id, t.number, 'staff_id', t.staff_id, 'no such agent: the ticket is not assigned to an admin'
    FROM raw_ticket t WHERE t.staff_id <> 0 AND t.staff_id NOT IN (SELECT staff_id FROM raw_staff)
    UNION ALL
    SELECT 'user', u.id, NULL, 'org_id', u.org_id, 'no such organization: the contact is linked by e-mail domain, if one matches'
    FROM raw_user u WHERE u.org_id <> 0 AND u.org_id NOT IN (SELECT id FROM raw_organization)
    UNION ALL
    SELECT 'thread entry', e.id, NULL, 'staff_id', e.staff_id, 'no such agent: posted as a note by the fallback admin, naming the poster'
    FROM raw_thread_entry e WHERE e.staff_id <> 0 AND e.staff_id NOT IN (SELECT staff_id FROM raw_staff)
    UNION ALL
    SELECT 'thread entry', e.id, NULL, 'thread_id', e.thread_id, 'no such thread: in the review queue (orphan_entry)'
    FROM raw_thread_entry e WHERE e.thread_id NOT IN (SELECT id FROM raw_thread)
    UNION ALL
    SELECT 'attachment', a.id, NULL, 'file_id', a.file_id, 'no such file: in the review queue (missing_file)'
    FROM raw_attachment a WHERE a.file_id NOT IN (SELECT id FROM raw_file)
    ORDER BY object, column_name, object_id
)

SELECT * FROM final;
