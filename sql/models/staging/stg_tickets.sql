-- staging.stg_tickets: osTicket tickets with subject, priority, status state and merge role.
-- Grain: one row per raw.ticket row.
-- Why: the subject and priority are answers on the ticket form (form_entry_values is the source
-- of truth; ticket__cdata is only a cache). A merged child's thread is re-typed 'C' and its
-- entries move to the parent, so the child itself is not a ticket to create; a linked child
-- (ticket.flags 0x8) keeps its own thread and is migrated as a ticket of its own.
CREATE OR REPLACE TABLE staging.stg_tickets AS
WITH
raw_form_entry AS (SELECT * FROM raw.form_entry),
raw_form AS (SELECT * FROM raw.form),
raw_form_field AS (SELECT * FROM raw.form_field),
raw_form_entry_values AS (SELECT * FROM raw.form_entry_values),
raw_thread AS (SELECT * FROM raw.thread),
raw_ticket AS (SELECT * FROM raw.ticket),
raw_ticket_status AS (SELECT * FROM raw.ticket_status),
raw_ticket_priority AS (SELECT * FROM raw.ticket_priority),

answers AS (
    SELECT fe.object_id::BIGINT AS ticket_id, ff.name,
           max(nullif(trim(v.value), '')) AS value, max(v.value_id)::BIGINT AS value_id
    FROM raw_form_entry fe
    JOIN raw_form f ON f.id = fe.form_id AND f.type = 'T'
    JOIN raw_form_field ff ON ff.form_id = f.id AND ff.name IN ('subject', 'priority')
    JOIN raw_form_entry_values v ON v.entry_id = fe.id AND v.field_id = ff.id
    WHERE fe.object_type = 'T'
    GROUP BY ALL
),

merged AS (
    SELECT object_id::BIGINT AS ticket_id, id::BIGINT AS thread_id
    FROM raw_thread WHERE object_type = 'C'
),

final AS (
    SELECT t.ticket_id::BIGINT AS ticket_id,
           t.number,
           nullif(t.user_id, 0)::BIGINT AS user_id,
           t.status_id::BIGINT AS status_id,
           s.name AS status,
           s.state,
           nullif(t.dept_id, 0)::BIGINT AS dept_id,
           nullif(t.staff_id, 0)::BIGINT AS staff_id,
           nullif(t.team_id, 0)::BIGINT AS team_id,
           nullif(t.sla_id, 0)::BIGINT AS sla_id,
           nullif(t.topic_id, 0)::BIGINT AS topic_id,
           t.source,
           t.isoverdue <> 0 AS overdue,
           t.isanswered <> 0 AS answered,
           subj.value AS subject,
           coalesce(pr.priority, lower(prio.value)) AS priority,
           coalesce(pr.priority_desc, prio.value) AS priority_label,
           nullif(t.ticket_pid, 0)::BIGINT AS parent_ticket_id,
           m.ticket_id IS NOT NULL AS merged_child,
           t.flags & 8 <> 0 AS linked_child,
           t.created,
           t.closed,
           coalesce(t.duedate, t.est_duedate) AS due_at,
           t.lastupdate
    FROM raw_ticket t
    LEFT JOIN raw_ticket_status s ON s.id = t.status_id
    LEFT JOIN answers subj ON subj.ticket_id = t.ticket_id AND subj.name = 'subject'
    LEFT JOIN answers prio ON prio.ticket_id = t.ticket_id AND prio.name = 'priority'
    LEFT JOIN raw_ticket_priority pr ON pr.priority_id = prio.value_id
    LEFT JOIN merged m ON m.ticket_id = t.ticket_id
)

SELECT * FROM final;
