-- stage.split_files: files attached to thread entries (attachment.type = 'H').
-- Grain: one row per attachment row of an entry.
-- Why: inline images are referenced from bodies as cid:<file.key>, matched case-insensitively
-- (the key column's collation is ascii_general_ci), and long bodies live in inline text files.
CREATE OR REPLACE VIEW stage.split_files AS
SELECT a.object_id AS entry_id,
       a.id AS attachment_id,
       a.file_id,
       coalesce(nullif(a.name, ''), f.name, '') AS name,
       f.type AS mime_type,
       f.size,
       coalesce(a.inline, 0) <> 0 AS inline,
       lower(f.key) AS file_key,
       f.bk AS storage,
       f.id IS NOT NULL AS file_exists
FROM raw.attachment a
LEFT JOIN raw.file f ON f.id = a.file_id
WHERE a.type = 'H';
