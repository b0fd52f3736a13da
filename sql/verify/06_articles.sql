-- The knowledge base: every collection and article ostmig created, read back.
-- Grain: one row per loaded collection or article and field that differs.
-- Why: a FAQ that lands in the wrong collection, loses its text, or is published when osTicket
-- kept it internal (or the reverse) is what a customer's help center gets wrong. Bodies are
-- compared by what a reader sees (erratum bodies-rewritten); the parent by the collection the
-- ledger says it was given (an article lists it among its parent_ids).
with

ledger as (
    select * from load.ledger
    where object_type in ('collection', 'article', 'internal_article') and status = 'created'
),

collection_ids as (
    select source_key, intercom_id from load.ledger where object_type = 'collection' and status = 'created'
),

readback as (
    select * from load.readback where object_type in ('collection', 'article', 'internal_article')
),

expected as (
    select 'collection' as object_type, collection_key as source_key, payload,
           parent_key as parent
    from outbox.outbox_collections
    union all
    select kind, article_key, payload, collection_key
    from outbox.outbox_articles
),

sent as (
    select l.object_type, l.source_key, r.intercom_id, e.payload, r.body,
           (select c.intercom_id from collection_ids c where c.source_key = e.parent) as parent_id
    from ledger l
    join readback r on r.object_type = l.object_type and r.source_key = l.source_key
    join expected e on e.object_type = l.object_type and e.source_key = l.source_key
),

fields as (
    select s.object_type, s.source_key, s.intercom_id, f.field,
           case f.field
               when 'body' then visible_text(json_extract_string(s.payload, '$.body'))
               when 'parent_id' then s.parent_id
               else json_extract_string(s.payload, '$.' || f.field)
           end as expected,
           case
               when f.field = 'body' then visible_text(json_extract_string(s.body, '$.body'))
               -- An article names its collection and the ones above it in parent_ids.
               when f.field = 'parent_id' and s.object_type = 'article' then
                   CASE WHEN list_contains(coalesce(json_extract_string(s.body, '$.parent_ids[*]'), []), s.parent_id)
                        THEN s.parent_id
                        ELSE array_to_string(coalesce(json_extract_string(s.body, '$.parent_ids[*]'), []), ', ') END
               else json_extract_string(s.body, '$.' || f.field)
           end as actual
    from sent s
    join (values ('collection', 'name'), ('collection', 'parent_id'),
                 ('article', 'title'), ('article', 'body'), ('article', 'state'), ('article', 'parent_id'),
                 ('internal_article', 'title'), ('internal_article', 'body')) f(object_type, field)
      on f.object_type = s.object_type
),

final as (
    select object_type, source_key, intercom_id, field, expected, actual, 'differs' as verdict
    from fields
    where not same_value(expected, actual)
)

select * from final
