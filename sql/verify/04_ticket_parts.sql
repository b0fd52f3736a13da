-- Tickets: every part ostmig posted, read back in Intercom's order, and the people on it.
-- Grain: one row per loaded ticket and part (or participant) that differs or cannot be checked.
-- Why: the conversation is what an agent reads. A part missing, moved in time, out of order,
-- without its files, by another author, or one ostmig did not post (a duplicate) is a
-- difference; a part beyond what one read returns (erratum part-read-limit) is 'unverifiable'.
with

ledger as (
    select * from load.ledger where status in ('created', 'existing')
),

readback as (
    select * from load.readback where object_type = 'ticket'
),

-- Where `ostmig probe` found that the workspace stores a reply dated before its ticket at the
-- ticket's own time, the part says its osTicket time in its body (int_ticket_parts), and that
-- move is no difference.
strategy as (
    select * from intermediate.int_workspace_strategy
),

-- What ostmig posted on each ticket, with the payload it sent.
posted as (
    select l.ticket_key, l.source_key as part_key, coalesce(l.intercom_id, '') as part_id, p.payload
    from ledger l join outbox.outbox_ticket_parts p on p.entry_id::varchar = l.source_key
    where l.object_type = 'part' and l.status = 'created'
    union all
    select l.ticket_key, 'event ' || l.source_key, coalesce(l.intercom_id, ''), e.payload
    from ledger l join outbox.outbox_ticket_events e on e.event_key = l.source_key
    where l.object_type = 'event' and l.status = 'created'
    union all
    select l.ticket_key, l.source_key, coalesce(l.intercom_id, ''), any_value(a.note_payload)
    from ledger l join outbox.outbox_attachments a on a.entry_id || ':' || a.batch = l.source_key
    where l.object_type = 'attachment_note' and l.status = 'created' and a.carrier = 'note'
    group by l.ticket_key, l.source_key, l.intercom_id
    union all
    select l.ticket_key, l.source_key, coalesce(l.intercom_id, ''), q.payload
    from ledger l join outbox.outbox_ticket_participants q on q.participant_key = l.source_key
    where l.object_type = 'cc_note' and l.status = 'created'
    union all
    select l.ticket_key, l.source_key, coalesce(l.intercom_id, ''), f.payload
    from ledger l join outbox.outbox_field_files f on f.field_key = l.source_key
    where l.object_type = 'field_files' and l.status = 'created'
),

-- Parts other ledger rows of the ticket hold (two identical messages stay two).
claimed as (
    select ticket_key, intercom_id as part_id from ledger
    where intercom_id is not null and object_type in ('part', 'event', 'attachment_note', 'cc_note', 'field_files')
),

reads as (
    select source_key as ticket_key, intercom_id as ticket_id,
           coalesce(json_extract(body, '$.ticket_parts.ticket_parts[*]'), []) as parts,
           coalesce(json_extract_string(body, '$.ticket_parts.total_count')::bigint, 0) as total_count,
           json_extract_string(body, '$.created_at')::bigint as ticket_created,
           coalesce(json_extract_string(body, '$.contacts.contacts[*].external_id'), []) as contacts
    from readback
),

-- One read holds at most 500 parts: a part missing from a truncated read is not known to be missing.
truncated as (
    select ticket_key from reads where total_count > len(parts)
),

got as (
    select ticket_key, ticket_id, position, json_extract_string(part, '$.id') as part_id,
           json_extract_string(part, '$.part_type') as part_type, json_extract_string(part, '$.body') as body,
           json_extract_string(part, '$.created_at') as created_at, json_extract(part, '$.author') as author,
           array_to_string(coalesce(json_extract_string(part, '$.attachments[*].name'), []), ', ') as files
    from (select ticket_key, ticket_id, unnest(parts) as part, generate_subscripts(parts, 1) as position from reads)
),

-- Intercom's own parts (state changes, assignments) are not ours to compare; a reply or note no
-- ledger row knows is.
foreign_parts as (
    select g.ticket_key, g.ticket_id, 'part ' || g.part_id || ' not posted by ostmig' as field,
           '' as expected, visible_text(g.body) as actual, 'differs' as verdict
    from got g
    where g.part_type in ('comment', 'note', 'open')
      and g.part_id not in (select part_id from posted p where p.ticket_key = g.ticket_key)
      and g.part_id not in (select part_id from claimed c where c.ticket_key = g.ticket_key)
),

