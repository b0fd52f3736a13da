-- staging.stg_faqs: osTicket's FAQs, typed, with their visibility.
-- Grain: one row per raw.faq row.
-- Why: faq.ispublished is 0 internal (agents only), 1 public, 2 featured (osTicket's
-- FAQ::VISIBILITY_*); the question is the article's title.
CREATE OR REPLACE TABLE staging.stg_faqs AS
WITH
raw_faq AS (SELECT * FROM raw.faq),

final AS (
    SELECT faq_id::BIGINT AS faq_id,
           nullif(category_id, 0)::BIGINT AS category_id,
           CASE ispublished WHEN 0 THEN 'internal' WHEN 2 THEN 'featured' ELSE 'public' END AS visibility,
           coalesce(nullif(trim(question), ''), 'FAQ ' || faq_id) AS question,
           nullif(trim(keywords), '') AS keywords,
           nullif(trim(notes), '') AS notes,
           created,
           updated
    FROM raw_faq
)

SELECT * FROM final;
