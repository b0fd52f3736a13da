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

sent as (
    select l.source_key, r.intercom_id, o.payload, o.state_category, o.tag,
           s.payload as state_payload, r.body
    from ledger l
    join readback r on r.source_key = l.source_key
    join outbox o on o.number = l.source_key
    left join states s on s.number = l.source_key
),

-- Every attribute sent: title, description, osTicket number, priority, SLA, dates and each
-- custom field. Each side is taken apart once, so no row carries a whole body along (a
-- ticket's description can be megabytes).
sent_attributes as (
    select s.source_key, s.intercom_id, a.key as field, json_extract_string(a.value, '$') as expected
    from sent s, json_each(json_extract(s.payload, '$.ticket_attributes')) a
    where json_type(a.value) <> 'NULL'
),

got_attributes as (
    select s.source_key, a.key as field, json_extract_string(a.value, '$') as actual
    from sent s, json_each(json_extract(s.body, '$.ticket_attributes')) a
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
               list_filter(json_extract_string(body, '$.tags.tags[*].name'), lambda t: lower(t) = lower(tag))[1],
               array_to_string(json_extract_string(body, '$.tags.tags[*].name'), ', ')
           ) as actual
    from sent
    where tag is not null and json_exists(body, '$.tags')
),

fields as (
    select source_key, intercom_id, 'team_assignee_id' as field,
           json_extract_string(payload, '$.assignment.team_assignee_id') as expected, json_extract_string(body, '$.team_assignee_id') as actual
    from sent where json_type(payload, '$.assignment.team_assignee_id') = 'VARCHAR'
    union all
    select source_key, intercom_id, 'state', state_category, json_extract_string(body, '$.ticket_state.category')
    from sent
    union all
    -- A ticket whose creation osTicket recorded as a zero date is sent without created_at:
    -- Intercom's own time is then expected, not a difference.
    select source_key, intercom_id, 'created_at', json_extract_string(payload, '$.created_at'), json_extract_string(body, '$.created_at')
    from sent where json_extract_string(payload, '$.created_at') is not null
    union all
    -- The agent is assigned with the state, after the history (outbox_ticket_states).
    select source_key, intercom_id, 'admin_assignee_id',
           json_extract_string(state_payload, '$.assignee_id'), json_extract_string(body, '$.admin_assignee_id')
    from sent where json_type(state_payload, '$.assignee_id') = 'VARCHAR'
),

final as (
    select 'ticket' as object_type, source_key, intercom_id, field, expected, actual,
           'differs' as verdict
    from (select * from attributes union all select * from tags union all select * from fields)
    where not same_value(expected, actual)
)

select * from final
