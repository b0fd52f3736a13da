-- intermediate.int_tickets: each osTicket ticket with everything its Intercom ticket needs, or
-- the reason it is not created.
-- Grain: one row per staging.stg_tickets row.
-- Why: the rules in one place, readable by analysts. The state comes from the status's `state`
-- (int_ticket_states), [statuses.map] overriding it by status name; an open ticket an agent
-- answered waits on the customer. The assignee is the agent's Intercom admin, the team the
-- osTicket team's Intercom team when it has one (int_osticket_teams), else the department's
-- team inbox. The first visible entry becomes the description. Deleted tickets
-- and merged children (their entries now belong to the parent) are not created; a ticket whose
-- requester cannot be a contact needs a person.
CREATE OR REPLACE TABLE intermediate.int_tickets AS
WITH
stage_parts AS (SELECT * FROM stage.parts),
stg_tickets AS NOT MATERIALIZED (SELECT * FROM staging.stg_tickets),
stg_users AS (SELECT * FROM staging.stg_users),
int_contacts AS (SELECT * FROM intermediate.int_contacts),
int_agent_admins AS (SELECT * FROM intermediate.int_agent_admins),
int_team_inboxes AS (SELECT * FROM intermediate.int_team_inboxes),
int_osticket_teams AS (SELECT * FROM intermediate.int_osticket_teams),
int_ticket_states AS (SELECT * FROM intermediate.int_ticket_states),
config_status_map AS (SELECT * FROM config.status_map),
stg_help_topics AS (SELECT * FROM staging.stg_help_topics),

first_part AS (
    SELECT ticket_id, arg_min(entry_id, seq) AS entry_id FROM stage_parts GROUP BY ticket_id
),

parent AS (
    SELECT ticket_id, number FROM stg_tickets
),

final AS (
    SELECT t.ticket_id, t.number, t.status, t.state,
           coalesce(nullif(t.subject, ''), 'osTicket #' || t.number) AS title,
           c.external_id AS contact_external_id,
           t.user_id,
           'osticket-org-' || c.org_id AS company_id,
           a.admin_id AS assignee_admin_id,
           t.staff_id,
           coalesce(ot.team_id, ti.team_id) AS team_id,
           t.team_id AS osticket_team_id,
           CASE WHEN ot.team_id IS NOT NULL THEN 'osTicket team ' || ot.name
                WHEN ti.team_id IS NOT NULL THEN 'department ' || ti.department END AS team_from,
           t.dept_id,
           coalesce(sm.category,
                    CASE WHEN st.intercom_category = 'in_progress' AND t.answered THEN 'waiting_on_customer'
                         ELSE st.intercom_category END,
                    -- A status id osTicket no longer has: closed or not, as its dates say.
                    CASE WHEN t.state IS NULL THEN CASE WHEN t.closed IS NULL THEN 'in_progress' ELSE 'resolved' END END
           ) AS state_category,
           ht.tag,
           fp.entry_id AS description_entry_id,
           CASE
               WHEN t.state = 'deleted' THEN 'excluded'
               WHEN t.merged_child THEN 'merged'
               WHEN c.external_id IS NULL THEN 'review'
               ELSE 'migrate'
           END AS outcome,
           CASE
               WHEN t.state = 'deleted' THEN 'status "' || t.status || '" is deleted in osTicket'
               WHEN t.merged_child THEN 'merged into osTicket #' || p.number || ': its entries are parts of that ticket'
               WHEN t.user_id IS NULL THEN 'no requester in osTicket: set ticket.user_id or create the ticket by hand'
               WHEN t.user_id NOT IN (SELECT user_id FROM stg_users)
                   THEN 'requester user ' || t.user_id || ' does not exist in osTicket (a dangling user_id): set the ticket''s user in osTicket to its real requester and snapshot again'
               WHEN c.external_id IS NULL THEN 'requester user ' || t.user_id || ' is not a contact (see reports.rpt_contact_exclusions): give them an e-mail address'
           END AS reason
    FROM stg_tickets t
    LEFT JOIN int_contacts c ON c.user_id = t.user_id
    LEFT JOIN int_agent_admins a ON a.staff_id = t.staff_id
    LEFT JOIN int_team_inboxes ti ON ti.dept_id = t.dept_id
    LEFT JOIN int_osticket_teams ot ON ot.osticket_team_id = t.team_id
    LEFT JOIN int_ticket_states st ON st.status_id = t.status_id
    LEFT JOIN config_status_map sm ON lower(sm.status) = lower(t.status)
    LEFT JOIN stg_help_topics ht ON ht.topic_id = t.topic_id
    LEFT JOIN first_part fp ON fp.ticket_id = t.ticket_id
    LEFT JOIN parent p ON p.ticket_id = t.parent_ticket_id
)

SELECT * FROM final;
