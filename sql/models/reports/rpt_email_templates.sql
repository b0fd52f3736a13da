-- reports.rpt_email_templates: osTicket's e-mail templates by group, with when each is sent.
-- Grain: one row per raw.email_template.
-- Why: customers' wording (auto-replies, notices) does not move as data; the admin recreates
-- what is customer-facing and drops what Intercom does itself. `code_name` values are the ones
-- include/class.template.php defines.
CREATE OR REPLACE TABLE reports.rpt_email_templates AS
WITH
raw_email_template AS (SELECT * FROM staging.base_email_template),
raw_email_template_group AS (SELECT * FROM staging.base_email_template_group),

final AS (
    SELECT g.name AS template_group,
           g.isactive <> 0 AS group_active,
           t.code_name,
           CASE t.code_name
               WHEN 'ticket.autoresp' THEN 'to the customer when a new ticket is opened'
               WHEN 'ticket.autoreply' THEN 'to the customer when a filter or help topic auto-replies with a canned response'
               WHEN 'message.autoresp' THEN 'to the customer when their new message on an open ticket arrives'
               WHEN 'ticket.notice' THEN 'to the customer when an agent opens a ticket on their behalf'
               WHEN 'ticket.overlimit' THEN 'to the customer when they reach the open-ticket limit'
               WHEN 'ticket.reply' THEN 'to the customer with every agent reply'
               WHEN 'ticket.activity.notice' THEN 'to collaborators when the thread has new activity'
               WHEN 'ticket.alert' THEN 'to agents when a new ticket arrives'
               WHEN 'message.alert' THEN 'to agents when the customer replies'
               WHEN 'note.alert' THEN 'to agents when an internal note is posted'
               WHEN 'assigned.alert' THEN 'to the agent or team a ticket is assigned to'
               WHEN 'transfer.alert' THEN 'to the department a ticket is transferred to'
               WHEN 'ticket.overdue' THEN 'to agents when a ticket becomes overdue'
               ELSE CASE WHEN t.code_name LIKE 'task.%' THEN 'about tasks (tasks do not migrate)' ELSE 'see osTicket' END
           END AS sent_when,
           t.subject,
           length(t.body) AS body_characters,
           regexp_extract_all(coalesce(t.subject, '') || ' ' || coalesce(t.body, ''), '%\{([a-z_.]+)\}', 1) AS variables_used,
           CASE
               WHEN t.code_name IN ('ticket.autoresp', 'message.autoresp', 'ticket.notice')
                   THEN 'Workflow auto-reply (or the e-mail auto-responder) with this wording; replace %{…} variables with Intercom attributes'
               WHEN t.code_name = 'ticket.reply'
                   THEN 'Intercom e-mails replies itself; copy any wording into the e-mail template (Settings › Channels › Email › Customization)'
               WHEN t.code_name IN ('ticket.alert', 'message.alert', 'note.alert', 'assigned.alert', 'transfer.alert', 'ticket.overdue')
                   THEN 'nothing to rebuild: teammates set their own notifications in Intercom'
               WHEN t.code_name = 'ticket.overlimit' THEN 'no equivalent (Intercom has no open-ticket limit)'
               WHEN t.code_name = 'ticket.activity.notice' THEN 'nothing: participants are CC''d on replies'
               ELSE 'review by hand'
           END AS rebuild_in_intercom
    FROM raw_email_template t
    LEFT JOIN raw_email_template_group g ON g.tpl_id = t.tpl_id
    ORDER BY g.name, t.code_name
)

SELECT * FROM final;
