-- reports.rpt_scope_audit: scope audit of the latest snapshot: what the migration has to move.
-- Grain: one row per (section, item). `n` is a count or byte total; `detail` carries text.
-- Why: this is the first thing a migration analyst shows the customer, so it reads the
-- snapshot exactly as copied (raw.*), with no mapping applied yet. Runs as-is in the duckdb shell;
-- `ostmig discover` runs the query below the CREATE line straight after a snapshot.
CREATE OR REPLACE VIEW reports.rpt_scope_audit AS
WITH
meta_snapshot AS (SELECT * FROM meta.snapshot),
meta_snapshot_table AS (SELECT * FROM meta.snapshot_table),
raw_ticket AS NOT MATERIALIZED (SELECT * FROM staging.base_ticket),
raw_ticket_status AS (SELECT * FROM staging.base_ticket_status),
raw_thread_entry AS NOT MATERIALIZED (SELECT * FROM staging.base_thread_entry),
raw_form_field AS (SELECT * FROM staging.base_form_field),
raw_form AS (SELECT * FROM staging.base_form),
raw_attachment AS NOT MATERIALIZED (SELECT * FROM staging.base_attachment),
raw_file AS (SELECT * FROM staging.base_file),
raw_thread AS (SELECT * FROM staging.base_thread),
raw_user_email AS (SELECT * FROM staging.base_user_email),
raw_organization AS (SELECT * FROM staging.base_organization),
raw_staff AS NOT MATERIALIZED (SELECT * FROM staging.base_staff),
raw_department AS (SELECT * FROM staging.base_department),
raw_team AS (SELECT * FROM staging.base_team),
raw_sla AS (SELECT * FROM staging.base_sla),
raw_help_topic AS (SELECT * FROM staging.base_help_topic),
raw_canned_response AS (SELECT * FROM staging.base_canned_response),
raw_email AS (SELECT * FROM staging.base_email),
raw_task AS (SELECT * FROM staging.base_task),
raw_faq AS (SELECT * FROM staging.base_faq),
raw_faq_category AS (SELECT * FROM staging.base_faq_category),
raw_faq_topic AS (SELECT * FROM staging.base_faq_topic),
raw_note AS (SELECT * FROM staging.base_note),
raw_user_account AS (SELECT * FROM staging.base_user_account),
raw_queue AS (SELECT * FROM staging.base_queue),
raw_email_account AS (SELECT * FROM staging.base_email_account),
raw_thread_collaborator AS (SELECT * FROM staging.base_thread_collaborator),

snap AS (
    select * from meta_snapshot order by snapshot_id desc limit 1
),

tables AS (
    select * from meta_snapshot_table where snapshot_id = (select snapshot_id from snap)
),

ticket_state AS (
    select coalesce(s.state, 'unknown status ' || t.status_id) as state, count(*) as n
    from raw_ticket t left join raw_ticket_status s on s.id = t.status_id
    group by all
),

entry_type AS (
    select case type when 'M' then 'messages' when 'R' then 'responses' when 'N' then 'notes'
                else 'type ' || type end as item, count(*) as n
    from raw_thread_entry where flags & 4 = 0 group by all
),

field_inventory AS (
    select case f.type when 'T' then 'ticket' when 'U' then 'contact' when 'O' then 'organization'
                when 'A' then 'task' when 'G' then 'help topic' else 'form type ' || f.type end
           || ' form "' || coalesce(f.title, '') || '": ' || ff.type as item,
           count(*) as n,
           string_agg(coalesce(ff.name, ff.label, ''), ', ' order by ff.sort) as names
    from raw_form_field ff join raw_form f on f.id = ff.form_id
    where ff.type not in ('break', 'info')
    group by all
),

ticket_files AS (
    select distinct f.id, f.size
    from raw_attachment a join raw_file f on f.id = a.file_id
    where a.type = 'H'
),

