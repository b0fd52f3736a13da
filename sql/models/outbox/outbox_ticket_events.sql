-- outbox.outbox_ticket_events: osTicket's activity history as admin notes on the created ticket.
-- Grain: events = "notes": one row per burst of int_ticket_events rows with fate 'send' — the
-- events one actor made on one ticket in one go (each within a minute of the one before, with
-- no entry of the ticket between them); events = "summary": one row per migrated ticket with
-- such events; events = "skip": none (reports.rpt_ticket_events lists every event and what
-- became of it; `event_ids` says which events a note holds).
-- Why: Intercom has no event history to write into, but a note at the event's original time
-- keeps it in the conversation where agents look. One note per event floods the thread (on a
-- real help desk 55 % of all parts: an agent's "assign, change status, add CC" is three
-- notes); osTicket's own thread shows such a burst as consecutive lines, so it is one note
-- with one line per event. The note is the acting agent's when they map to an admin, otherwise
-- the fallback admin's; each line names the actor either way. `event_key` is the ledger key:
-- the first event's id, or 'summary:<ticket>'.
CREATE OR REPLACE TABLE outbox.outbox_ticket_events AS
WITH settings AS (SELECT * FROM config.settings),
fallback AS (SELECT * FROM intermediate.int_fallback_admin),
mode AS (SELECT events FROM settings),
sent AS (
    SELECT e.*, coalesce(aa.admin_id, (SELECT admin_id FROM fallback)) AS admin_id,
           html_escape(e.sentence) AS sentence_html,
           lag(e.happened_at) OVER w AS previous_at,
           lag(e.actor) OVER w AS previous_actor
    FROM intermediate.int_ticket_events e
    LEFT JOIN intermediate.int_agent_admins aa ON aa.staff_id = e.actor_staff_id
    WHERE e.fate = 'send'
    WINDOW w AS (PARTITION BY e.ticket_id ORDER BY e.happened_at, e.event_id)
),
-- A burst ends when the actor changes, a minute passes, or an entry was written in between.
starts AS (
    SELECT s.*,
           CASE WHEN s.previous_at IS NULL
                  OR s.actor IS DISTINCT FROM s.previous_actor
                  OR s.happened_at - s.previous_at > INTERVAL 60 SECOND
                  OR EXISTS (SELECT 1 FROM stage.parts p
                             WHERE p.ticket_id = s.ticket_id
                               AND p.created_at > s.previous_at AND p.created_at <= s.happened_at)
                THEN 1 ELSE 0 END AS starts_burst
    FROM sent s
),
bursts AS (
    SELECT s.*, sum(s.starts_burst) OVER (PARTITION BY s.ticket_id ORDER BY s.happened_at, s.event_id) AS burst
    FROM starts s
),
notes AS (
    SELECT ticket_id, arg_min(event_id::VARCHAR, (happened_at, event_id)) AS event_key, min(happened_at) AS happened_at,
           arg_min(admin_id, (happened_at, event_id)) AS admin_id,
           '<p><em>osTicket activity:</em>'
               || CASE WHEN count(*) = 1 THEN ' ' || any_value(sentence_html)
                       ELSE '<br>' || string_agg(sentence_html, '<br>' ORDER BY happened_at, event_id) END
               || '</p>' AS body,
           count(*) AS events, list(event_id ORDER BY happened_at, event_id) AS event_ids
    FROM bursts WHERE (SELECT events FROM mode) = 'notes'
    GROUP BY ticket_id, burst
    UNION ALL
    SELECT ticket_id, 'summary:' || ticket_id, max(happened_at),
           -- The summary speaks for several agents: the fallback admin posts it.
           (SELECT admin_id FROM fallback),
           '<p><em>osTicket activity</em></p><ul>'
               || string_agg('<li>' || strftime(happened_at, '%Y-%m-%d %H:%M UTC') || ': ' || sentence_html || '</li>', '' ORDER BY happened_at, event_id)
               || '</ul>',
           count(*), list(event_id ORDER BY happened_at, event_id)
    FROM sent WHERE (SELECT events FROM mode) = 'summary'
    GROUP BY ticket_id
),
payloads AS (
    SELECT r.ticket_id, r.event_key, r.happened_at, r.admin_id, r.events, r.event_ids,
           json_object('message_type', 'note', 'type', 'admin', 'admin_id', r.admin_id, 'body', r.body,
                       'created_at', epoch(r.happened_at)::BIGINT, 'skip_notifications', true) AS payload
    FROM notes r
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
