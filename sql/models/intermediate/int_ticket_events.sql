-- intermediate.int_ticket_events: osTicket's activity history as sentences a support team reads.
-- Grain: one row per raw.thread_event row on a ticket thread, a merged child's among them: its
-- events belong to the ticket it was merged into (as its entries do), their sentence naming the
-- child's number.
-- Why: status changes, assignments, transfers, referrals, merges and overdue marks live only in
-- thread_event, not in the thread entries; without them a migrated ticket loses who did what.
-- Event kinds are joined on event.name, never on the id (upgraded databases number them
-- differently). The actor is uid/uid_type (staff_id is the assignee at the time, not who acted).
-- `fate` is 'send' or why the event is not sent: the ticket's creation is its first part, entry
-- events are the entries themselves, views and logins are not activity on the ticket.
CREATE OR REPLACE TABLE intermediate.int_ticket_events AS
WITH
raw_thread_event AS (SELECT * FROM staging.base_thread_event),
raw_thread AS (SELECT * FROM staging.base_thread),
raw_event AS (SELECT * FROM staging.base_event),
raw_staff AS NOT MATERIALIZED (SELECT * FROM staging.base_staff),
raw_team AS NOT MATERIALIZED (SELECT * FROM staging.base_team),
stg_departments AS NOT MATERIALIZED (SELECT * FROM staging.stg_departments),
int_tickets AS (SELECT * FROM intermediate.int_tickets),
stg_tickets AS (SELECT * FROM staging.stg_tickets),

-- The ticket an event's thread belongs to now: a merged child's is its parent.
home AS (
    SELECT ticket_id, CASE WHEN merged_child THEN coalesce(parent_ticket_id, ticket_id) ELSE ticket_id END AS home_ticket_id,
           CASE WHEN merged_child AND parent_ticket_id IS NOT NULL THEN number END AS merged_number
    FROM stg_tickets
),

ev AS (
    SELECT te.id::BIGINT AS event_id, th.object_id::BIGINT AS ticket_id, lower(e.name) AS kind,
           te."timestamp" AS happened_at, te.annulled, te.uid_type, te.uid::BIGINT AS uid,
           trim(te.username) AS username,
           CASE WHEN json_valid(te.data) THEN te.data END AS data
    FROM raw_thread_event te
    JOIN raw_thread th ON th.id = te.thread_id AND th.object_type IN ('T', 'C')
    LEFT JOIN raw_event e ON e.id = te.event_id
),

named AS (
    SELECT ev.*,
           CASE
               WHEN ev.uid_type = 'S' AND s.staff_id IS NOT NULL
                   THEN trim(concat_ws(' ', trim(s.firstname), trim(s.lastname)))
               WHEN ev.uid_type = 'U' AND u.id IS NOT NULL THEN trim(u.name)
               WHEN ev.username = 'SYSTEM' OR coalesce(ev.username, '') = '' THEN 'the system'
               WHEN ev.username = 'Ticket Filter' THEN 'a ticket filter'
               ELSE ev.username
           END AS actor,
           CASE WHEN ev.uid_type = 'S' THEN s.staff_id::BIGINT END AS actor_staff_id
    FROM ev
    LEFT JOIN raw_staff s ON ev.uid_type = 'S' AND s.staff_id = ev.uid
    LEFT JOIN staging.base_user u ON ev.uid_type = 'U' AND u.id = ev.uid
),

