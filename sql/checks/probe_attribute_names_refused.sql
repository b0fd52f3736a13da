-- check: a data attribute name with an underscore, on a workspace that `ostmig probe` found refuses them
-- severity: error
-- Why: Intercom would answer 400 ("must only contain alphanumeric characters, currency
-- symbols, and hyphens") and the schema phase would stop. Rename the attribute in the mapping
-- (`ostmig map`: letters, digits and - only), run `ostmig transform`, and check again.
WITH strategy AS (SELECT * FROM intermediate.int_workspace_strategy),
outbox_data_attributes AS (SELECT * FROM outbox.outbox_data_attributes),
final AS (
    SELECT a.attribute_name
    FROM outbox_data_attributes a
    WHERE contains(a.attribute_name, '_')
      AND EXISTS (SELECT 1 FROM strategy WHERE decision = 'attribute_names' AND answer = 'no')
)
SELECT * FROM final;
