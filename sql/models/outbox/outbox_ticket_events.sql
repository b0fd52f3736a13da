-- outbox.outbox_ticket_events: osTicket's activity history as admin notes on the created ticket.
-- Grain: events = "notes": one row per int_ticket_events row with fate 'send';
-- events = "summary": one row per migrated ticket with such events; events = "skip": none
-- (reports.rpt_ticket_events lists every event and what became of it).
-- Why: Intercom has no event history to write into, but a note at the event's original time
-- keeps it in the conversation where agents look. The note is the acting agent's when they
-- map to an admin, otherwise the fallback admin's; the sentence names the actor either way.
-- `event_key` is the ledger key: the event id, or 'summary:<ticket>'.
CREATE OR REPLACE TABLE outbox.outbox_ticket_events AS
WITH fallback AS (
    SELECT max(a.id) AS admin_id FROM raw_intercom.admin a
    WHERE lower(trim(a.email)) = (SELECT value FROM config.setting WHERE key = 'admins.fallback')
),
mode AS (SELECT coalesce((SELECT value FROM config.setting WHERE key = 'events'), 'notes') AS events),
sent AS (
    SELECT e.*, coalesce(aa.admin_id, (SELECT admin_id FROM fallback)) AS admin_id,
           replace(replace(replace(e.sentence, '&', '&amp;'), '<', '&lt;'), '>', '&gt;') AS sentence_html
    FROM intermediate.int_ticket_events e
    LEFT JOIN intermediate.int_agent_admins aa ON aa.staff_id = e.actor_staff_id
    WHERE e.fate = 'send'
),
notes AS (
    SELECT ticket_id, event_id::VARCHAR AS event_key, happened_at, admin_id,
           '<p><em>osTicket activity:</em> ' || sentence_html || '</p>' AS body, 1 AS events
    FROM sent WHERE (SELECT events FROM mode) = 'notes'
    UNION ALL
    SELECT ticket_id, 'summary:' || ticket_id, max(happened_at),
           -- The summary speaks for several agents: the fallback admin posts it.
           (SELECT admin_id FROM fallback),
           '<p><em>osTicket activity</em></p><ul>'
               || string_agg('<li>' || strftime(happened_at, '%Y-%m-%d %H:%M UTC') || ': ' || sentence_html || '</li>', '' ORDER BY happened_at, event_id)
               || '</ul>',
           count(*)
    FROM sent WHERE (SELECT events FROM mode) = 'summary'
    GROUP BY ticket_id
)
SELECT r.ticket_id, r.event_key, r.happened_at, r.admin_id, r.events,
       json_object('message_type', 'note', 'type', 'admin', 'admin_id', r.admin_id, 'body', r.body,
                   'created_at', epoch(r.happened_at)::BIGINT, 'skip_notifications', true) AS payload
FROM notes r;
