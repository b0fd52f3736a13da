-- intermediate.int_field_files: every file of a file-upload custom field, and whether it reaches
-- Intercom.
-- Grain: one row per file an int_field_answers row of a file-upload field names
-- (form_entry_values.value is JSON {"<file id>": "<name>"}; the files are attachment rows of
-- type 'E').
-- Why: an Intercom attribute holds no file, so a ticket's field files travel like an entry's:
-- as attachment_files of an admin note on the ticket (outbox_field_files), at most 10 and
-- attachments.request_bytes of base64 per note. `reason` is NULL for a file that is carried,
-- else why not; a user's or organization's field files have no ticket to go to.
CREATE OR REPLACE TABLE intermediate.int_field_files AS
WITH
int_field_answers AS (SELECT * FROM intermediate.int_field_answers),
int_tickets AS (SELECT * FROM intermediate.int_tickets),
raw_file AS (SELECT * FROM staging.base_file),
settings AS (SELECT * FROM config.settings),
strategy AS (SELECT * FROM intermediate.int_workspace_strategy),
limits AS (
    SELECT (max(value) FILTER (WHERE decision = 'file_bytes'))::BIGINT AS file_bytes,
           (max(value) FILTER (WHERE decision = 'request_bytes'))::BIGINT AS request_bytes
    FROM strategy
),

answers AS (
    SELECT object_type, object_id, field_id, field, target, value
    FROM int_field_answers
    WHERE field_type = 'files' AND json_valid(value) AND json_type(value) = 'OBJECT'
),

named AS (
    SELECT a.object_type, a.object_id, a.field_id, a.field, a.target,
           TRY_CAST(k.key AS BIGINT) AS file_id, json_extract_string(k.value, '$') AS listed_name
    FROM answers a, json_each(a.value) k
),

files AS (
    SELECT n.*, f.id IS NOT NULL AS file_exists, coalesce(f.name, n.listed_name) AS name,
           f.type AS mime_type, f.size, f.bk AS storage, i.outcome AS ticket_outcome,
           row_number() OVER w AS n,
           sum(4 * ((coalesce(f.size, 0) + 2) // 3)) OVER w AS base64_so_far
    FROM named n
    LEFT JOIN raw_file f ON f.id = n.file_id
    LEFT JOIN int_tickets i ON n.object_type = 'T' AND i.ticket_id = n.object_id
    WINDOW w AS (PARTITION BY n.object_type, n.object_id, n.field_id ORDER BY n.file_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),

final AS (
    SELECT f.object_type, f.object_id, f.field_id, f.field, f.file_id, f.name, f.mime_type, f.size, f.n,
           CASE
               WHEN f.object_type <> 'T' THEN 'on a user or organization form: a contact or company attribute holds no file'
               WHEN f.ticket_outcome IS DISTINCT FROM 'migrate' THEN 'its ticket is not migrated'
               WHEN NOT f.file_exists THEN 'osTicket no longer has the file'
               WHEN coalesce(f.storage, 'D') <> 'D' THEN 'kept by storage backend ''' || f.storage || ''', not in the database: copy it from the server'
               WHEN coalesce(f.size, 0) > s.attachments_limit_bytes THEN 'larger than attachments.limit_bytes'
               WHEN coalesce(f.size, 0) > l.file_bytes THEN 'larger than one request the workspace takes (as `ostmig probe` found)'
               WHEN f.n > 10 OR (f.n > 1 AND f.base64_so_far > l.request_bytes)
                   THEN 'beyond what one note carries (10 files, attachments.request_bytes of base64)'
           END AS reason
    FROM files f
    CROSS JOIN settings s
    CROSS JOIN limits l
)

SELECT * FROM final;