audit AS (
    select 1 as ord, 'source' as section, 'osTicket version' as item, null::bigint as n, osticket_version as detail from snap
    union all select 2, 'source', 'schema signature', null, schema_signature from snap
    union all select 3, 'source', 'MySQL version', null, mysql_version from snap
    union all select 4, 'source', 'table prefix', null, table_prefix from snap
    union all select 5, 'source', 'DATETIME time zone', null, source_time_zone || ' (' || time_zone_origin || ')' from snap
    union all select 6, 'source', 'snapshot taken (UTC)', null, strftime(finished_at, '%Y-%m-%d %H:%M:%S') from snap
    union all select 7, 'size', 'tables', count(*), null from tables
    union all select 8, 'size', 'source size (data + index bytes)', sum(source_bytes)::bigint, null from tables
    union all select 9, 'size', 'rows copied', sum(rows_copied)::bigint, null from tables
    union all select 10, 'size', 'bytes copied', sum(bytes)::bigint, null from tables
    union all select 11, 'size', 'zero dates read as NULL', sum(zero_dates)::bigint, null from tables
    union all select 12, 'size', 'values repaired or listed (meta.snapshot_issue)', sum(issues)::bigint, null from tables
    union all select 20, 'tickets', 'tickets', count(*), null from raw_ticket
    union all select 21, 'tickets', 'state ' || state, n, null from ticket_state
    union all select 22, 'tickets', 'merged into another ticket', count(*), null from raw_thread where object_type = 'C'
    union all select 23, 'tickets', 'linked or merged children (ticket_pid set)', count(*), null from raw_ticket where ticket_pid is not null
    union all select 30, 'thread entries', item, n, null from entry_type
    union all select 31, 'thread entries', 'superseded edits (hidden)', count(*), null from raw_thread_entry where flags & 4 <> 0
    union all select 32, 'thread entries', 'moved from merged tickets', count(*), null from raw_thread_entry where flags & 1024 <> 0
    union all select 33, 'thread entries', 'system / unidentified sender', count(*), null from raw_thread_entry where flags & 128 <> 0 and flags & 4 = 0
    union all select 40, 'people', 'users', count(*), null from staging.base_user
    union all select 41, 'people', 'users without email', count(*), null from staging.base_user u
        where not exists (select 1 from raw_user_email e where e.user_id = u.id)
    union all select 42, 'people', 'users without organization', count(*), null from staging.base_user where org_id = 0
    union all select 43, 'people', 'organizations', count(*), null from raw_organization
    union all select 44, 'people', 'agents', count(*), null from raw_staff
    union all select 45, 'people', 'agents inactive', count(*), null from raw_staff where isactive = 0
    union all select 46, 'people', 'other e-mail addresses of users (besides their primary one)', count(*), null
        from raw_user_email e join staging.base_user u on u.id = e.user_id where e.id <> u.default_email_id
    union all select 47, 'people', 'client-portal accounts', count(*), null from raw_user_account
    union all select 48, 'people', 'staff notes on users and organizations', count(*), null from raw_note
    union all select 49, 'people', 'organizations with an account manager', count(*), null from raw_organization where coalesce(manager, '') <> ''
    union all select 50, 'configuration', 'departments', count(*), null from raw_department
    union all select 51, 'configuration', 'teams', count(*), null from raw_team
    union all select 52, 'configuration', 'SLA plans', count(*), null from raw_sla
    union all select 53, 'configuration', 'help topics', count(*), null from raw_help_topic
    union all select 54, 'configuration', 'canned responses', count(*), null from raw_canned_response
    union all select 55, 'configuration', 'e-mail addresses (routing to departments and topics)', count(*),
        string_agg(email || ' → ' || coalesce((select d.name from raw_department d where d.id = raw_email.dept_id), 'default department')
                   || coalesce(', topic ' || (select h.topic from raw_help_topic h where h.topic_id = raw_email.topic_id), ''), '; ' order by email)
        from raw_email
    union all select 56, 'configuration', 'e-mail accounts (mailboxes fetched, SMTP)', count(*),
        string_agg(type || ' ' || host || coalesce('/' || folder, '') || CASE WHEN active = 0 THEN ' (inactive)' ELSE '' END, '; ' order by id)
        from raw_email_account
    union all select 57, 'configuration', 'queues (saved ticket views)', count(*), null from raw_queue
    union all select 58, 'configuration', 'queues of one agent (personal saved searches)', count(*), null from raw_queue where staff_id <> 0
    union all select 60, 'custom fields', item, n, names from field_inventory
    union all select 70, 'attachments', 'ticket attachments (links)', count(*), null from raw_attachment where type = 'H'
    union all select 71, 'attachments', 'inline images and offloaded bodies', count(*), null from raw_attachment where type = 'H' and inline = 1
    union all select 72, 'attachments', 'distinct files', count(*), null from ticket_files
    union all select 73, 'attachments', 'total bytes of distinct files', coalesce(sum(size), 0)::bigint, null from ticket_files
    union all select 74, 'attachments', 'files over 10 MB', count(*), null from ticket_files where size > 10 * 1024 * 1024
    union all select 23, 'tickets', 'collaborators (CCs on a thread)', count(*), null from raw_thread_collaborator
    union all select 24, 'tickets', 'tasks', count(*), null from raw_task
    union all select 25, 'tickets', 'tasks open', count(*), null from raw_task where flags & 1 <> 0
    union all select 26, 'tickets', 'task thread entries', count(*), null from raw_thread_entry e
        where e.thread_id in (select id from raw_thread where object_type = 'A')
    union all select 75, 'attachments', 'files of file-upload form fields', count(*), null from raw_attachment where type = 'E'
    union all select 80, 'knowledge base', 'FAQ categories', count(*), null from raw_faq_category
    union all select 81, 'knowledge base', 'FAQ categories private (agents only)', count(*), null from raw_faq_category where ispublic = 0
    union all select 82, 'knowledge base', 'FAQs', count(*), null from raw_faq
    union all select 83, 'knowledge base', 'FAQs internal (agents only)', count(*), null from raw_faq where ispublished = 0
    union all select 84, 'knowledge base', 'FAQ files and inline images', count(*), null from raw_attachment where type = 'F'
    union all select 85, 'knowledge base', 'FAQ help-topic links', count(*), null from raw_faq_topic
),

final AS (
    select section, item, n, detail from audit order by ord, item
)

SELECT * FROM final;
