-- check: state categories the tickets need that the migrated Intercom ticket type has no state for
-- severity: error
-- Why: a ticket state must belong to the ticket's type (400 ticket_state_id_invalid, erratum
-- ticket-state-per-type): every ticket of such a category would fail in the states phase. Add
-- the state to the type in Intercom (Settings > Tickets), or map those osTicket statuses to a
-- category the type has; then `ostmig intercom pull` and check again. A type the load will
-- create is checked by the load itself, before its first ticket.
WITH tickets AS (
    SELECT state_category, count(*) AS tickets FROM outbox.outbox_tickets GROUP BY state_category
),
ticket_type AS (
    SELECT name FROM outbox.outbox_ticket_type WHERE role = 'tickets'
),
type_states AS (
    SELECT s.category
    FROM raw_intercom.ticket_type_state s
    JOIN ticket_type t ON t.name = s.ticket_type_name
    WHERE NOT coalesce(s.archived_type, false)
),
final AS (
    SELECT (SELECT max(name) FROM ticket_type) AS ticket_type, t.state_category, t.tickets
    FROM tickets t
    WHERE EXISTS (SELECT 1 FROM type_states)
      AND t.state_category NOT IN (SELECT category FROM type_states WHERE category IS NOT NULL)
)
SELECT * FROM final;
