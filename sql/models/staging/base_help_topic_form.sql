-- staging.base_help_topic_form: osTicket's forms attached to help topics, as the snapshot copied them.
-- Grain: one row per raw.help_topic_form row.
-- Why: the one place later layers read raw.help_topic_form through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_help_topic_form AS
WITH
raw_help_topic_form AS (SELECT * FROM raw.help_topic_form),

final AS (
    SELECT * FROM raw_help_topic_form
)

SELECT * FROM final;
