-- check: every attached file is in the attachments outbox or in the attachment exclusions with a reason
-- severity: error
-- Why: every file either arrives or is listed; a failing row is a file the load would drop.
SELECT pa.attachment_id, pa.entry_id, pa.name
FROM stage.part_attachment pa
WHERE pa.role IN ('attachment', 'inline_image')
  AND pa.attachment_id NOT IN (SELECT attachment_id FROM outbox.outbox_attachments WHERE attachment_id IS NOT NULL)
  AND pa.attachment_id NOT IN (SELECT attachment_id FROM reports.rpt_attachment_exclusions WHERE attachment_id IS NOT NULL)
UNION ALL
SELECT NULL, i.entry_id, i.name
FROM stage.part_image i
WHERE NOT EXISTS (SELECT 1 FROM outbox.outbox_attachments a WHERE a.entry_id = i.entry_id AND a.image_n = i.n)
  AND NOT EXISTS (SELECT 1 FROM reports.rpt_attachment_exclusions x
                  WHERE x.entry_id = i.entry_id AND x.attachment_id IS NULL AND x.name = i.name);
