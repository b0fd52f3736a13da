-- intermediate.int_field_answers: every non-empty custom-field answer of a user, organization or
-- ticket, with the attribute its field becomes.
-- Grain: one row per form_entry_values row with a value, on a U, O or T form entry.
-- Why: the one definition of "an answer" that the typed values (int_field_values), the losses
-- (reports.rpt_field_value_losses) and the reconciliation's count all start from, so what is
-- counted in osTicket is exactly what is sent or listed.
CREATE OR REPLACE TABLE intermediate.int_field_answers AS
WITH
raw_form_entry AS (SELECT * FROM staging.base_form_entry),
raw_form_entry_values AS (SELECT * FROM staging.base_form_entry_values),
int_attribute_map AS (SELECT * FROM intermediate.int_attribute_map),

final AS (
    SELECT fe.object_type, fe.object_id::BIGINT AS object_id, m.field_id, m.target,
           m.form_title, coalesce(nullif(m.label, ''), m.field_name) AS field,
           m.attribute_name, m.data_type, m.field_type, m.lossy, trim(v.value) AS value
    FROM raw_form_entry fe
    JOIN raw_form_entry_values v ON v.entry_id = fe.id
    JOIN int_attribute_map m ON m.field_id = v.field_id
    WHERE fe.object_type IN ('U', 'O', 'T')
      AND fe.object_id IS NOT NULL
      AND nullif(trim(v.value), '') IS NOT NULL
)

SELECT * FROM final;
