-- outbox.outbox_articles: osTicket's FAQs as the articles the loader creates, in Intercom's
-- request shape: POST /articles for a FAQ of a collection, POST /internal_articles for one of
-- a private category.
-- Grain: one row per osTicket FAQ.
-- Why: the answer is the split's cleaned HTML (stage.articles), the question the title. A
-- public or featured FAQ is published; an internal one (agents only) a draft in its
-- collection, so customers do not see it and agents find it where it was. FAQs of a private
-- category become internal articles (which have no collection: the category is named at the
-- foot of the body). osTicket records no author: the fallback admin (admins.fallback) is the
-- author and owner. The collection's Intercom id exists only at load time: the loader adds
-- `parent_id` from `collection_key`. Intercom cannot backdate an article, and articles take no
-- files: reports.rpt_kb_exclusions lists the images, attachments, keywords and notes.
CREATE OR REPLACE TABLE outbox.outbox_articles AS
WITH
stg_faqs AS (SELECT * FROM staging.stg_faqs),
stg_kb_categories AS (SELECT * FROM staging.stg_kb_categories),
stage_articles AS (SELECT * FROM stage.articles),
fallback AS (SELECT * FROM intermediate.int_fallback_admin),

faqs AS (
    SELECT f.faq_id, f.question, f.visibility, f.created,
           c.category_id, c.full_name AS category,
           coalesce(c.internal, false) AS internal,
           coalesce(a.body_html, '') AS body_html,
           try_cast((SELECT admin_id FROM fallback) AS BIGINT) AS author_id
    FROM stg_faqs f
    LEFT JOIN stg_kb_categories c USING (category_id)
    LEFT JOIN stage_articles a USING (faq_id)
),

payloads AS (
    SELECT faq_id,
           'osticket-faq-' || faq_id AS article_key,
           CASE WHEN internal THEN 'internal_article' ELSE 'article' END AS kind,
           CASE WHEN NOT internal AND category_id IS NOT NULL
                THEN 'osticket-faq-category-' || category_id END AS collection_key,
           category, question, visibility, author_id, created,
           CASE WHEN internal THEN
               json_object('title', question,
                           'body', body_html || '<p><em>osTicket FAQ category: ' || html_escape(category) || '</em></p>',
                           'author_id', author_id, 'owner_id', author_id)
           ELSE
               json_object('title', question, 'body', body_html, 'author_id', author_id,
                           'state', CASE WHEN visibility = 'internal' THEN 'draft' ELSE 'published' END)
           END AS payload
    FROM faqs
),

final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
