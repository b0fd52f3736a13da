-- reports.rpt_ticket_events: every osTicket activity event and what became of it.
-- Grain: one row per intermediate.int_ticket_events row.
-- Why: the customer signs off on history that is not carried over; an event is either in a
-- note (one of its own, or the ticket's summary) or listed here with the reason.
CREATE OR REPLACE TABLE reports.rpt_ticket_events AS
SELECT e.number AS "osTicket number", e.happened_at AS "time (UTC)", e.kind AS "event", e.sentence AS "what happened",
       CASE
           WHEN e.fate <> 'send' THEN 'not sent: ' || e.fate
           WHEN (SELECT value FROM config.setting WHERE key = 'events') = 'skip' THEN 'not sent: events = "skip"'
           WHEN (SELECT value FROM config.setting WHERE key = 'events') = 'summary' THEN 'in the ticket''s activity summary note'
           ELSE 'admin note at its original time'
       END AS "in Intercom"
FROM intermediate.int_ticket_events e
ORDER BY e.ticket_id, e.happened_at, e.event_id;