said AS (
    SELECT n.*,
           CASE n.kind
               WHEN 'closed' THEN 'Closed' || coalesce(' as ' || nullif(json_extract_string(n.data, '$.status[1]'), 'Closed'), '')
               WHEN 'reopened' THEN 'Reopened'
               WHEN 'assigned' THEN
                   CASE
                       WHEN json_extract(n.data, '$.claim') IS NOT NULL THEN 'Claimed'
                       WHEN json_type(n.data, '$.staff') = 'ARRAY'
                           THEN 'Assigned to ' || json_extract_string(n.data, '$.staff[1]')
                       WHEN json_extract(n.data, '$.staff') IS NOT NULL
                           THEN 'Assigned to ' || coalesce(
                               (SELECT trim(concat_ws(' ', trim(s.firstname), trim(s.lastname))) FROM raw_staff s
                                WHERE s.staff_id = TRY_CAST(json_extract_string(n.data, '$.staff') AS BIGINT)),
                               'agent #' || json_extract_string(n.data, '$.staff'))
                       WHEN json_extract(n.data, '$.team') IS NOT NULL
                           THEN 'Assigned to team ' || coalesce(
                               (SELECT trim(t.name) FROM raw_team t
                                WHERE t.team_id = TRY_CAST(json_extract_string(n.data, '$.team') AS BIGINT)),
                               '#' || json_extract_string(n.data, '$.team'))
                       ELSE 'Assigned'
                   END
               WHEN 'released' THEN 'Unassigned'
               WHEN 'transferred' THEN 'Transferred to ' || coalesce(
                   CASE WHEN json_type(n.data, '$.dept') = 'VARCHAR' THEN json_extract_string(n.data, '$.dept') END,
                   (SELECT d.full_name FROM stg_departments d
                    WHERE d.dept_id = TRY_CAST(json_extract_string(n.data, '$.dept') AS BIGINT)),
                   'another department')
               WHEN 'referred' THEN 'Referred to ' || coalesce(
                   (SELECT 'department ' || d.full_name FROM stg_departments d
                    WHERE d.dept_id = TRY_CAST(json_extract_string(n.data, '$.dept') AS BIGINT)),
                   (SELECT 'team ' || trim(t.name) FROM raw_team t
                    WHERE t.team_id = TRY_CAST(json_extract_string(n.data, '$.team') AS BIGINT)),
                   (SELECT trim(concat_ws(' ', trim(s.firstname), trim(s.lastname))) FROM raw_staff s
                    WHERE s.staff_id = TRY_CAST(json_extract_string(n.data, '$.staff') AS BIGINT)),
                   'another department')
               WHEN 'overdue' THEN 'Marked overdue'
               -- data.ticket reads "Ticket #123456".
               WHEN 'merged' THEN 'Merged with ' || coalesce(json_extract_string(n.data, '$.ticket'), 'another ticket')
               WHEN 'linked' THEN 'Linked to ' || coalesce(json_extract_string(n.data, '$.ticket'), 'another ticket')
               WHEN 'unlinked' THEN 'Unlinked from ' || coalesce(json_extract_string(n.data, '$.ticket'), 'another ticket')
               WHEN 'collab' THEN
                   CASE
                       WHEN json_extract(n.data, '$.add') IS NOT NULL
                           THEN 'Added ' || array_to_string(json_extract_string(n.data, '$.add.*.name'), ', ') || ' as collaborator'
                                || CASE WHEN len(json_extract_string(n.data, '$.add.*.name')) > 1 THEN 's' ELSE '' END
                       WHEN json_extract(n.data, '$.del') IS NOT NULL
                           THEN 'Removed ' || array_to_string(json_extract_string(n.data, '$.del.*.name'), ', ') || ' as collaborator'
                                || CASE WHEN len(json_extract_string(n.data, '$.del.*.name')) > 1 THEN 's' ELSE '' END
                       WHEN json_extract(n.data, '$.org') IS NOT NULL THEN 'Added the organization''s users as collaborators'
                       ELSE 'Changed the collaborators'
                   END
               WHEN 'edited' THEN
                   CASE
                       WHEN json_extract(n.data, '$.filter') IS NOT NULL
                           THEN 'Set ' || coalesce(json_extract_string(n.data, '$.type'), 'a field') || ' to '
                                || coalesce(json_extract_string(n.data, '$.value'), '(empty)')
                                || ' (filter "' || json_extract_string(n.data, '$.filter') || '")'
                       WHEN json_extract(n.data, '$.fields') IS NOT NULL
                           THEN 'Edited ' || array_to_string(list_transform(json_keys(n.data, '$.fields'), lambda k:
                                    k || ': ' || coalesce(json_extract_string(n.data, '$.fields."' || k || '"'), '(empty)')), '; ')
                       ELSE 'Edited the ticket'
                   END
               WHEN 'resent' THEN 'Resent a reply'
               WHEN 'deleted' THEN 'Deleted an entry'
               ELSE upper(left(n.kind, 1)) || substr(n.kind, 2)
           END AS what
    FROM named n
),

final AS (
    SELECT s.event_id, coalesce(h.home_ticket_id, s.ticket_id) AS ticket_id, t.number, s.kind, s.happened_at, s.actor, s.actor_staff_id,
           coalesce('On osTicket #' || h.merged_number || ' (merged into this ticket): ', '')
           || CASE WHEN s.actor IN ('the system', 'a ticket filter') AND s.kind = 'edited'
                   THEN s.what ELSE s.what || ' by ' || s.actor END AS sentence,
           CASE
               WHEN s.kind IS NULL THEN 'event kind unknown to osTicket''s event table'
               WHEN s.kind = 'created' THEN 'the ticket''s creation is its first part'
               WHEN s.kind IN ('message', 'note') THEN 'the entry itself is a part of the ticket'
               WHEN s.kind IN ('viewed', 'login', 'logout', 'error') THEN 'not activity on the ticket'
               WHEN s.annulled <> 0 THEN 'annulled in osTicket'
               WHEN s.happened_at IS NULL THEN 'no time recorded (zero date)'
               WHEN t.ticket_id IS NULL THEN 'the ticket is not in the snapshot'
               WHEN t.outcome <> 'migrate' THEN 'the ticket is not migrated (' || t.outcome || ')'
               ELSE 'send'
           END AS fate
    FROM said s
    LEFT JOIN home h ON h.ticket_id = s.ticket_id
    LEFT JOIN int_tickets t ON t.ticket_id = coalesce(h.home_ticket_id, s.ticket_id)
)

SELECT * FROM final;
