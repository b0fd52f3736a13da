-- Tasks: every back-office ticket ostmig created for an osTicket task, read back.
-- Grain: one row per loaded task and field (or note) that differs.
-- Why: a task is internal work on a ticket; it must be found from that ticket (the link), say
-- what osTicket said (title, number, description), be in its state with its agent, and hold
-- every entry of its thread, as a note (never a comment the customer could see), at its time.
with

ledger as (
    select * from load.ledger where status in ('created', 'existing')
),

readback as (
    select * from load.readback where object_type = 'task'
),

outbox as (
    select * from outbox.outbox_tasks
),

notes as (
    select * from outbox.outbox_task_notes
),

sent as (
    select l.source_key, r.intercom_id, o.state_category, o.ticket_number,
           json_extract(o.payload, ['$.ticket_attributes', '$.created_at']) as p,
           json_extract(r.body, ['$.ticket_attributes', '$.ticket_state.category', '$.created_at',
                                 '$.admin_assignee_id', '$.linked_objects.data', '$.category',
                                 '$.ticket_parts.ticket_parts']) as b,
           json_extract_string(o.state_payload, '$.assignee_id') as assignee,
           (select t.intercom_id from ledger t where t.object_type = 'ticket' and t.source_key = o.ticket_number) as ticket_id
    from ledger l
    join readback r on r.source_key = l.source_key
    join outbox o on o.task_key = l.source_key
    where l.object_type = 'task' and l.status = 'created'
),

attributes as (
    select s.source_key, s.intercom_id, a.key as field, json_extract_string(a.value, '$') as expected,
           json_extract_string(s.b[1], '$."' || a.key || '"') as actual
    from sent s, json_each(s.p[1]) a
    where json_type(a.value) <> 'NULL'
),

fields as (
    select source_key, intercom_id, 'state' as field, state_category as expected,
           json_extract_string(b[2], '$') as actual
    from sent
    union all
    select source_key, intercom_id, 'created_at', json_extract_string(p[2], '$'), json_extract_string(b[3], '$')
    from sent where json_extract_string(p[2], '$') is not null
    union all
    select source_key, intercom_id, 'admin_assignee_id', assignee, json_extract_string(b[4], '$')
    from sent where assignee is not null
    union all
    select source_key, intercom_id, 'category', 'Back-office', json_extract_string(b[6], '$')
    from sent
    union all
    -- Found from its ticket: the customer ticket is among its linked objects.
    select source_key, intercom_id, 'linked ticket #' || ticket_number, ticket_id,
           CASE WHEN list_contains(json_extract_string(b[5], '$[*].id'), ticket_id) THEN ticket_id
                ELSE array_to_string(json_extract_string(b[5], '$[*].id'), ', ') END
    from sent
),

-- Each note ostmig posted, by its id, as a note at the entry's time.
posted as (
    select l.ticket_key, l.source_key, l.intercom_id, json_extract_string(n.payload, '$.created_at') as created_at
    from ledger l join notes n on n.entry_id::varchar = l.source_key
    where l.object_type = 'task_note' and l.status = 'created'
),

got as (
    select s.source_key, json_extract_string(part, '$.id') as part_id,
           json_extract_string(part, '$.part_type') as part_type,
           json_extract_string(part, '$.created_at') as created_at
    from (select source_key, unnest(json_extract(b[7], '$[*]')) as part from sent) s
),

note_fields as (
    select s.source_key, s.intercom_id, 'note ' || p.source_key as field,
           'note at ' || p.created_at as expected,
           CASE WHEN g.part_id IS NULL THEN 'missing' ELSE g.part_type || ' at ' || g.created_at END as actual
    from posted p
    join sent s on s.source_key = p.ticket_key
    left join got g on g.source_key = p.ticket_key and g.part_id = p.intercom_id
),

final as (
    select 'task' as object_type, source_key, intercom_id, field, expected, actual, 'differs' as verdict
    from (select * from attributes union all select * from fields union all select * from note_fields)
    where not same_value(expected, actual)
)

select * from final
