-- check: every FAQ is an article, every FAQ category a collection or listed, every FAQ file listed
-- severity: error
-- Why: the knowledge base is counted like tickets: nothing of it may vanish between the snapshot
-- and the outbox without a row saying why (reports.rpt_kb_exclusions).
SELECT 'FAQ' AS what, f.faq_id AS id, f.question AS name
FROM staging.stg_faqs f
WHERE f.faq_id NOT IN (SELECT faq_id FROM outbox.outbox_articles)
UNION ALL
SELECT 'FAQ category', c.category_id, c.name
FROM staging.stg_kb_categories c
WHERE c.category_id NOT IN (SELECT category_id FROM outbox.outbox_collections)
  AND c.category_id NOT IN (SELECT category_id FROM reports.rpt_kb_exclusions WHERE item = 'category')
UNION ALL
SELECT 'FAQ file', a.id, a.file_id::VARCHAR
FROM staging.base_attachment a
WHERE a.type = 'F'
  AND a.id NOT IN (SELECT attachment_id FROM reports.rpt_kb_exclusions WHERE attachment_id IS NOT NULL);
