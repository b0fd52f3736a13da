-- staging.base_note: osTicket's staff notes on users and organizations, as the snapshot copied them.
-- Grain: one row per raw.note row.
-- Why: the one place later layers read raw.note through (the scope audit counts them before any
-- transform). A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_note AS
WITH
raw_note AS (SELECT * FROM raw.note),

final AS (
    SELECT * FROM raw_note
)

SELECT * FROM final;
