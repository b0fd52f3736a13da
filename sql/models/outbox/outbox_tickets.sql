-- outbox.outbox_tickets: the tickets the loader creates (POST /tickets); their state, agent and
-- tag follow in outbox_ticket_states, after their history.
-- Grain: one row per ticket whose int_tickets.outcome is 'migrate'.
-- Why: `payload` is the create request as sent, except the ids that exist only once the loader
-- has created them: `ticket_type_id` (outbox_ticket_type) and `company_id` (the Intercom id of
-- the company whose company_id is in column company_id). The title is the subject, the
-- description the first visible entry (its part is not sent again as a reply); list attributes
-- carry the option label, which the loader swaps for the list item id Intercom wants.
CREATE OR REPLACE TABLE outbox.outbox_tickets AS
WITH
int_field_values AS (SELECT * FROM intermediate.int_field_values),
stage_parts AS (SELECT * FROM stage.parts),
int_tickets AS (SELECT * FROM intermediate.int_tickets),
stg_tickets AS (SELECT * FROM staging.stg_tickets),
raw_sla AS (SELECT * FROM staging.base_sla),
config_priority_map AS (SELECT * FROM config.priority_map),

custom AS (
    SELECT object_id AS ticket_id, ('{' || string_agg(to_json(attribute_name) || ':' || value_json, ',' ORDER BY field_id) || '}')::JSON AS attrs
    FROM int_field_values
    WHERE target = 'ticket'
    GROUP BY object_id
),

-- osTicket links (ticket.flags 0x8, ticket_pid) have no Intercom equivalent between Customer
-- tickets: each side carries the other's number. A merged child is not created: its number is
-- kept on the ticket it was merged into, so searching Intercom for it finds that ticket.
linked AS (
    SELECT ticket_id, string_agg(other, ', ' ORDER BY other) AS numbers
    FROM (
        SELECT c.ticket_id, p.number AS other FROM stg_tickets c JOIN stg_tickets p ON p.ticket_id = c.parent_ticket_id
        WHERE c.linked_child AND NOT c.merged_child
        UNION
        SELECT p.ticket_id, c.number FROM stg_tickets c JOIN stg_tickets p ON p.ticket_id = c.parent_ticket_id
        WHERE c.linked_child AND NOT c.merged_child
    )
    GROUP BY ticket_id
),

merged_in AS (
    SELECT parent_ticket_id AS ticket_id, string_agg(number, ', ' ORDER BY number) AS numbers
    FROM stg_tickets WHERE merged_child AND parent_ticket_id IS NOT NULL
    GROUP BY parent_ticket_id
),

description AS (
    SELECT p.entry_id,
           CASE WHEN trim(p.body_text) = '' THEN '(no text in osTicket)' ELSE p.body_text END AS body
    FROM stage_parts p
),

payloads AS (
    SELECT t.ticket_id, t.number, t.contact_external_id, t.company_id, t.assignee_admin_id, t.team_id,
           t.state_category, t.state_category <> 'resolved' AS open, t.tag, t.description_entry_id,
           json_merge_patch('{}', json_object(
               'contacts', [json_object('external_id', t.contact_external_id)],
               'ticket_attributes', json_merge_patch(
                   json_object(
                       '_default_title_', t.title,
                       '_default_description_', coalesce(d.body, '(no message in osTicket)'),
                       'osTicket number', s.number,
                       'osTicket ID', s.ticket_id,
                       'Source channel', s.source,
                       'Priority', coalesce(pm.value, s.priority_label),
                       'SLA plan', sla.name,
                       'SLA grace hours', sla.grace_period::BIGINT,
                       'Overdue in osTicket', s.overdue,
                       'Due at', epoch(s.due_at)::BIGINT,
                       'Closed at', CASE WHEN s.state IN ('closed', 'archived') THEN epoch(s.closed)::BIGINT END,
                       'Linked osTicket numbers', l.numbers,
                       'Merged osTicket numbers', mi.numbers),
                   coalesce(c.attrs, '{}'::JSON)),
               'created_at', epoch(s.created)::BIGINT,
               -- Only the team inbox now: the agent is assigned with the state, after the
               -- history (outbox_ticket_states), so the conversation is complete when they see it.
               'assignment', CASE WHEN t.team_id IS NOT NULL THEN json_object('team_assignee_id', t.team_id) END,
               'skip_notifications', true
           )) AS payload
    FROM int_tickets t
    JOIN stg_tickets s ON s.ticket_id = t.ticket_id
    LEFT JOIN raw_sla sla ON sla.id = s.sla_id
    LEFT JOIN config_priority_map pm ON lower(pm.priority) = s.priority
    LEFT JOIN custom c ON c.ticket_id = t.ticket_id
    LEFT JOIN description d ON d.entry_id = t.description_entry_id
    LEFT JOIN linked l ON l.ticket_id = t.ticket_id
    LEFT JOIN merged_in mi ON mi.ticket_id = t.ticket_id
    WHERE t.outcome = 'migrate'
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
