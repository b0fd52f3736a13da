-- staging.base_form: osTicket's forms, as the snapshot copied them.
-- Grain: one row per raw.form row.
-- Why: the one place later layers read raw.form through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_form AS
WITH
raw_form AS (SELECT * FROM raw.form),

final AS (
    SELECT * FROM raw_form
)

SELECT * FROM final;
