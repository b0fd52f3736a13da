-- staging.base_file: osTicket's file metadata (the bytes stay in raw.file_chunk), as the snapshot copied them.
-- Grain: one row per raw.file row.
-- Why: the one place later layers read raw.file through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_file AS
WITH
raw_file AS (SELECT * FROM raw.file),

final AS (
    SELECT * FROM raw_file
)

SELECT * FROM final;
