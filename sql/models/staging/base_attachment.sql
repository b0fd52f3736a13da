-- staging.base_attachment: osTicket's links of files to thread entries (and inline images), as the snapshot copied them.
-- Grain: one row per raw.attachment row.
-- Why: the one place later layers read raw.attachment through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_attachment AS
WITH
raw_attachment AS (SELECT * FROM raw.attachment),

final AS (
    SELECT * FROM raw_attachment
)

SELECT * FROM final;
