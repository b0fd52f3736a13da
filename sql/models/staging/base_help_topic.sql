-- staging.base_help_topic: osTicket's help topics, as the snapshot copied them.
-- Grain: one row per raw.help_topic row.
-- Why: the one place later layers read raw.help_topic through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_help_topic AS
WITH
raw_help_topic AS (SELECT * FROM raw.help_topic),

final AS (
    SELECT * FROM raw_help_topic
)

SELECT * FROM final;
