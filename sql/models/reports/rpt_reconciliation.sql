-- reports.rpt_reconciliation: per object, from osTicket to Intercom, every record accounted for.
-- Grain: one row per object class (organizations, users, tickets, collaborators, thread entries, files,
-- form-field files, pasted images, quoted mail history, activity events, custom-field values, tasks, staff
-- notes, other e-mail addresses, portal accounts, account managers, FAQ categories, FAQs, FAQ
-- files, and what only a person can rebuild: canned responses, queues, e-mail addresses).
-- Why: the customer's proof that nothing was lost: source = staged + excluded (with reasons) +
-- in review; then what the load confirmed and what the last verify found different. A view, so
-- the load and verify columns are current whenever the report is written.
CREATE OR REPLACE VIEW reports.rpt_reconciliation AS
WITH
load_ledger AS NOT MATERIALIZED (SELECT * FROM load.ledger),
outbox_attachments AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_attachments),
load_verify_run AS (SELECT * FROM load.verify_run),
rpt_ticket_exclusions AS (SELECT * FROM reports.rpt_ticket_exclusions),
rpt_contact_exclusions AS (SELECT * FROM reports.rpt_contact_exclusions),
rpt_part_exclusions AS (SELECT * FROM reports.rpt_part_exclusions),
stage_split_excluded AS NOT MATERIALIZED (SELECT * FROM stage.split_excluded),
rpt_attachment_exclusions AS NOT MATERIALIZED (SELECT * FROM reports.rpt_attachment_exclusions),
stage_parts AS NOT MATERIALIZED (SELECT * FROM stage.parts),
stage_part_attachment AS NOT MATERIALIZED (SELECT * FROM stage.part_attachment),
raw_attachment AS NOT MATERIALIZED (SELECT * FROM staging.base_attachment),
int_ticket_events AS NOT MATERIALIZED (SELECT * FROM intermediate.int_ticket_events),
settings AS (SELECT * FROM config.settings),
raw_thread_event AS NOT MATERIALIZED (SELECT * FROM staging.base_thread_event),
stage_review_queue AS (SELECT * FROM stage.review_queue),
raw_organization AS (SELECT * FROM staging.base_organization),
outbox_companies AS (SELECT * FROM outbox.outbox_companies),
outbox_contacts AS (SELECT * FROM outbox.outbox_contacts),
raw_ticket AS (SELECT * FROM staging.base_ticket),
outbox_tickets AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_tickets),
raw_thread_entry AS (SELECT * FROM staging.base_thread_entry),
outbox_ticket_parts AS (SELECT * FROM outbox.outbox_ticket_parts),
int_tickets AS NOT MATERIALIZED (SELECT * FROM intermediate.int_tickets),
stage_part_image AS (SELECT * FROM stage.part_image),
outbox_ticket_events AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_ticket_events),
raw_faq_category AS (SELECT * FROM staging.base_faq_category),
raw_faq AS (SELECT * FROM staging.base_faq),
outbox_collections AS (SELECT * FROM outbox.outbox_collections),
outbox_articles AS (SELECT * FROM outbox.outbox_articles),
rpt_kb_exclusions AS (SELECT * FROM reports.rpt_kb_exclusions),
rpt_field_value_losses AS (SELECT * FROM reports.rpt_field_value_losses),
int_tasks AS (SELECT * FROM intermediate.int_tasks),
outbox_tasks AS (SELECT * FROM outbox.outbox_tasks),
outbox_task_notes AS (SELECT * FROM outbox.outbox_task_notes),
stage_task_parts AS NOT MATERIALIZED (SELECT * FROM stage.task_parts),
raw_task AS (SELECT * FROM staging.base_task),
int_field_values AS (SELECT * FROM intermediate.int_field_values),
int_field_answers AS (SELECT * FROM intermediate.int_field_answers),
int_field_files AS (SELECT * FROM intermediate.int_field_files),
outbox_field_files AS (SELECT * FROM outbox.outbox_field_files),
raw_note AS (SELECT * FROM staging.base_note),
stg_customer_notes AS (SELECT * FROM staging.stg_customer_notes),
outbox_customer_notes AS (SELECT * FROM outbox.outbox_customer_notes),
raw_user_email AS (SELECT * FROM staging.base_user_email),
raw_user AS (SELECT * FROM staging.base_user),
raw_user_account AS (SELECT * FROM staging.base_user_account),
stg_users AS (SELECT * FROM staging.stg_users),
int_contacts AS (SELECT * FROM intermediate.int_contacts),
int_account_managers AS (SELECT * FROM intermediate.int_account_managers),
int_collaborators AS NOT MATERIALIZED (SELECT * FROM intermediate.int_collaborators),
outbox_ticket_participants AS (SELECT * FROM outbox.outbox_ticket_participants),
raw_canned_response AS (SELECT * FROM staging.base_canned_response),
raw_queue AS (SELECT * FROM staging.base_queue),
raw_email AS (SELECT * FROM staging.base_email),

