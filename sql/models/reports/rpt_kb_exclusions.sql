-- reports.rpt_kb_exclusions: what of osTicket's knowledge base does not arrive as it was, and
-- what to do about it.
-- Grain: one row per thing not carried: a private category (no collection), a FAQ's file or
-- inline image (Intercom's article API takes no files), a `cid:` image that matched no file,
-- a help-topic link, a FAQ's keywords or staff notes, a category's notes.
-- Why: every record either arrives or is listed with its reason; the reconciliation counts the
-- files and categories from here.
CREATE OR REPLACE TABLE reports.rpt_kb_exclusions AS
WITH
stg_faqs AS (SELECT * FROM staging.stg_faqs),
stg_kb_categories AS (SELECT * FROM staging.stg_kb_categories),
stg_help_topics AS (SELECT * FROM staging.stg_help_topics),
raw_attachment AS (SELECT * FROM staging.base_attachment),
raw_file AS (SELECT * FROM staging.base_file),
raw_faq_topic AS (SELECT * FROM staging.base_faq_topic),
stage_articles AS (SELECT * FROM stage.articles),

private_categories AS (
    SELECT 'category' AS item, c.category_id, NULL::BIGINT AS faq_id, c.full_name AS name,
           NULL::BIGINT AS attachment_id,
           'private category (agents only): no Help Center collection; its '
               || (SELECT count(*) FROM stg_faqs f WHERE f.category_id = c.category_id)
               || ' FAQs become internal articles' AS reason
    FROM stg_kb_categories c WHERE c.internal
),

files AS (
    SELECT CASE WHEN a.inline = 1 OR list_contains(s.images, a.file_id::BIGINT)
                THEN 'inline image' ELSE 'file' END AS item,
           f.category_id, a.object_id::BIGINT AS faq_id,
           coalesce(a.name, rf.name, 'file ' || a.file_id) AS name,
           a.id::BIGINT AS attachment_id,
           CASE WHEN a.inline = 1 OR list_contains(s.images, a.file_id::BIGINT)
                THEN 'an image in the answer: Intercom''s article API takes no files; the article shows [image: '
                     || coalesce(a.name, rf.name, '?') || '] in its place. Upload it in the article editor'
                ELSE 'Intercom''s article API takes no files: attach it in the article editor, or link to it from the answer'
           END AS reason
    FROM raw_attachment a
    LEFT JOIN raw_file rf ON rf.id = a.file_id
    LEFT JOIN stg_faqs f ON f.faq_id = a.object_id
    LEFT JOIN stage_articles s ON s.faq_id = a.object_id
    WHERE a.type = 'F'
),

unresolved AS (
    SELECT 'missing image' AS item, f.category_id, s.faq_id, k AS name, NULL::BIGINT,
           'the answer shows an image (cid:' || k || ') that osTicket holds no file for: the article says [image missing]'
    FROM (SELECT faq_id, unnest(unresolved) AS k FROM stage_articles) s
    JOIN stg_faqs f ON f.faq_id = s.faq_id
),

topic_links AS (
    SELECT 'help topic link', f.category_id, ft.faq_id::BIGINT, coalesce(t.full_name, 'topic ' || ft.topic_id), NULL::BIGINT,
           'osTicket suggests this FAQ when a client picks the topic; Intercom has no such link (Fin and the Messenger suggest articles by their text)'
    FROM raw_faq_topic ft
    JOIN stg_faqs f ON f.faq_id = ft.faq_id
    LEFT JOIN stg_help_topics t ON t.topic_id = ft.topic_id
),

texts AS (
    SELECT 'keywords', category_id, faq_id, keywords, NULL::BIGINT,
           'search keywords: Intercom articles have none (its search reads the text)'
    FROM stg_faqs WHERE keywords IS NOT NULL
    UNION ALL
    SELECT 'staff notes', category_id, faq_id, notes, NULL::BIGINT,
           'the FAQ''s internal notes: not part of an article; copy what matters into an internal article'
    FROM stg_faqs WHERE notes IS NOT NULL
    UNION ALL
    SELECT 'staff notes', category_id, NULL::BIGINT, notes, NULL::BIGINT,
           'the category''s internal notes: a collection has none'
    FROM stg_kb_categories WHERE notes IS NOT NULL
),

final AS (
    SELECT * FROM private_categories
    UNION ALL SELECT * FROM files
    UNION ALL SELECT * FROM unresolved
    UNION ALL SELECT * FROM topic_links
    UNION ALL SELECT * FROM texts
    ORDER BY faq_id NULLS FIRST, category_id, item, name
)

SELECT * FROM final;
