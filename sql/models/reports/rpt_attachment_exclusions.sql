-- reports.rpt_attachment_exclusions: the files that will not be uploaded, and what to do.
-- Grain: one row per stage.part_attachment file (attachments and inline images) or
-- stage.part_image (pasted data: image, attachment_id and file_id NULL) not in
-- outbox.outbox_attachments.
-- Why: every file either arrives or is listed with its reason: over attachments.limit_bytes
-- (or over what one request to the workspace may carry, intermediate.int_workspace_strategy),
-- stored outside the database (file.bk F, 3, 6: the snapshot cannot read them), missing from
-- osTicket's file table (a dangling attachment row), or on a part
-- that is not migrated (reports.rpt_part_exclusions says why).
CREATE OR REPLACE TABLE reports.rpt_attachment_exclusions AS
WITH
raw_file AS (SELECT * FROM staging.base_file),
settings AS (SELECT * FROM config.settings),
strategy AS (SELECT * FROM intermediate.int_workspace_strategy),
file_bytes AS (SELECT (SELECT value FROM strategy WHERE decision = 'file_bytes')::BIGINT AS bytes),
stage_part_attachment AS (SELECT * FROM stage.part_attachment),
stage_parts AS NOT MATERIALIZED (SELECT * FROM stage.parts),
stg_tickets AS NOT MATERIALIZED (SELECT * FROM staging.stg_tickets),
outbox_attachments AS NOT MATERIALIZED (SELECT * FROM outbox.outbox_attachments),
stage_part_image AS (SELECT * FROM stage.part_image),

final AS (
    SELECT p.ticket_id, s.number, pa.entry_id, pa.attachment_id, pa.file_id, pa.name, pa.mime_type, pa.size,
           CASE
               WHEN pa.file_id NOT IN (SELECT id FROM raw_file) THEN 'file ' || pa.file_id
                    || ' does not exist in osTicket (see the review queue, missing_file): nothing to upload'
               WHEN pa.size > (SELECT attachments_limit_bytes FROM settings) THEN 'larger than attachments.limit_bytes ('
                    || (SELECT attachments_limit_bytes FROM settings)
                    || ' bytes): send it by another channel or raise the limit'
               WHEN pa.size > (SELECT bytes FROM file_bytes) THEN 'larger than one request the workspace takes ('
                    || (SELECT bytes FROM file_bytes)
                    || ' bytes of file, as `ostmig probe` found): send it by another channel'
               WHEN coalesce(pa.storage, 'D') <> 'D' THEN 'stored outside the database (file.bk = '
                    || pa.storage || '): copy it from the osTicket server'
               ELSE 'its part is not migrated (see reports.rpt_part_exclusions)'
           END AS reason
    FROM stage_part_attachment pa
    JOIN stage_parts p ON p.entry_id = pa.entry_id
    JOIN stg_tickets s ON s.ticket_id = p.ticket_id
    WHERE pa.role IN ('attachment', 'inline_image')
      AND pa.attachment_id NOT IN (SELECT attachment_id FROM outbox_attachments WHERE attachment_id IS NOT NULL)
    UNION ALL
    SELECT p.ticket_id, s.number, i.entry_id, NULL, NULL, i.name, i.mime_type, i.size,
           CASE
               WHEN i.size > (SELECT attachments_limit_bytes FROM settings) THEN 'a pasted image larger than attachments.limit_bytes ('
                    || (SELECT attachments_limit_bytes FROM settings)
                    || ' bytes): send it by another channel or raise the limit'
               WHEN i.size > (SELECT bytes FROM file_bytes) THEN 'a pasted image larger than one request the workspace takes ('
                    || (SELECT bytes FROM file_bytes)
                    || ' bytes of file, as `ostmig probe` found): send it by another channel'
               ELSE 'its part is not migrated (see reports.rpt_part_exclusions)'
           END
    FROM stage_part_image i
    JOIN stage_parts p ON p.entry_id = i.entry_id
    JOIN stg_tickets s ON s.ticket_id = p.ticket_id
    WHERE NOT EXISTS (SELECT 1 FROM outbox_attachments a WHERE a.entry_id = i.entry_id AND a.image_n = i.n)
    ORDER BY 1, 3, 4
)

SELECT * FROM final;
