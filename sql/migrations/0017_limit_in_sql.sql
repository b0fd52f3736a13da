-- Whether a file is over the attachment limit is decided where the limit is set.
-- Why: split flagged over_limit from its own --attachment-limit flag while the outbox and
-- reports.rpt_attachment_exclusions stated attachments.limit_bytes from ostmig.toml, so a report
-- could name a limit that was not the one applied. outbox.outbox_attachments and the report now
-- compare size with config.settings themselves; the staged flag goes.
ALTER TABLE stage.part_attachment DROP COLUMN over_limit;
ALTER TABLE stage.part_image DROP COLUMN over_limit;
