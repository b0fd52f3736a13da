-- reports.rpt_ticket_events: every osTicket activity event and what became of it.
-- Grain: one row per intermediate.int_ticket_events row.
-- Why: the customer signs off on history that is not carried over; an event is either in a
-- note (one of its own, one line of the note of its burst, or the ticket's summary) or listed
-- here with the reason.
CREATE OR REPLACE TABLE reports.rpt_ticket_events AS
WITH
settings AS (SELECT * FROM config.settings),
int_ticket_events AS (SELECT * FROM intermediate.int_ticket_events),
outbox_ticket_events AS (SELECT * FROM outbox.outbox_ticket_events),

final AS (
    SELECT e.number AS "osTicket number", e.happened_at AS "time (UTC)", e.kind AS "event", e.sentence AS "what happened",
           CASE
               WHEN e.fate <> 'send' THEN 'not sent: ' || e.fate
               WHEN (SELECT events FROM settings) = 'skip' THEN 'not sent: events = "skip"'
               WHEN (SELECT events FROM settings) = 'summary' THEN 'in the ticket''s activity summary note'
               WHEN n.events > 1 THEN 'one line of an admin note at its original time, with '
                    || (n.events - 1) || ' other event' || CASE WHEN n.events > 2 THEN 's' ELSE '' END || ' of the same moment'
               ELSE 'admin note at its original time'
           END AS "in Intercom"
    FROM int_ticket_events e
    LEFT JOIN (SELECT unnest(event_ids) AS event_id, events FROM outbox_ticket_events) n ON n.event_id = e.event_id
    ORDER BY e.ticket_id, e.happened_at, e.event_id
)

SELECT * FROM final;
