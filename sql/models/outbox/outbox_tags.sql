-- outbox.outbox_tags: the tags to create (POST /tags), one per help topic.
-- Grain: one row per help topic.
-- Why: Intercom has no help topics; tickets carry their topic as a tag, named by the topic's
-- path ("Billing Question / Account Closure") or its own name (topics.naming = "flat").
CREATE OR REPLACE TABLE outbox.outbox_tags AS
WITH
stg_help_topics AS (SELECT * FROM staging.stg_help_topics),

payloads AS (
    SELECT topic_id, tag, json_object('name', tag) AS payload
    FROM stg_help_topics
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
