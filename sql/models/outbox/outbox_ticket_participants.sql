-- outbox.outbox_ticket_participants: the people besides the requester who belong on each
-- created ticket: osTicket's collaborators (CCs) and every other contact who wrote on it.
-- Grain: participants = "add" (the default): one row per (migrated ticket, contact) that is an
-- active collaborator of the ticket's thread or the author of one of its contact replies, the
-- requester excepted (`kind` = 'participant'; the payload is
-- POST /conversations/{ticket id}/customers). participants = "notes": one row per ticket
-- with such people (`kind` = 'note'): an admin note at the ticket's start that lists them.
-- Why: Intercom lets only a participant reply as a user (erratum
-- reply-from-non-participant), and an agent reading the ticket should see who was copied, as
-- osTicket showed. Whether a live workspace accepts participants on tickets is not confirmed:
-- participants = "notes" is the fallback (their messages become notes naming them, see
-- int_ticket_parts). The loader adds participants right after the ticket is created, before any
-- part. Collaborators who cannot be contacts (no e-mail, no phone) are in
-- reports.rpt_contact_exclusions and only named in the notes fallback.
CREATE OR REPLACE TABLE outbox.outbox_ticket_participants AS
WITH settings AS (SELECT * FROM config.settings),
fallback AS (SELECT * FROM intermediate.int_fallback_admin),
mode AS (SELECT participants FROM settings),
tickets AS (
    SELECT t.ticket_id, t.number, t.user_id AS requester_id, s.created AS created_at
    FROM intermediate.int_tickets t
    JOIN staging.stg_tickets s USING (ticket_id)
    WHERE t.outcome = 'migrate'
),
collaborators AS (
    SELECT th.object_id::BIGINT AS ticket_id, c.user_id::BIGINT AS user_id, min(TRY_CAST(c.created AS TIMESTAMP)) AS since
    FROM staging.base_thread_collaborator c
    JOIN staging.base_thread th ON th.id = c.thread_id AND th.object_type = 'T'
    WHERE c.flags::BIGINT & 1 = 1
    GROUP BY 1, 2
),
writers AS (
    SELECT p.ticket_id, p.user_id, min(p.created_at) AS since
    FROM stage.parts p
    WHERE p.kind = 'message' AND p.user_id IS NOT NULL
    GROUP BY 1, 2
),
people AS (
    SELECT t.ticket_id, t.number, t.created_at, x.user_id, min(x.since) AS since
    FROM tickets t
    JOIN (SELECT * FROM collaborators UNION ALL SELECT * FROM writers) x ON x.ticket_id = t.ticket_id
    WHERE x.user_id IS DISTINCT FROM t.requester_id
    GROUP BY ALL
),
named AS (
    SELECT p.*, c.external_id, u.name, u.email
    FROM people p
    LEFT JOIN intermediate.int_contacts c ON c.user_id = p.user_id
    LEFT JOIN staging.stg_users u ON u.user_id = p.user_id
),
payloads AS (
    SELECT ticket_id, number, 'participant' AS kind, number || ':' || external_id AS participant_key,
           created_at, 1 AS people,
           json_object('admin_id', (SELECT admin_id FROM fallback),
                       'customer', json_object('user_id', external_id)) AS payload
    FROM named
    WHERE external_id IS NOT NULL AND (SELECT participants FROM mode) = 'add'
    UNION ALL
    SELECT ticket_id, any_value(number), 'note', any_value(number) || ':cc', any_value(created_at), count(*),
           json_object('message_type', 'note', 'type', 'admin', 'admin_id', (SELECT admin_id FROM fallback),
                       'body', '<p><em>Also on this ticket in osTicket (CC):</em> '
                               || string_agg(html_escape(coalesce(nullif(trim(name), ''), 'user ' || user_id)
                                      || coalesce(' <' || email || '>', '')), ', ' ORDER BY since, user_id)
                               || '</p>',
                       'created_at', epoch(any_value(created_at))::BIGINT,
                       'skip_notifications', true)
    FROM named
    WHERE (SELECT participants FROM mode) = 'notes'
    GROUP BY ticket_id
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
