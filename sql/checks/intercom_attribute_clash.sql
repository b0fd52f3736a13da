-- check: data attributes to create whose name the workspace already uses on the other model
-- severity: error
-- Why: contact and company data attributes share one namespace (erratum
-- data-attribute-namespace): Intercom refuses the create, and every contact or company carrying
-- the attribute would fail after it. Rename the field's attribute in the mapping
-- (`ostmig map propose`, then confirm), or archive the workspace's attribute.
WITH planned AS (
    SELECT model, attribute_name FROM outbox.outbox_data_attributes
),
existing AS (
    SELECT model, name FROM raw_intercom.data_attribute
),
final AS (
    SELECT p.attribute_name, p.model AS planned_model, e.model AS existing_model
    FROM planned p
    JOIN existing e ON e.name = p.attribute_name AND e.model <> p.model
)
SELECT * FROM final;
