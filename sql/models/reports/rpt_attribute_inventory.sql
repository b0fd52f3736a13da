-- reports.rpt_attribute_inventory: every custom field with its Intercom attribute and what is lost.
-- Grain: one row per custom field.
-- Why: the customer's admin checks the attributes to create and what osTicket enforced that
-- Intercom will not (required flags, visibility).
CREATE OR REPLACE TABLE reports.rpt_attribute_inventory AS
WITH
int_attribute_map AS (SELECT * FROM intermediate.int_attribute_map),

final AS (
    SELECT form_title, field_name, label, field_type, target, attribute_name,
           coalesce(data_type, 'not migrated') AS data_type,
           array_to_string(options, ', ') AS options,
           nullif(lossy, '') AS lossy
    FROM int_attribute_map
    ORDER BY target, form_title, field_name
)

SELECT * FROM final;
