-- staging.base_faq: osTicket's FAQs, as the snapshot copied them.
-- Grain: one row per raw.faq row.
-- Why: the one place later layers read raw.faq through (the scope audit counts them before
-- any transform). A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_faq AS
WITH
raw_faq AS (SELECT * FROM raw.faq),

final AS (
    SELECT * FROM raw_faq
)

SELECT * FROM final;
