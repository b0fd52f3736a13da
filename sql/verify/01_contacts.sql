-- Contacts: every field sent, read back. One row per difference.
-- Grain: one row per loaded contact and field that differs.
-- Why: a contact that arrives without its e-mail, name, attribute, company or owner (its
-- account manager) is a customer the Inbox cannot recognise; verify lists each such field
-- with both values.
with

ledger as (
    select * from load.ledger
    where object_type = 'contact' and status in ('created', 'existing')
),

readback as (
    select * from load.readback where object_type = 'contact'
),

outbox as (
    select * from outbox.outbox_contacts
),

companies as (
    select source_key, intercom_id from load.ledger
    where object_type = 'company' and status in ('created', 'existing')
),

sent as (
    select l.source_key, r.intercom_id, o.payload, r.body, c.intercom_id as company_id
    from ledger l
    join readback r on r.source_key = l.source_key
    join outbox o on o.external_id = l.source_key
    left join companies c on c.source_key = 'osticket-org-' || o.org_id
),

fields as (
    select s.source_key, s.intercom_id, f.field,
           json_extract_string(s.payload, ('$.' || f.field)) as expected,
           json_extract_string(s.body, ('$.' || f.field)) as actual
    from sent s, (values ('external_id'), ('name'), ('phone'), ('owner_id')) f(field)
    union all
    -- Intercom keeps an address as typed; osTicket matched it without case.
    select source_key, intercom_id, 'email', lower(json_extract_string(payload, '$.email')), lower(json_extract_string(body, '$.email'))
    from sent
),

attributes as (
    select s.source_key, s.intercom_id, 'custom_attributes.' || a.key as field,
           json_extract_string(a.value, '$') as expected,
           json_extract_string(json_extract(s.body, '$.custom_attributes'), a.key) as actual
    from sent s, json_each(json_extract(s.payload, '$.custom_attributes')) a
),

company_links as (
    select source_key, intercom_id, 'company' as field, company_id as expected,
           CASE WHEN list_contains(
                    coalesce(json_extract_string(body, '$.companies.data[*].id'), []), company_id)
                THEN company_id ELSE '' END as actual
    from sent
    where company_id is not null
),

final as (
    select 'contact' as object_type, source_key, intercom_id, field, expected, actual,
           'differs' as verdict
    from (select * from fields union all select * from attributes union all select * from company_links)
    where not same_value(expected, actual)
)

select * from final
