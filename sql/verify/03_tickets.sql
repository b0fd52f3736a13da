-- Tickets: attributes, tag, team, state, creation time and assignee, read back.
-- Grain: one row per loaded ticket and field that differs.
-- Why: the ticket's title, its osTicket number and custom fields, who has it and in which state,
-- are what the customer's agents work from on the first day.
with

ledger as (
    select * from load.ledger where object_type = 'ticket' and status = 'created'
),

readback as (
    select * from load.readback where object_type = 'ticket'
),

outbox as (
    select * from outbox.outbox_tickets
),

states as (
    select * from outbox.outbox_ticket_states
),

ticket_types as (
    select * from load.readback where object_type = 'ticket_type'
),

-- List attributes are sent as option ids; read back, either the id or its label counts.
option_labels as (
    select json_extract_string(o, '$.id') as option_id, json_extract_string(o, '$.label') as label
    from (
        select unnest(json_extract(body, '$.ticket_type_attributes.*[*].input_options.list_options[*]')) as o
        from ticket_types
    )
),

-- Each document is parsed once, into the few members compared below: a ticket's payload and
-- read-back each hold its description, which can be megabytes, and every json_extract of a
-- whole body parses it again (57 tickets with one 10 MB body peaked at 770 MB that way).
sent as (
    select l.source_key, r.intercom_id, o.state_category, o.tag,
           json_extract(o.payload, ['$.ticket_attributes', '$.assignment.team_assignee_id', '$.created_at']) as p,
           json_extract(r.body, ['$.ticket_attributes', '$.team_assignee_id', '$.ticket_state.category',
                                 '$.created_at', '$.admin_assignee_id', '$.tags']) as b,
           json_extract(s.payload, '$.assignee_id') as assignee
    from ledger l
    join readback r on r.source_key = l.source_key
    join outbox o on o.number = l.source_key
    left join states s on s.number = l.source_key
),

-- Every attribute sent: title, description, osTicket number, priority, SLA, dates and each
-- custom field, each side taken apart once.
sent_attributes as (
    select s.source_key, s.intercom_id, a.key as field, json_extract_string(a.value, '$') as expected
    from sent s, json_each(s.p[1]) a
    where json_type(a.value) <> 'NULL'
),

got_attributes as (
    select s.source_key, a.key as field, json_extract_string(a.value, '$') as actual
    from sent s, json_each(s.b[1]) a
),

attributes as (
    select e.source_key, e.intercom_id, e.field, e.expected, coalesce(ol.label, g.actual) as actual
    from sent_attributes e
    left join got_attributes g on g.source_key = e.source_key and g.field = e.field
    left join option_labels ol on ol.option_id = g.actual
),

-- The ticket object has no tags in the spec (erratum ticket-object-fields): an answer without
-- them says nothing about the tag.
tags as (
    select source_key, intercom_id, 'tag' as field, tag as expected,
           coalesce(
               list_filter(json_extract_string(b[6], '$.tags[*].name'), lambda t: lower(t) = lower(tag))[1],
               array_to_string(json_extract_string(b[6], '$.tags[*].name'), ', ')
           ) as actual
    from sent
    where tag is not null and b[6] is not null
),

fields as (
    select source_key, intercom_id, 'team_assignee_id' as field,
           json_extract_string(p[2], '$') as expected, json_extract_string(b[2], '$') as actual
    from sent where json_type(p[2]) = 'VARCHAR'
    union all
    select source_key, intercom_id, 'state', state_category, json_extract_string(b[3], '$')
    from sent
    union all
    -- A ticket whose creation osTicket recorded as a zero date is sent without created_at:
    -- Intercom's own time is then expected, not a difference.
    select source_key, intercom_id, 'created_at', json_extract_string(p[3], '$'), json_extract_string(b[4], '$')
    from sent where json_extract_string(p[3], '$') is not null
    union all
    -- The agent is assigned with the state, after the history (outbox_ticket_states).
    select source_key, intercom_id, 'admin_assignee_id',
           json_extract_string(assignee, '$'), json_extract_string(b[5], '$')
    from sent where json_type(assignee) = 'VARCHAR'
),

final as (
    select 'ticket' as object_type, source_key, intercom_id, field, expected, actual,
           'differs' as verdict
    from (select * from attributes union all select * from tags union all select * from fields)
    where not same_value(expected, actual)
)

select * from final
