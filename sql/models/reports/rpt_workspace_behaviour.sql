-- reports.rpt_workspace_behaviour: what the target workspace does, as `ostmig probe` found it,
-- and beside it what only a person can check, each with why and how.
-- Grain: one row per probe question answered (or one saying none was), one per load strategy
-- decision, then one per manual check.
-- Why: the load's strategy follows the probe's answers (participants, search window,
-- rollback, a customer's files, the request size: intermediate.int_workspace_strategy, listed
-- here as the last transform decided it); the rest (Workflows, notifications, plan tier, download permissions, who sees the
-- tickets) no API call can find out, and a migration that skips them e-mails customers or
-- shows them internal notes. A view: it follows probe.result as `ostmig probe` runs.
CREATE OR REPLACE VIEW reports.rpt_workspace_behaviour AS
WITH
probe_result AS NOT MATERIALIZED (SELECT * FROM probe.result),
strategy AS (SELECT * FROM intermediate.int_workspace_strategy),
outbox_attachments AS (SELECT * FROM outbox.outbox_attachments),

extensions AS (
    SELECT string_agg(ext, ', ' ORDER BY ext) AS list
    FROM (SELECT DISTINCT lower(regexp_extract(name, '\.([A-Za-z0-9]{1,8})$', 1)) AS ext
          FROM outbox_attachments
          WHERE regexp_extract(name, '\.([A-Za-z0-9]{1,8})$', 1) <> '')
),

-- Answers a person recorded (`ostmig probe --answer`) stand beside their manual check below.
by_hand AS (
    SELECT * FROM probe_result WHERE question_id IN ('notes_hidden_from_customers')
),

probed AS (
    SELECT 1 AS ord, 'probed' AS kind, question, answer,
           evidence || ' (' || workspace || ', ' || strftime(probed_at, '%Y-%m-%d %H:%M UTC') || ')' AS how
    FROM probe_result
    WHERE question_id NOT IN (SELECT question_id FROM by_hand)
    UNION ALL
    SELECT 1, 'probed', 'Workspace behaviour', 'not probed',
           'run `ostmig probe --apply` against the customer''s sandbox: the load then uses what it finds instead of its safe defaults'
    WHERE NOT EXISTS (SELECT 1 FROM probe_result WHERE question_id NOT IN (SELECT question_id FROM by_hand))
),

-- What the load does about each, as the last transform decided (re-run it after a probe).
decided AS (
    SELECT 2 AS ord, 'load strategy' AS kind, replace(decision, '_', ' ') AS question,
           coalesce(value, 'as given') AS answer,
           why || CASE WHEN answer IS NULL THEN ' [not probed]' ELSE '' END AS how
    FROM strategy
),

manual(ord, question_id, question, how) AS (
    VALUES
    (3, NULL, 'Workflows, Series and outbound messages paused?',
        'they fire on tickets the API creates and spend the same rate limit: pause every live one (Settings › Workflows, Outbound) until verify is clean, or add a rule that skips tickets with an "osTicket number"'),
    (4, 'notes_hidden_from_customers', 'Plan tier: are internal notes hidden from customers?',
        'the service this tool replaces warns that on Starter/Essential plans internal notes can be visible to customers: check the plan (Settings › Billing) and record it (`ostmig probe --answer notes_hidden_from_customers=yes --by NAME`); where they would be visible, set [notes] policy = "skip" before the load. Until one or the other, the load refuses to post internal notes'),
    (5, NULL, 'Customers not e-mailed?',
        'every write carries skip_notifications, but no API call can prove that nothing is sent: rehearse on a sandbox where every contact''s address is a mailbox you control, and count the mail'),
    (6, NULL, 'File extensions allowed for download?',
        'Intercom lets agents download only .pdf, .png, .jpg, .gif and .txt by default: allow the others the migration carries (Settings › Inbox › Attachments): ' || coalesce((SELECT list FROM extensions), 'none')),
    (7, NULL, 'Who will see the migrated Customer tickets?',
        'Customer tickets are shared with their contact (Messenger, tickets portal) and, in the tickets portal, with the members of their company: decide whether the history should be visible there before the load')
),

final AS (
    SELECT kind, question, answer, how FROM (
        SELECT ord, kind, question, answer, how FROM probed
        UNION ALL
        SELECT ord, kind, question, answer, how FROM decided
        UNION ALL
        SELECT m.ord, 'check by hand', m.question, b.answer,
               m.how || coalesce(' [' || b.evidence || ', ' || strftime(b.probed_at, '%Y-%m-%d %H:%M UTC') || ']', '')
        FROM manual m LEFT JOIN by_hand b USING (question_id))
    ORDER BY ord, question
)

SELECT * FROM final;
