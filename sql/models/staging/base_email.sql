-- staging.base_email: osTicket's the help desk's mailboxes, as the snapshot copied them.
-- Grain: one row per raw.email row.
-- Why: the one place later layers read raw.email through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_email AS
WITH
raw_email AS (SELECT * FROM raw.email),

final AS (
    SELECT * FROM raw_email
)

SELECT * FROM final;
