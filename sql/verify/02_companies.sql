-- Companies: every field sent, read back.
-- Grain: one row per loaded company and field that differs.
-- Why: the organization's name and attributes are what agents filter and report by.
with

ledger as (
    select * from load.ledger where object_type = 'company' and status = 'created'
),

readback as (
    select * from load.readback where object_type = 'company'
),

outbox as (
    select * from outbox.outbox_companies
),

sent as (
    select l.source_key, r.intercom_id, o.payload, r.body
    from ledger l
    join readback r on r.source_key = l.source_key
    join outbox o on o.company_id = l.source_key
),

fields as (
    select s.source_key, s.intercom_id, f.field,
           json_extract_string(s.payload, ('$.' || f.field)) as expected,
           json_extract_string(s.body, ('$.' || f.field)) as actual
    from sent s, (values ('company_id'), ('name')) f(field)
),

attributes as (
    select s.source_key, s.intercom_id, 'custom_attributes.' || a.key as field,
           json_extract_string(a.value, '$') as expected,
           json_extract_string(json_extract(s.body, '$.custom_attributes'), a.key) as actual
    from sent s, json_each(json_extract(s.payload, '$.custom_attributes')) a
),

final as (
    select 'company' as object_type, source_key, intercom_id, field, expected, actual,
           'differs' as verdict
    from (select * from fields union all select * from attributes)
    where not same_value(expected, actual)
)

select * from final