-- Users' addresses besides the primary one, as stored, and as carried (deduplicated, per user).
other_addresses AS (
    SELECT (SELECT count(*) FROM raw_user_email e JOIN raw_user u ON u.id = e.user_id
            WHERE e.id <> u.default_email_id) AS stored,
           (SELECT coalesce(sum(len(other_emails)), 0) FROM stg_users) AS distinct_,
           (SELECT coalesce(sum(len(u.other_emails)), 0) FROM stg_users u JOIN int_contacts c USING (user_id)) AS carried
),

-- Files of file-upload fields (attachment type 'E'), each with what became of it.
field_files AS (
    SELECT a.id, a.file_id,
           a.file_id IN (SELECT file_id FROM int_field_files WHERE reason IS NULL) AS carried,
           coalesce((SELECT min(ff.reason) FROM int_field_files ff WHERE ff.file_id = a.file_id),
                    'no answer of its field names it (an upload replaced or removed)') AS reason
    FROM raw_attachment a WHERE a.type = 'E'
),

loaded AS (
    SELECT object_type, count(*) AS n FROM load_ledger
    WHERE status IN ('created', 'existing') GROUP BY 1
),

files_loaded AS (
    SELECT a.attachment_id, a.image_n FROM outbox_attachments a JOIN load_ledger l
      ON (a.carrier = 'note' AND l.object_type = 'attachment_note' AND l.source_key = a.entry_id || ':' || a.batch)
      OR (a.carrier = 'part' AND l.object_type = 'part' AND l.source_key = a.entry_id::VARCHAR)
    WHERE l.status IN ('created', 'existing')
),

verify AS (
    SELECT object_type, checked, mismatched FROM load_verify_run WHERE NOT sample
    QUALIFY row_number() OVER (PARTITION BY object_type ORDER BY run_at DESC) = 1
),

