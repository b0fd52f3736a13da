-- reports.rpt_oversized_attachments: files Intercom will not take, largest first.
-- Grain: one row per attached file excluded for its size.
-- Why: the customer decides where these live after the migration (a file share, a link).
CREATE OR REPLACE TABLE reports.rpt_oversized_attachments AS
WITH
rpt_attachment_exclusions AS (SELECT * FROM reports.rpt_attachment_exclusions),

final AS (
    SELECT number AS ticket, entry_id, name, mime_type, size, reason
    FROM rpt_attachment_exclusions
    WHERE reason ILIKE '%limit%'
    ORDER BY size DESC, ticket, name
)

SELECT * FROM final;
