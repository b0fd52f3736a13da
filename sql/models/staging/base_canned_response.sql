-- staging.base_canned_response: osTicket's canned responses (premade replies), as the snapshot copied them.
-- Grain: one row per raw.canned_response row.
-- Why: the one place later layers read raw.canned_response through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_canned_response AS
WITH
raw_canned_response AS (SELECT * FROM raw.canned_response),

final AS (
    SELECT * FROM raw_canned_response
)

SELECT * FROM final;
