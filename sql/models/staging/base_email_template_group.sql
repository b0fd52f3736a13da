-- staging.base_email_template_group: osTicket's e-mail template sets, as the snapshot copied them.
-- Grain: one row per raw.email_template_group row.
-- Why: the one place later layers read raw.email_template_group through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_email_template_group AS
WITH
raw_email_template_group AS (SELECT * FROM raw.email_template_group),

final AS (
    SELECT * FROM raw_email_template_group
)

SELECT * FROM final;