reasons AS (
    SELECT 'tickets' AS object, reason, count(*) AS n FROM rpt_ticket_exclusions GROUP BY ALL
    UNION ALL SELECT 'users', reason, count(*) FROM rpt_contact_exclusions WHERE outcome = 'excluded' GROUP BY ALL
    UNION ALL SELECT 'thread entries', reason, count(*) FROM rpt_part_exclusions GROUP BY ALL
    UNION ALL SELECT 'thread entries', reason, count(*) FROM stage_split_excluded GROUP BY ALL
    UNION ALL SELECT 'files', reason, count(*) FROM rpt_attachment_exclusions WHERE attachment_id IS NOT NULL GROUP BY ALL
    UNION ALL SELECT 'pasted images', reason, count(*) FROM rpt_attachment_exclusions WHERE attachment_id IS NULL GROUP BY ALL
    UNION ALL SELECT 'quoted mail history', 'kept in stage.parts.quoted_html, not sent: it quotes earlier mail, mostly the thread''s own messages', count(*)
        FROM stage_parts WHERE quoted_html IS NOT NULL HAVING count(*) > 0
    UNION ALL SELECT 'files', 'holds the text of its entry (sent as that part''s body)', count(*)
        FROM stage_part_attachment WHERE role = 'body' HAVING count(*) > 0
    UNION ALL SELECT 'files', 'on a task''s entry (counted per task in the Tasks sheet)', count(*)
        FROM raw_attachment a WHERE a.type = 'H' AND a.object_id IN (SELECT entry_id FROM stage_task_parts) HAVING count(*) > 0
    UNION ALL SELECT 'files', 'on an entry that is not sent (a superseded edit)', count(*)
        FROM raw_attachment a WHERE a.type = 'H'
          AND a.object_id NOT IN (SELECT entry_id FROM stage_task_parts)
          AND NOT EXISTS (SELECT 1 FROM stage_part_attachment p WHERE p.attachment_id = a.id) HAVING count(*) > 0
    UNION ALL SELECT 'activity events', fate, count(*) FROM int_ticket_events WHERE fate <> 'send' GROUP BY ALL
    UNION ALL SELECT 'activity events', 'events = "skip" in ostmig.toml', count(*) FROM int_ticket_events
        WHERE fate = 'send' AND (SELECT events FROM settings) = 'skip' HAVING count(*) > 0
    UNION ALL SELECT 'activity events', 'on a thread that is not a ticket''s (a task, or a deleted ticket)', count(*) FROM raw_thread_event te
        WHERE te.id NOT IN (SELECT event_id FROM int_ticket_events) HAVING count(*) > 0
    UNION ALL SELECT 'custom-field values', reason, count(*) FROM rpt_field_value_losses GROUP BY ALL
    UNION ALL SELECT 'form-field files', reason, count(*) FROM field_files WHERE NOT carried GROUP BY ALL
    UNION ALL SELECT 'collaborators', reason, count(*) FROM int_collaborators WHERE reason IS NOT NULL GROUP BY ALL
    UNION ALL SELECT 'tasks', reason, count(*) FROM int_tasks WHERE outcome <> 'migrate' GROUP BY ALL
    UNION ALL SELECT 'thread entries', 'of a task that is not migrated (listed in the Tasks sheet)', count(*)
        FROM stage_task_parts WHERE task_id NOT IN (SELECT task_id FROM outbox_tasks) HAVING count(*) > 0
    UNION ALL SELECT 'staff notes', CASE WHEN n.empty THEN 'empty: nothing to carry'
                                         WHEN n.target IS NULL THEN 'about neither a user nor an organization'
                                         ELSE 'its user or organization is not migrated' END, count(*)
        FROM stg_customer_notes n WHERE n.note_id NOT IN (SELECT note_id FROM outbox_customer_notes) GROUP BY ALL
    UNION ALL SELECT 'other e-mail addresses', 'repeats the user''s primary address or another of their rows', stored - distinct_
        FROM other_addresses WHERE stored > distinct_
    UNION ALL SELECT 'other e-mail addresses', 'the user is not migrated', distinct_ - carried
        FROM other_addresses WHERE distinct_ > carried
    UNION ALL SELECT 'client-portal accounts', 'the user is not migrated', count(*)
        FROM stg_users u WHERE u.portal_account IS NOT NULL AND u.user_id NOT IN (SELECT user_id FROM int_contacts) HAVING count(*) > 0
    UNION ALL SELECT 'client-portal accounts', 'a second account of the same user', count(*) - count(DISTINCT user_id)
        FROM raw_user_account HAVING count(*) > count(DISTINCT user_id)
    UNION ALL SELECT 'account managers', problem, count(*) FROM int_account_managers WHERE admin_id IS NULL GROUP BY ALL
    -- What Intercom's API cannot create: listed in automation-inventory.xlsx to rebuild by hand.
    UNION ALL SELECT 'canned responses', 'the API creates no macros: rebuild each from the automation inventory''s "Canned responses" sheet', count(*)
        FROM raw_canned_response HAVING count(*) > 0
    UNION ALL SELECT 'queues', 'the API creates no views: rebuild each from the automation inventory''s "Queues" sheet', count(*)
        FROM raw_queue HAVING count(*) > 0
    UNION ALL SELECT 'e-mail addresses', 'mail is not an API object: forward each address as the automation inventory''s "E-mail routing" sheet says', count(*)
        FROM raw_email HAVING count(*) > 0
    UNION ALL SELECT 'FAQ categories', 'private (agents only): no collection, their FAQs become internal articles', count(*)
        FROM rpt_kb_exclusions WHERE item = 'category' HAVING count(*) > 0
    UNION ALL SELECT 'FAQ files', CASE item WHEN 'file' THEN 'attachments: Intercom''s article API takes no files'
                                       ELSE 'inline images: Intercom''s article API takes no files' END, count(*)
        FROM rpt_kb_exclusions WHERE item IN ('file', 'inline image') GROUP BY ALL
),

excluded AS (
    SELECT object, sum(n)::BIGINT AS n,
           string_agg(reason || ' (' || n || ')', '; ' ORDER BY n DESC, reason) AS why
    FROM reasons GROUP BY 1
),

