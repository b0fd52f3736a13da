-- staging.base_form_entry: osTicket's form entries (one per object a form was filled for), as the snapshot copied them.
-- Grain: one row per raw.form_entry row.
-- Why: the one place later layers read raw.form_entry through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_form_entry AS
WITH
raw_form_entry AS (SELECT * FROM raw.form_entry),

final AS (
    SELECT * FROM raw_form_entry
)

SELECT * FROM final;
