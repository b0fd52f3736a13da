-- Contact and company notes: every note ostmig created, read back.
-- Grain: one row per loaded note and field that differs.
-- Why: a staff note that lands on the wrong customer, loses its text or its signature line
-- (who wrote it in osTicket, and when: the API cannot backdate a note) is context an agent
-- trusts and should not. Bodies are compared by what a reader sees (erratum bodies-rewritten).
with

ledger as (
    select * from load.ledger
    where object_type in ('contact_note', 'company_note') and status = 'created'
),

owners as (
    select object_type, source_key, intercom_id from load.ledger
    where object_type in ('contact', 'company') and status in ('created', 'existing')
),

readback as (
    select * from load.readback where object_type in ('contact_note', 'company_note')
),

outbox as (
    select * from outbox.outbox_customer_notes
),

sent as (
    select l.object_type, l.source_key, r.intercom_id, o.payload, r.body, o.target,
           (select w.intercom_id from owners w where w.object_type = o.target and w.source_key = o.owner_key) as owner_id
    from ledger l
    join readback r on r.object_type = l.object_type and r.source_key = l.source_key
    join outbox o on o.note_key = l.source_key
),

fields as (
    select object_type, source_key, intercom_id, 'body' as field,
           visible_text(json_extract_string(payload, '$.body')) as expected,
           visible_text(json_extract_string(body, '$.body')) as actual
    from sent
    union all
    select object_type, source_key, intercom_id, target, owner_id,
           json_extract_string(body, '$.' || target || '.id')
    from sent
    union all
    select object_type, source_key, intercom_id, 'author',
           json_extract_string(payload, '$.admin_id'), json_extract_string(body, '$.author.id')
    from sent
),

final as (
    select object_type, source_key, intercom_id, field, expected, actual, 'differs' as verdict
    from fields
    where not same_value(expected, actual)
)

select * from final
