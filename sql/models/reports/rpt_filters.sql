-- reports.rpt_filters: every ticket filter with its rules and actions in plain words.
-- Grain: one row per raw.filter, in execution order.
-- Why: osTicket filters route, prioritise, auto-reply and reject incoming mail; none of that
-- moves with the data. The customer's admin rebuilds each as an Intercom workflow from this
-- list. Rule fields `field.<id>` name a form field; actions carry their target in JSON.
CREATE OR REPLACE TABLE reports.rpt_filters AS
WITH
raw_filter_rule AS (SELECT * FROM staging.base_filter_rule),
raw_form_field AS (SELECT * FROM staging.base_form_field),
raw_filter_action AS (SELECT * FROM staging.base_filter_action),
stg_departments AS (SELECT * FROM staging.stg_departments),
raw_ticket_priority AS (SELECT * FROM staging.base_ticket_priority),
raw_team AS (SELECT * FROM staging.base_team),
stg_staff AS (SELECT * FROM staging.stg_staff),
raw_sla AS (SELECT * FROM staging.base_sla),
stg_help_topics AS (SELECT * FROM staging.stg_help_topics),
raw_ticket_status AS (SELECT * FROM staging.base_ticket_status),
raw_canned_response AS (SELECT * FROM staging.base_canned_response),
int_team_inboxes AS (SELECT * FROM intermediate.int_team_inboxes),
raw_filter AS (SELECT * FROM staging.base_filter),

rules AS (
    SELECT r.filter_id,
           string_agg(
               CASE
                   WHEN r.what LIKE 'field.%' THEN coalesce('field "' || coalesce(ff.label, ff.name) || '"', r.what)
                   ELSE CASE r.what WHEN 'name' THEN 'sender name' WHEN 'email' THEN 'sender e-mail'
                                    WHEN 'reply-to' THEN 'Reply-To address' WHEN 'reply-to-name' THEN 'Reply-To name'
                                    WHEN 'addressee' THEN 'recipient' ELSE r.what END
               END || ' '
               || CASE r.how WHEN 'equal' THEN 'is' WHEN 'not_equal' THEN 'is not' WHEN 'contains' THEN 'contains'
                             WHEN 'dn_contain' THEN 'does not contain' WHEN 'starts' THEN 'starts with'
                             WHEN 'ends' THEN 'ends with' WHEN 'match' THEN 'matches the pattern'
                             WHEN 'not_match' THEN 'does not match the pattern' ELSE r.how END
               || ' "' || r.val || '"'
               || CASE WHEN r.isactive = 0 THEN ' (rule disabled)' ELSE '' END,
               '; ' ORDER BY r.id) AS rules
    FROM raw_filter_rule r
    LEFT JOIN raw_form_field ff ON r.what = 'field.' || ff.id
    GROUP BY 1
),

actions AS (
    SELECT a.filter_id, a.sort, a.id, a.type,
           json_extract_string(CASE WHEN json_valid(a.configuration) THEN a.configuration END, '$.' || CASE a.type
               WHEN 'dept' THEN 'dept_id' WHEN 'pri' THEN 'priority' WHEN 'team' THEN 'team_id'
               WHEN 'agent' THEN 'staff_id' WHEN 'sla' THEN 'sla_id' WHEN 'topic' THEN 'topic_id'
               WHEN 'status' THEN 'status_id' WHEN 'canned' THEN 'canned_id' WHEN 'email' THEN 'recipients'
               ELSE 'x' END) AS target_id
    FROM raw_filter_action a
),

named AS (
    SELECT a.*,
           CASE a.type
               WHEN 'dept' THEN (SELECT d.full_name FROM stg_departments d WHERE d.dept_id::VARCHAR = a.target_id)
               WHEN 'pri' THEN (SELECT p.priority FROM raw_ticket_priority p WHERE p.priority_id::VARCHAR = a.target_id)
               WHEN 'team' THEN (SELECT t.name FROM raw_team t WHERE t.team_id::VARCHAR = a.target_id)
               WHEN 'agent' THEN (SELECT s.name FROM stg_staff s WHERE s.staff_id::VARCHAR = a.target_id)
               WHEN 'sla' THEN (SELECT l.name FROM raw_sla l WHERE l.id::VARCHAR = a.target_id)
               WHEN 'topic' THEN (SELECT h.full_name FROM stg_help_topics h WHERE h.topic_id::VARCHAR = a.target_id)
               WHEN 'status' THEN (SELECT s.name FROM raw_ticket_status s WHERE s.id::VARCHAR = a.target_id)
               WHEN 'canned' THEN (SELECT c.title FROM raw_canned_response c WHERE c.canned_id::VARCHAR = a.target_id)
               ELSE a.target_id END AS target
    FROM actions a
),

