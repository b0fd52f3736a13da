-- check: every attached file is in the attachments outbox or in the attachment exclusions with a reason
-- severity: error
-- Why: every file either arrives or is listed; a failing row is a file the load would drop.
SELECT pa.attachment_id, pa.entry_id, pa.name
FROM stage.part_attachment pa
WHERE pa.role IN ('attachment', 'inline_image')
  AND pa.attachment_id NOT IN (SELECT attachment_id FROM outbox.outbox_attachments)
  AND pa.attachment_id NOT IN (SELECT attachment_id FROM reports.rpt_attachment_exclusions);
