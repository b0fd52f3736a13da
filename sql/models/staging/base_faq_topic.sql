-- staging.base_faq_topic: the help topics each FAQ is suggested for, as the snapshot copied them.
-- Grain: one row per raw.faq_topic row.
-- Why: the one place later layers read raw.faq_topic through (Intercom has no such link: the
-- knowledge-base sheet lists them). A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_faq_topic AS
WITH
raw_faq_topic AS (SELECT * FROM raw.faq_topic),

final AS (
    SELECT * FROM raw_faq_topic
)

SELECT * FROM final;