review AS (
    SELECT 'thread entries' AS object, count(*) AS n FROM stage_review_queue q
    WHERE q.object_type = 'thread_entry'
      AND q.object_id NOT IN (SELECT entry_id FROM stage_parts)
      AND q.object_id NOT IN (SELECT entry_id FROM stage_split_excluded)
),

counts AS (
    SELECT 1 AS ord, 'organizations' AS object, 'companies' AS becomes,
           (SELECT count(*) FROM raw_organization) AS in_osticket,
           (SELECT count(*) FROM outbox_companies) AS staged,
           (SELECT n FROM loaded WHERE object_type = 'company') AS loaded,
           'company' AS verified_as
    UNION ALL
    SELECT 2, 'users', 'contacts', (SELECT count(*) FROM staging.base_user),
           (SELECT count(*) FROM outbox_contacts),
           (SELECT n FROM loaded WHERE object_type = 'contact'), 'contact'
    UNION ALL
    SELECT 3, 'tickets', 'tickets', (SELECT count(*) FROM raw_ticket),
           (SELECT count(*) FROM outbox_tickets),
           (SELECT n FROM loaded WHERE object_type = 'ticket'), 'ticket'
    UNION ALL
    SELECT 4, 'thread entries', 'descriptions, replies and notes (a task''s: notes on its back-office ticket)', (SELECT count(*) FROM raw_thread_entry),
           (SELECT count(*) FROM outbox_ticket_parts)
             + (SELECT count(*) FROM outbox_tickets t JOIN int_tickets i USING (ticket_id)
                WHERE i.description_entry_id IS NOT NULL)
             + (SELECT count(*) FROM outbox_task_notes),
           (SELECT n FROM loaded WHERE object_type = 'part')
             + coalesce((SELECT n FROM loaded WHERE object_type = 'task_note'), 0)
             + (SELECT count(*) FROM load_ledger l JOIN outbox_tickets t ON t.number = l.source_key
                JOIN int_tickets i USING (ticket_id)
                WHERE l.object_type = 'ticket' AND l.status IN ('created', 'existing') AND i.description_entry_id IS NOT NULL),
           NULL
    UNION ALL
    SELECT 5, 'files', 'files of their reply or note, or of the note right after it', (SELECT count(*) FROM raw_attachment WHERE type = 'H'),
           (SELECT count(*) FROM outbox_attachments WHERE attachment_id IS NOT NULL),
           (SELECT count(*) FROM files_loaded WHERE attachment_id IS NOT NULL),
           NULL
    UNION ALL
    SELECT 3.5, 'collaborators', 'participants of their ticket (participants = "notes": named in its CC note)',
           (SELECT count(*) FROM int_collaborators),
           (SELECT count(*) FROM int_collaborators WHERE reason IS NULL),
           (SELECT count(*) FROM int_collaborators c JOIN outbox_ticket_participants p
              ON p.participant_key = CASE p.kind WHEN 'participant' THEN c.number || ':' || c.external_id ELSE c.number || ':cc' END
            JOIN load_ledger l ON l.object_type = CASE p.kind WHEN 'participant' THEN 'participant' ELSE 'cc_note' END
             AND l.source_key = p.participant_key AND l.status IN ('created', 'existing')
            WHERE c.reason IS NULL),
           NULL
    UNION ALL
    SELECT 5.2, 'form-field files', 'files of a note on their ticket naming the field', (SELECT count(*) FROM field_files),
           (SELECT count(*) FROM field_files WHERE carried),
           (SELECT coalesce(sum(o.files), 0) FROM outbox_field_files o JOIN load_ledger l
              ON l.object_type = 'field_files' AND l.source_key = o.field_key
            WHERE l.status IN ('created', 'existing')),
           NULL
    UNION ALL
    SELECT 5.5, 'pasted images', 'files of their part (data: images in bodies)', (SELECT count(*) FROM stage_part_image),
           (SELECT count(*) FROM outbox_attachments WHERE image_n IS NOT NULL),
           (SELECT count(*) FROM files_loaded WHERE image_n IS NOT NULL),
           NULL
    UNION ALL
    SELECT 5.7, 'quoted mail history', 'not sent (listed)', (SELECT count(*) FROM stage_parts WHERE quoted_html IS NOT NULL),
           0, NULL, NULL
    UNION ALL
    SELECT 6, 'activity events', 'admin notes (events = "notes" or "summary")', (SELECT count(*) FROM raw_thread_event),
           (SELECT coalesce(sum(events), 0) FROM outbox_ticket_events),
           (SELECT coalesce(sum(o.events), 0) FROM outbox_ticket_events o JOIN load_ledger l
              ON l.object_type = 'event' AND l.source_key = o.event_key
            WHERE l.status IN ('created', 'existing')),
           NULL
    UNION ALL
    SELECT 6.5, 'custom-field values', 'contact, company and ticket attributes',
           (SELECT count(*) FROM int_field_answers),
           (SELECT count(*) FROM int_field_values WHERE coalesce(problem, '') = '')
             + (SELECT count(*) FROM (SELECT 1 FROM int_field_files GROUP BY object_type, object_id, field_id
                                      HAVING count(*) = count(*) FILTER (WHERE reason IS NULL))),
           NULL, NULL
    UNION ALL
    SELECT 6.7, 'tasks', 'back-office tickets linked to their ticket', (SELECT count(*) FROM raw_task),
           (SELECT count(*) FROM outbox_tasks), (SELECT n FROM loaded WHERE object_type = 'task'), 'task'
    UNION ALL
    SELECT 6.8, 'staff notes', 'contact and company notes', (SELECT count(*) FROM raw_note),
           (SELECT count(*) FROM outbox_customer_notes),
           (SELECT sum(n)::BIGINT FROM loaded WHERE object_type IN ('contact_note', 'company_note')), NULL
    UNION ALL
    SELECT 6.81, 'other e-mail addresses', 'contact attribute (mail from them opens a new lead: listed)',
           (SELECT stored FROM other_addresses), (SELECT carried FROM other_addresses), NULL, NULL
    UNION ALL
    SELECT 6.82, 'client-portal accounts', 'contact attribute with the account''s state (the account cannot move)',
           (SELECT count(*) FROM raw_user_account),
           (SELECT count(*) FROM stg_users u JOIN int_contacts c USING (user_id) WHERE u.portal_account IS NOT NULL),
           NULL, NULL
    UNION ALL
    SELECT 6.83, 'account managers', 'owner of the organization''s contacts',
           (SELECT count(*) FROM int_account_managers),
           (SELECT count(*) FROM int_account_managers WHERE admin_id IS NOT NULL), NULL, NULL
    UNION ALL
    SELECT 7, 'FAQ categories', 'Help Center collections', (SELECT count(*) FROM raw_faq_category),
           (SELECT count(*) FROM outbox_collections),
           (SELECT n FROM loaded WHERE object_type = 'collection'), 'collection'
    UNION ALL
    SELECT 8, 'FAQs', 'articles (internal articles for private categories)', (SELECT count(*) FROM raw_faq),
           (SELECT count(*) FROM outbox_articles),
           (SELECT sum(n)::BIGINT FROM loaded WHERE object_type IN ('article', 'internal_article')), 'article'
    UNION ALL
    SELECT 9.5, 'canned responses', 'macros, rebuilt by hand (listed)', (SELECT count(*) FROM raw_canned_response), 0, NULL, NULL
    UNION ALL
    SELECT 9.6, 'queues', 'Inbox views, rebuilt by hand (listed)', (SELECT count(*) FROM raw_queue), 0, NULL, NULL
    UNION ALL
    SELECT 9.7, 'e-mail addresses', 'forwarding and Workflows, set up by hand (listed)', (SELECT count(*) FROM raw_email), 0, NULL, NULL
    UNION ALL
    SELECT 9, 'FAQ files', 'not sent (listed)', (SELECT count(*) FROM raw_attachment WHERE type = 'F'),
           0, NULL, NULL
),

final AS (
    SELECT c.object, c.becomes, c.in_osticket, c.staged,
           coalesce(e.n, 0) AS excluded, e.why AS excluded_because,
           coalesce(r.n, 0) AS in_review,
           c.in_osticket - c.staged - coalesce(e.n, 0) - coalesce(r.n, 0) AS unaccounted,
           coalesce(c.loaded, 0) AS loaded,
           v.checked AS verified, v.mismatched AS with_differences
    FROM counts c
    LEFT JOIN excluded e USING (object)
    LEFT JOIN review r USING (object)
    LEFT JOIN verify v ON v.object_type = c.verified_as
    ORDER BY c.ord
)

SELECT * FROM final;
