-- reports.rpt_load_phases: the row-count reconciliation of each load phase, latest run.
-- Grain: one row per load phase that has run.
-- Why: after each phase the load records staged / sent / confirmed / failed; the customer sees
-- the last state of each phase in dependency order. A view over load.phase_result.
CREATE OR REPLACE VIEW reports.rpt_load_phases AS
WITH
load_phase_result AS (SELECT * FROM load.phase_result),

final AS (
    SELECT phase, staged, sent, confirmed, coalesce(updated, 0) AS updated, skipped, failed,
           loaded_at, run_id
    FROM load_phase_result
    QUALIFY row_number() OVER (PARTITION BY phase ORDER BY run_id DESC) = 1
    ORDER BY list_position(['schema', 'companies', 'contacts', 'tickets', 'states'], phase)
)

SELECT * FROM final;