missing as (
    select p.ticket_key, r.ticket_id, 'part ' || p.part_key as field, p.part_id as expected, '' as actual,
           CASE WHEN p.ticket_key in (select ticket_key from truncated) THEN 'unverifiable' ELSE 'differs' END as verdict
    from posted p
    join reads r on r.ticket_key = p.ticket_key
    where p.part_id <> ''
      and not exists (select 1 from got g where g.ticket_key = p.ticket_key and g.part_id = p.part_id)
),

matched as (
    select p.ticket_key, g.ticket_id, p.part_key, p.part_id, p.payload, g.position, g.part_type,
           g.body, g.created_at, g.author, g.files, r.ticket_created
    from posted p join got g on g.ticket_key = p.ticket_key and g.part_id = p.part_id
    join reads r on r.ticket_key = p.ticket_key
),

part_fields as (
    -- Every file rides on the part that carries it, by name, in order.
    select ticket_key, ticket_id, 'part ' || part_key || ' files' as field,
           array_to_string(coalesce(json_extract_string(payload, '$.attachment_files[*].name'), []), ', ') as expected,
           files as actual
    from matched
    union all
    -- No body may point at what Intercom cannot show.
    select ticket_key, ticket_id, 'part ' || part_key || ' body references',
           'no ostmig-file:, cid: or data: image',
           CASE WHEN contains(body, 'ostmig-file:') THEN 'ostmig-file:'
                WHEN contains(body, 'src="cid:') THEN 'src="cid:'
                ELSE 'src="data:' END
    from matched
    where contains(body, 'ostmig-file:') or contains(body, 'src="cid:') or contains(body, 'src="data:')
    union all
    -- A user's comment may come back as `open`.
    select ticket_key, ticket_id, 'part ' || part_key || ' message_type', json_extract_string(payload, '$.message_type'),
           CASE WHEN part_type = 'open' AND json_extract_string(payload, '$.message_type') = 'comment' THEN 'comment' ELSE part_type END
    from matched
    union all
    select ticket_key, ticket_id, 'part ' || part_key || ' created_at', json_extract_string(payload, '$.created_at'),
           CASE WHEN (select value from strategy where decision = 'reply_times') = 'in_body'
                     AND json_extract_string(payload, '$.created_at')::bigint < ticket_created
                     AND created_at::bigint = ticket_created
                THEN json_extract_string(payload, '$.created_at') ELSE created_at END
    from matched
    union all
    -- Bodies by what a reader sees of them (erratum bodies-rewritten).
    select ticket_key, ticket_id, 'part ' || part_key || ' body', visible_text(json_extract_string(payload, '$.body')), visible_text(body)
    from matched
    union all
    select ticket_key, ticket_id, 'part ' || part_key || ' author',
           CASE WHEN json_extract_string(payload, '$.type') = 'admin' THEN json_extract_string(payload, '$.admin_id') ELSE 'user' END,
           CASE WHEN json_extract_string(author, '$.type') = 'admin' THEN json_extract_string(author, '$.id') ELSE json_extract_string(author, '$.type') END
    from matched
),

-- One conversation order: what ostmig posted reads in time order in the order Intercom stored
-- it, whichever of the two the Inbox sorts by. The first step back in time is listed.
ordered as (
    select ticket_key, ticket_id, part_id, position, created_at::bigint as posted_at,
           max(created_at::bigint) over (partition by ticket_key order by position
                                         rows between unbounded preceding and 1 preceding) as latest_before
    from (select distinct ticket_key, ticket_id, part_id, created_at, position from matched)
),

out_of_order as (
    select ticket_key, ticket_id, 'part order' as field, 'at or after ' || latest_before as expected,
           'part ' || part_id || ' at ' || posted_at as actual, 'differs' as verdict
    from ordered
    where posted_at < latest_before
    qualify row_number() over (partition by ticket_key order by position) = 1
),

-- Collaborators are participants.
participants as (
    select q.number as ticket_key, json_extract_string(q.payload, '$.customer.user_id') as who
    from ledger l join outbox.outbox_ticket_participants q on q.participant_key = l.source_key
    where l.object_type = 'participant'
),

absent_participants as (
    select p.ticket_key, r.ticket_id, 'participant' as field, p.who as expected,
           array_to_string(r.contacts, ', ') as actual,
           'differs' as verdict
    from participants p join reads r on r.ticket_key = p.ticket_key
    where not list_contains(r.contacts, p.who)
),

differences as (
    select ticket_key, ticket_id, field, expected, actual, 'differs' as verdict
    from part_fields
    where not same_value(expected, actual)
),

final as (
    select 'ticket' as object_type, ticket_key as source_key, ticket_id as intercom_id, field, expected, actual, verdict
    from (
        select * from foreign_parts
        union all select * from missing
        union all select * from differences
        union all select * from out_of_order
        union all select * from absent_participants
    )
)

select * from final
