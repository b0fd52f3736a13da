-- stage.split_files: files attached to thread entries (attachment.type = 'H').
-- Grain: one row per attachment row of an entry, plus the inline files an edited entry
-- inherits from the originals it replaced.
-- Why: inline images are referenced from bodies as cid:<file.key>, matched case-insensitively
-- (the key column's collation is ascii_general_ci), and long bodies live in inline text files.
-- An edit moves only NON-inline attachments to the new row (TEA_EditThreadEntry::updateEntry),
-- so the cid: images of an edited body still hang off its hidden original (pid chain).
CREATE OR REPLACE VIEW stage.split_files AS
WITH RECURSIVE lineage(entry_id, ancestor_id) AS (
    SELECT id, id FROM raw.thread_entry
    UNION ALL
    SELECT l.entry_id, e.pid
    FROM lineage l
    JOIN raw.thread_entry e ON e.id = l.ancestor_id
    JOIN raw.thread_entry original ON original.id = e.pid
    WHERE e.pid <> 0 AND e.pid < e.id AND e.flags & 2 <> 0 AND original.flags & 4 <> 0
)
SELECT l.entry_id,
       a.id AS attachment_id,
       a.file_id,
       coalesce(nullif(a.name, ''), f.name, '') AS name,
       f.type AS mime_type,
       f.size,
       coalesce(a.inline, 0) <> 0 AS inline,
       lower(f.key) AS file_key,
       f.bk AS storage,
       f.id IS NOT NULL AS file_exists,
       l.ancestor_id <> l.entry_id AS inherited
FROM lineage l
JOIN raw.attachment a ON a.object_id = l.ancestor_id AND a.type = 'H'
LEFT JOIN raw.file f ON f.id = a.file_id
WHERE l.ancestor_id = l.entry_id OR coalesce(a.inline, 0) <> 0;
