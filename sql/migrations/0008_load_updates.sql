-- Updates in the load's reconciliation, and the snapshot kind.
-- Why: after a cutover delta, `ostmig load` brings already-created objects up to date (a renamed
-- contact, a ticket closed after the first load) instead of creating them again; each phase's
-- row counts must show those updates apart from creates. A delta snapshot records which rows it
-- re-read, so the analyst can see what the cutover changed.

ALTER TABLE load.phase_result ADD COLUMN updated BIGINT DEFAULT 0;
ALTER TABLE meta.snapshot_table ADD COLUMN delta_rows BIGINT;
ALTER TABLE meta.snapshot ADD COLUMN kind VARCHAR DEFAULT 'full';
