-- check: replies, notes, attachment notes, activity notes and task notes that have no Intercom admin to post them
-- severity: error
-- Why: Intercom needs an admin_id on every admin reply. Agents' parts get one once their admin is
-- imported or mapped (see agents_blocking); system entries, messages from non-contacts and file
-- notes use [admins] fallback = "<admin e-mail>" in ostmig.toml, which must name an imported admin.
SELECT 'part' AS what, ticket_id, entry_id, kind AS detail
FROM outbox.outbox_ticket_parts
WHERE route <> 'contact_comment' AND admin_id IS NULL
UNION ALL
SELECT 'attachment note', ticket_id, entry_id, name
FROM outbox.outbox_attachments
WHERE admin_id IS NULL
UNION ALL
SELECT 'activity note', ticket_id, NULL, event_key
FROM outbox.outbox_ticket_events
WHERE admin_id IS NULL
UNION ALL
SELECT 'form-field files note', ticket_id, NULL, field_key
FROM outbox.outbox_field_files
WHERE admin_id IS NULL
UNION ALL
-- A task's entry by no agent of the workspace is posted by the fallback admin.
SELECT 'task note (task ' || task_id || ')', NULL, entry_id, task_key
FROM outbox.outbox_task_notes
WHERE admin_id IS NULL
UNION ALL
-- osTicket records no FAQ author: the fallback admin writes (and owns) every article.
SELECT 'article (FAQ ' || faq_id || ')', NULL, NULL, question
FROM outbox.outbox_articles
WHERE author_id IS NULL;
