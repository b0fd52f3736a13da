-- staging.base_form_entry_values: osTicket's answers to form fields, as the snapshot copied them.
-- Grain: one row per raw.form_entry_values row.
-- Why: the one place later layers read raw.form_entry_values through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_form_entry_values AS
WITH
raw_form_entry_values AS (SELECT * FROM raw.form_entry_values),

final AS (
    SELECT * FROM raw_form_entry_values
)

SELECT * FROM final;
