-- staging.stg_help_topics: help topics with their full path ("Billing Question / Account Closure").
-- Grain: one row per raw.help_topic row.
-- Why: help topics become Intercom tags, named flat or by path (config topics.naming): `tag`.
CREATE OR REPLACE TABLE staging.stg_help_topics AS
WITH RECURSIVE
raw_help_topic AS NOT MATERIALIZED (SELECT * FROM raw.help_topic),
settings AS (SELECT * FROM config.settings),

path(topic_id, parent_id, name, full_name, depth) AS (
    SELECT topic_id::BIGINT, NULL::BIGINT, trim(topic), trim(topic), 0
    FROM raw_help_topic WHERE coalesce(topic_pid, 0) = 0
    UNION ALL
    SELECT t.topic_id::BIGINT, t.topic_pid::BIGINT, trim(t.topic), p.full_name || ' / ' || trim(t.topic), p.depth + 1
    FROM raw_help_topic t JOIN path p ON t.topic_pid = p.topic_id
    WHERE p.depth < 20
),

final AS (
    SELECT topic_id, parent_id, name, full_name,
           CASE (SELECT topics_naming FROM settings)
               WHEN 'flat' THEN name ELSE full_name END AS tag
    FROM path
)

SELECT * FROM final;