words AS (
    SELECT filter_id,
           string_agg(CASE type
               WHEN 'reject' THEN 'reject the message (no ticket is created)'
               WHEN 'replyto' THEN 'reply to the Reply-To address'
               WHEN 'noresp' THEN 'send no auto-response'
               WHEN 'canned' THEN 'auto-reply with canned response "' || coalesce(target, '?') || '"'
               WHEN 'dept' THEN 'route to department "' || coalesce(target, '?') || '"'
               WHEN 'pri' THEN 'set priority ' || coalesce(target, '?')
               WHEN 'team' THEN 'assign to team "' || coalesce(target, '?') || '"'
               WHEN 'agent' THEN 'assign to agent ' || coalesce(target, '?')
               WHEN 'sla' THEN 'set SLA plan "' || coalesce(target, '?') || '"'
               WHEN 'topic' THEN 'set help topic "' || coalesce(target, '?') || '"'
               WHEN 'status' THEN 'set status ' || coalesce(target, '?')
               WHEN 'email' THEN 'forward an alert to ' || coalesce(target, '?')
               ELSE type || ' ' || coalesce(target, '') END, '; ' ORDER BY sort, id) AS actions,
           string_agg(CASE type
               WHEN 'reject' THEN 'block the sender (Workflows cannot drop mail; use spam and blocked-people settings)'
               WHEN 'replyto' THEN 'nothing (Intercom replies to the contact)'
               WHEN 'noresp' THEN 'leave out the auto-reply step'
               WHEN 'canned' THEN 'send the macro "' || coalesce(target, '?') || '" as a reply'
               WHEN 'dept' THEN 'assign to team inbox "' || coalesce((SELECT i.expected_team FROM int_team_inboxes i WHERE i.dept_id::VARCHAR = target_id), target, '?') || '"'
               WHEN 'pri' THEN 'set the ticket attribute Priority to ' || coalesce(target, '?')
               WHEN 'team' THEN 'assign to team inbox "' || coalesce(target, '?') || '"'
               WHEN 'agent' THEN 'assign to teammate ' || coalesce(target, '?')
               WHEN 'sla' THEN 'apply SLA "' || coalesce(target, '?') || '"'
               WHEN 'topic' THEN 'tag "' || coalesce(target, '?') || '"'
               WHEN 'status' THEN 'set the ticket state that status maps to'
               WHEN 'email' THEN 'notify with a teammate mention or an external webhook'
               ELSE 'review by hand' END, '; ' ORDER BY sort, id) AS rebuild
    FROM named GROUP BY 1
),

final AS (
    SELECT f.id::BIGINT AS filter_id,
           f.execorder::BIGINT AS run_order,
           f.name,
           f.isactive <> 0 AS active,
           CASE f.target WHEN 'Any' THEN 'every channel' WHEN 'Web' THEN 'web portal' WHEN 'Email' THEN 'e-mail'
                         WHEN 'API' THEN 'API' ELSE f.target END AS applies_to,
           CASE WHEN f.match_all_rules <> 0 THEN 'all rules' ELSE 'any rule' END AS matches,
           coalesce(r.rules, '(no rules)') AS rules,
           coalesce(w.actions, '(no actions)') AS actions,
           f.stop_onmatch <> 0 AS stops_later_filters,
           nullif(trim(f.notes), '') AS notes,
           CASE WHEN f.isactive = 0 THEN 'nothing (inactive): skip it'
                ELSE 'Workflow (Settings › Automation › Workflows) on "customer sends a new message"'
                     || CASE f.target WHEN 'Email' THEN ' by e-mail' WHEN 'Web' THEN ' in the Messenger' ELSE '' END
                     || '; if ' || CASE WHEN f.match_all_rules <> 0 THEN 'all' ELSE 'any' END || ' of: '
                     || coalesce(r.rules, 'always') || '; then: ' || coalesce(w.rebuild, 'nothing')
                     || CASE WHEN f.stop_onmatch <> 0 THEN '; put it above the workflows after it' ELSE '' END
           END AS rebuild_in_intercom
    FROM raw_filter f
    LEFT JOIN rules r ON r.filter_id = f.id
    LEFT JOIN words w ON w.filter_id = f.id
    ORDER BY f.execorder, f.id
)

SELECT * FROM final;
