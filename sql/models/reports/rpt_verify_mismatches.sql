-- reports.rpt_verify_mismatches: every field `ostmig verify` found different in Intercom.
-- Grain: one row per object and field, from the latest verify.
-- Why: the field-level proof list; empty is the goal.
CREATE OR REPLACE VIEW reports.rpt_verify_mismatches AS
WITH
load_verify_mismatch AS (SELECT * FROM load.verify_mismatch),

final AS (
    SELECT object_type, source_key AS osticket_key, intercom_id, field, expected, actual, checked_at
    FROM load_verify_mismatch
    ORDER BY object_type, source_key, field
)

SELECT * FROM final;
