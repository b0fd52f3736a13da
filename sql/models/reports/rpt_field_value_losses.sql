-- reports.rpt_field_value_losses: every custom-field answer that does not arrive whole, with its
-- raw value and why.
-- Grain: one row per intermediate.int_field_answers row that is not sent, or is sent with a loss.
-- Why: every value either arrives or is listed. An answer that does not parse as its
-- attribute's type (a date, a number) is sent empty or not at all; a field with no Intercom type
-- (files on contacts and companies) carries nothing; a ticket's file-upload answer is a loss
-- only when one of its files is not carried (intermediate.int_field_files says why); a time
-- zone osTicket wrote that ostmig does not know is read as UTC. The reconciliation counts from
-- here.
CREATE OR REPLACE TABLE reports.rpt_field_value_losses AS
WITH
int_field_answers AS (SELECT * FROM intermediate.int_field_answers),
int_field_values AS (SELECT * FROM intermediate.int_field_values),
int_field_files AS (SELECT * FROM intermediate.int_field_files),

-- A file-upload answer arrives whole when each of its files is carried (outbox_field_files).
file_answers AS (
    SELECT object_type, object_id, field_id, count(*) AS files,
           count(*) FILTER (WHERE reason IS NULL) AS carried,
           string_agg(DISTINCT reason, '; ' ORDER BY reason) AS reasons
    FROM int_field_files
    GROUP BY ALL
),

final AS (
    SELECT a.object_type, a.object_id, a.field_id, a.form_title, a.field, a.target,
           a.attribute_name, a.data_type, a.value AS source_value, fv.value_text AS sent_value,
           CASE
               WHEN a.data_type = 'files' AND ff.field_id IS NULL THEN 'a file-upload field whose value names no file: nothing to carry'
               WHEN a.data_type = 'files' THEN ff.carried || ' of ' || ff.files || ' files carried (in a note on the ticket): ' || ff.reasons
               WHEN a.data_type IS NULL THEN coalesce(nullif(a.lossy, ''), 'no Intercom attribute type for this field')
               WHEN fv.field_id IS NULL THEN 'does not parse as a ' || a.data_type || ': not sent'
               ELSE 'sent, but ' || fv.problem
           END AS reason
    FROM int_field_answers a
    LEFT JOIN int_field_values fv
      ON fv.object_type = a.object_type AND fv.object_id = a.object_id AND fv.field_id = a.field_id
    LEFT JOIN file_answers ff
      ON ff.object_type = a.object_type AND ff.object_id = a.object_id AND ff.field_id = a.field_id
    WHERE a.data_type IS NULL
       OR (a.data_type = 'files' AND (ff.field_id IS NULL OR ff.carried < ff.files))
       OR (a.data_type <> 'files' AND (fv.field_id IS NULL OR coalesce(fv.problem, '') <> ''))
    ORDER BY a.object_type, a.object_id, a.field_id
)

SELECT * FROM final;
