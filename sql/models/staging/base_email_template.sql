-- staging.base_email_template: osTicket's e-mail templates, as the snapshot copied them.
-- Grain: one row per raw.email_template row.
-- Why: the one place later layers read raw.email_template through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_email_template AS
WITH
raw_email_template AS (SELECT * FROM raw.email_template),

final AS (
    SELECT * FROM raw_email_template
)

SELECT * FROM final;
