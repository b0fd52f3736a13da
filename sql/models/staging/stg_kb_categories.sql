-- staging.stg_kb_categories: osTicket's FAQ categories, typed, with their path and visibility.
-- Grain: one row per raw.faq_category row.
-- Why: a category becomes a Help Center collection, nested as in osTicket (category_pid), and
-- a private one (ispublic = 0: agents only) does not: its FAQs become internal articles. A
-- category under a private one is private too, since the collection above it does not exist.
CREATE OR REPLACE TABLE staging.stg_kb_categories AS
WITH RECURSIVE
raw_faq_category AS NOT MATERIALIZED (SELECT * FROM raw.faq_category),

categories AS (
    SELECT category_id::BIGINT AS category_id,
           nullif(category_pid, 0)::BIGINT AS parent_id,
           CASE ispublic WHEN 0 THEN 'private' WHEN 2 THEN 'featured' ELSE 'public' END AS visibility,
           coalesce(nullif(trim(name), ''), 'Category ' || category_id) AS name,
           coalesce(description, '') AS description_html,
           nullif(trim(notes), '') AS notes,
           created,
           updated
    FROM raw_faq_category
),

path(category_id, full_name, depth, private_path) AS (
    SELECT category_id, name, 0, visibility = 'private'
    FROM categories c
    WHERE parent_id IS NULL OR parent_id NOT IN (SELECT category_id FROM categories)
    UNION ALL
    SELECT c.category_id, p.full_name || ' / ' || c.name, p.depth + 1,
           p.private_path OR c.visibility = 'private'
    FROM categories c JOIN path p ON c.parent_id = p.category_id
    WHERE p.depth < 20
),

final AS (
    SELECT c.*,
           coalesce(p.full_name, c.name) AS full_name,
           coalesce(p.depth, 0) AS depth,
           coalesce(p.private_path, c.visibility = 'private') AS internal
    FROM categories c
    LEFT JOIN path p USING (category_id)
)

SELECT * FROM final;
