-- Tickets against the source: every osTicket entry and file of a loaded ticket is in Intercom or
-- listed with its reason.
-- Grain: one row per entry or file of a loaded ticket that neither arrived nor is listed.
-- Why: the comparisons before this one start from the outbox, so a loss before it (an entry
-- the models dropped, a file no rule routed) would pass them. This one starts from what the
-- split staged from osTicket's thread.
with

readback as (
    select * from load.readback where object_type = 'ticket'
),

tickets as (
    select o.ticket_id, o.number, o.description_entry_id, r.intercom_id
    from outbox.outbox_tickets o join readback r on r.source_key = o.number
),

entries as (
    select * from stage.parts where ticket_id in (select ticket_id from tickets)
),

posted as (
    select p.entry_id, l.status, l.intercom_id
    from outbox.outbox_ticket_parts p
    left join load.ledger l on l.object_type = 'part' and l.source_key = p.entry_id::varchar
),

-- Listed with a reason a person decided (a skipped note, a ticket kept out); 'not routed' is no
-- reason but a loss.
listed_entries as (
    select entry_id from reports.rpt_part_exclusions where reason <> 'not routed'
),

-- An offloaded long body (role 'body') is the entry's text, not a file to carry.
files as (
    select a.* from stage.part_attachment a
    where a.entry_id in (select entry_id from entries) and a.role <> 'body'
),

lost_entries as (
    select t.number as source_key, t.intercom_id, 'osTicket entry ' || e.entry_id || ' (' || e.kind || ')' as field,
           'in Intercom, or listed in reports.rpt_part_exclusions' as expected,
           CASE WHEN p.entry_id is null THEN 'not in the outbox (lost before the load)'
                ELSE 'not posted (load.ledger ' || coalesce(p.status, 'has no row') || ')' END as actual
    from entries e
    join tickets t on t.ticket_id = e.ticket_id
    left join posted p on p.entry_id = e.entry_id
    where e.entry_id is distinct from t.description_entry_id
      and e.entry_id not in (select entry_id from listed_entries)
      and (p.entry_id is null or p.status is distinct from 'created' or p.intercom_id is null)
),

lost_files as (
    select t.number, t.intercom_id, 'osTicket file ' || f.name || ' of entry ' || f.entry_id,
           'in Intercom, or listed in reports.rpt_attachment_exclusions',
           'not in the outbox (lost before the load)'
    from files f
    join entries e on e.entry_id = f.entry_id
    join tickets t on t.ticket_id = e.ticket_id
    where f.attachment_id not in (select attachment_id from outbox.outbox_attachments where attachment_id is not null)
      and f.attachment_id not in (select attachment_id from reports.rpt_attachment_exclusions where attachment_id is not null)
),

final as (
    select 'ticket' as object_type, *, 'differs' as verdict
    from (select * from lost_entries union all select * from lost_files)
)

select * from final
