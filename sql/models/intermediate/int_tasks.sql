-- intermediate.int_tasks: each osTicket task, and the back-office ticket it becomes or why not.
-- Grain: one row per staging.stg_tasks row.
-- Why: Intercom has no tasks; a back-office ticket linked to the customer ticket
-- (conversation_to_link_id: "customer tickets | non-shared back-office ticket") is the place
-- agents look for internal work on a ticket. It needs a contact (the customer ticket's
-- requester) and that ticket in Intercom, so a task on no ticket, or on a ticket that is not
-- migrated, is listed instead (reports.rpt_task_exclusions). A task on a merged child goes to
-- the ticket the child was merged into, where the child's entries are.
CREATE OR REPLACE TABLE intermediate.int_tasks AS
WITH
stg_tasks AS (SELECT * FROM staging.stg_tasks),
stg_tickets AS (SELECT * FROM staging.stg_tickets),
int_tickets AS (SELECT * FROM intermediate.int_tickets),
int_agent_admins AS (SELECT * FROM intermediate.int_agent_admins),
int_osticket_teams AS (SELECT * FROM intermediate.int_osticket_teams),
int_team_inboxes AS (SELECT * FROM intermediate.int_team_inboxes),
stg_staff AS (SELECT * FROM staging.stg_staff),

-- The ticket a task belongs to now: a merged child's parent.
placed AS (
    SELECT t.*, CASE WHEN k.merged_child THEN k.parent_ticket_id ELSE t.ticket_id END AS owner_ticket_id
    FROM stg_tasks t
    LEFT JOIN stg_tickets k ON k.ticket_id = t.ticket_id
),

final AS (
    SELECT p.task_id, p.number, p.title, p.open, p.due_at, p.closed, p.created, p.entries,
           p.ticket_id, p.owner_ticket_id, i.number AS ticket_number, i.contact_external_id,
           p.staff_id, s.name AS assignee, a.admin_id AS assignee_admin_id,
           coalesce(ot.team_id, ti.team_id) AS team_id,
           CASE WHEN p.open THEN 'submitted' ELSE 'resolved' END AS state_category,
           CASE WHEN p.ticket_id IS NULL THEN 'excluded'
                WHEN i.outcome = 'migrate' THEN 'migrate'
                ELSE 'excluded' END AS outcome,
           CASE WHEN p.ticket_id IS NULL
                    THEN 'on no ticket: a back-office ticket needs a customer ticket to link to and its contact; recreate it in Intercom if the work is still to do'
                WHEN i.ticket_id IS NULL
                    THEN 'its ticket (id ' || p.ticket_id || ') does not exist in osTicket'
                WHEN i.outcome <> 'migrate'
                    THEN 'its ticket osTicket #' || i.number || ' is not migrated (' || coalesce(i.reason, i.outcome) || ')'
           END AS reason
    FROM placed p
    LEFT JOIN int_tickets i ON i.ticket_id = p.owner_ticket_id
    LEFT JOIN int_agent_admins a ON a.staff_id = p.staff_id
    LEFT JOIN stg_staff s ON s.staff_id = p.staff_id
    LEFT JOIN int_osticket_teams ot ON ot.osticket_team_id = p.team_id
    LEFT JOIN int_team_inboxes ti ON ti.dept_id = p.dept_id
    ORDER BY p.task_id
)

SELECT * FROM final;
