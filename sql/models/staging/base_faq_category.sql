-- staging.base_faq_category: osTicket's FAQ categories, as the snapshot copied them.
-- Grain: one row per raw.faq_category row.
-- Why: the one place later layers read raw.faq_category through (the scope audit counts them before
-- any transform). A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_faq_category AS
WITH
raw_faq_category AS (SELECT * FROM raw.faq_category),

final AS (
    SELECT * FROM raw_faq_category
)

SELECT * FROM final;
