-- outbox.outbox_collections: the Help Center collections the loader creates, in Intercom's
-- request shape (POST /help_center/collections).
-- Grain: one row per osTicket FAQ category that is not private.
-- Why: a category is a collection, nested as in osTicket; the parent's Intercom id exists only
-- at load time, so the loader adds `parent_id` (from `parent_key`, loaded first: `depth`
-- orders them). The description is plain text in Intercom, so the category's HTML is read as
-- its visible text. Private categories are listed in reports.rpt_kb_exclusions.
CREATE OR REPLACE TABLE outbox.outbox_collections AS
WITH
stg_kb_categories AS (SELECT * FROM staging.stg_kb_categories),

collections AS (
    SELECT c.category_id,
           'osticket-faq-category-' || c.category_id AS collection_key,
           CASE WHEN parent.category_id IS NOT NULL
                THEN 'osticket-faq-category-' || parent.category_id END AS parent_key,
           c.depth,
           c.name,
           c.full_name,
           json_merge_patch('{}', json_object(
               'name', c.name,
               'description', nullif(visible_text(c.description_html), '')
           )) AS payload
    FROM stg_kb_categories c
    LEFT JOIN stg_kb_categories parent ON parent.category_id = c.parent_id AND NOT parent.internal
    WHERE NOT c.internal
),

final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM collections
)

SELECT * FROM final;
