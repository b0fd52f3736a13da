-- intermediate.int_workspace_strategy: how the load meets each behaviour of the target workspace
-- that Intercom does not document, and why: from `ostmig probe`'s answer, or the safe choice
-- where the question was not probed.
-- Grain: one row per decision.
-- Why: the outbox models read their choices here and nowhere else, so the requests follow the
-- probe's answers, never a guess; `answer` records the answer each choice was made from, so
-- the load refuses an outbox built before the probe answered otherwise (run `ostmig transform`
-- again), and `ostmig check` warns of every decision taken without an answer
-- (probe_unanswered). `value` is what a model reads (a flag or a number).
CREATE OR REPLACE TABLE intermediate.int_workspace_strategy AS
WITH settings AS (SELECT * FROM config.settings),
probe_result AS (SELECT * FROM probe.result),

answers AS (
    SELECT question_id, answer FROM probe_result
    -- "not probed" and "unknown" are no answer: the safe choice stands.
    WHERE answer NOT IN ('not probed', 'unknown')
),

asked(decision, question_id) AS (
    VALUES
    ('participants', 'participants_on_tickets'),
    ('reply_times', 'backdated_replies_keep_time'),
    ('contact_reply_files', 'contact_reply_files'),
    ('request_bytes', 'largest_request_bytes'),
    ('file_bytes', 'largest_request_bytes'),
    ('search_window', 'search_lag_seconds'),
    ('rollback', 'deletes_allowed'),
    ('attribute_names', 'underscore_in_attribute_names')
),

decided AS (
    SELECT a.decision, a.question_id, r.answer,
           CASE a.decision
               WHEN 'participants' THEN s.participants
               WHEN 'reply_times' THEN CASE WHEN r.answer = 'no' THEN 'in_body' ELSE 'as_sent' END
               WHEN 'contact_reply_files' THEN CASE WHEN r.answer = 'yes' THEN 'on_reply' ELSE 'note_after' END
               WHEN 'request_bytes' THEN CASE
                   WHEN try_cast(r.answer AS BIGINT) > 0
                   THEN least(s.attachments_request_bytes, r.answer::BIGINT)::VARCHAR
                   ELSE s.attachments_request_bytes::VARCHAR END
               -- A file goes alone when it must: its base64 has to fit in one request.
               WHEN 'file_bytes' THEN CASE
                   WHEN try_cast(r.answer AS BIGINT) > 0
                   THEN least(s.attachments_limit_bytes, r.answer::BIGINT // 4 * 3)::VARCHAR
                   ELSE s.attachments_limit_bytes::VARCHAR END
               WHEN 'search_window' THEN CASE
                   WHEN try_cast(r.answer AS DOUBLE) IS NOT NULL
                   -- The longer of the contact and ticket lags, three times over.
                   THEN (3 * greatest(r.answer::DOUBLE,
                                      coalesce(try_cast((SELECT answer FROM answers WHERE question_id = 'ticket_search_lag_seconds') AS DOUBLE), 0)))::BIGINT::VARCHAR
                   ELSE NULL END
               WHEN 'rollback' THEN CASE r.answer WHEN 'yes' THEN 'possible' WHEN 'no' THEN 'refused' ELSE 'asked_at_rollback' END
               WHEN 'attribute_names' THEN CASE r.answer WHEN 'yes' THEN 'letters, digits, - and _' ELSE 'letters, digits and -' END
           END AS value,
           CASE a.decision
               WHEN 'participants' THEN CASE
                   WHEN r.answer IS NULL THEN 'participants = "' || s.participants || '" as configured; a workspace that refuses participants fails every CC''s reply: probe first'
                   WHEN r.answer = 'no' AND s.participants = 'add' THEN 'the workspace refuses participants: set participants = "notes" (`ostmig check` refuses the load)'
                   ELSE 'participants = "' || s.participants || '"; the workspace ' || CASE r.answer WHEN 'yes' THEN 'accepts' ELSE 'refuses' END || ' participants' END
               WHEN 'reply_times' THEN CASE
                   WHEN r.answer IS NULL THEN 'replies are sent with their osTicket time and assumed to keep it (not probed)'
                   WHEN r.answer = 'no' THEN 'the workspace moves older replies to the ticket''s time: each entry ends with "Posted in osTicket on …"'
                   ELSE 'the workspace keeps each reply''s created_at' END
               WHEN 'contact_reply_files' THEN CASE
                   WHEN r.answer IS NULL THEN 'the safe choice (not probed): a customer''s files go in an admin note right after their message'
                   WHEN r.answer = 'yes' THEN 'a customer''s files travel on their own message (POST /conversations/{id}/reply)'
                   ELSE 'the workspace drops files on a customer''s reply: they go in an admin note right after it' END
               WHEN 'request_bytes' THEN CASE
                   WHEN try_cast(r.answer AS BIGINT) > 0 AND r.answer::BIGINT < s.attachments_request_bytes
                   THEN 'the largest request the probe saw the workspace take held ' || r.answer || ' bytes of base64 files: attachments.request_bytes lowered to that'
                   WHEN try_cast(r.answer AS BIGINT) > 0 THEN 'attachments.request_bytes; the probe saw the workspace take ' || r.answer || ' bytes of base64 files in one request'
                   ELSE 'attachments.request_bytes as configured (not probed: the workspace''s limit is unknown)' END
               WHEN 'file_bytes' THEN CASE
                   WHEN try_cast(r.answer AS BIGINT) > 0 AND r.answer::BIGINT // 4 * 3 < s.attachments_limit_bytes
                   THEN 'a file''s base64 must fit in the largest request the workspace took (' || r.answer || ' bytes): larger files are listed in the attachment exclusions'
                   ELSE 'attachments.limit_bytes: larger files are listed in the attachment exclusions' END
               WHEN 'search_window' THEN CASE
                   WHEN try_cast(r.answer AS DOUBLE) IS NOT NULL THEN 'the load waits at least this many seconds (3 × the longer search lag measured) before trusting that a lost create did not happen'
                   WHEN r.answer IS NULL THEN '--search-window as given (default 300 s; not probed)'
                   ELSE 'search lagged more than the probe waited: give --search-window at least 3 × that' END
               WHEN 'rollback' THEN CASE r.answer
                   WHEN 'yes' THEN 'the workspace allows ticket deletes'
                   WHEN 'no' THEN 'the workspace refuses ticket deletes: `ostmig rollback` refuses before it deletes anything; rehearse on a sandbox that allows them'
                   ELSE 'rollback asks Intercom before it deletes anything (not probed)' END
               WHEN 'attribute_names' THEN CASE r.answer
                   WHEN 'yes' THEN 'the workspace accepts _ in a data attribute''s name'
                   WHEN 'no' THEN 'the workspace refuses _ in a data attribute''s name: `ostmig check` refuses a mapped name with one (probe_attribute_names_refused)'
                   ELSE 'the proposed names use letters, digits and - only; a name mapped with _ may be refused (not probed)' END
           END AS why
    FROM asked a
    CROSS JOIN settings s
    LEFT JOIN answers r USING (question_id)
),

final AS (
    SELECT decision, question_id, answer, value, why FROM decided ORDER BY decision
)

SELECT * FROM final;
