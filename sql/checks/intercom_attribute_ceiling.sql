-- check: the workspace would hold more than 250 custom data attributes after the load
-- severity: error
-- Why: a workspace holds at most 250 custom data attributes (erratum data-attribute-namespace):
-- the creates past the limit fail, and so does every contact or company carrying them. Archive
-- unused attributes in Intercom, or map fewer fields to attributes; then `ostmig intercom pull`.
WITH existing AS (
    SELECT model, name FROM raw_intercom.data_attribute
    WHERE coalesce(custom, true) AND NOT coalesce(archived, false)
),
planned_new AS (
    SELECT p.model, p.attribute_name FROM outbox.outbox_data_attributes p
    WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.model = p.model AND e.name = p.attribute_name)
),
final AS (
    SELECT (SELECT count(*) FROM existing) AS existing_custom,
           (SELECT count(*) FROM planned_new) AS to_create,
           250 AS limit_per_workspace
)
SELECT * FROM final WHERE existing_custom + to_create > limit_per_workspace;
