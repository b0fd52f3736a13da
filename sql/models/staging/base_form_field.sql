-- staging.base_form_field: osTicket's form fields, as the snapshot copied them.
-- Grain: one row per raw.form_field row.
-- Why: the one place later layers read raw.form_field through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_form_field AS
WITH
raw_form_field AS (SELECT * FROM raw.form_field),

final AS (
    SELECT * FROM raw_form_field
)

SELECT * FROM final;
