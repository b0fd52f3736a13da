-- check: `ostmig probe` answered otherwise since the outbox was built
-- severity: error
-- Why: the outbox follows the probe's answers as they were at `ostmig transform` (files on a
-- customer's reply or in a note, the request size, reply times in the body): a load now would
-- send requests chosen for a workspace that behaves otherwise. Run `ostmig transform`, then
-- check again.
WITH strategy AS (SELECT * FROM intermediate.int_workspace_strategy),
probe_result AS (SELECT * FROM probe.result),
answers AS (
    SELECT question_id, answer FROM probe_result
    WHERE answer NOT IN ('not probed', 'unknown')
),
final AS (
    SELECT s.decision, s.question_id, s.answer AS answer_at_transform, a.answer AS answer_now
    FROM strategy s
    LEFT JOIN answers a USING (question_id)
    WHERE s.answer IS DISTINCT FROM a.answer
)
SELECT * FROM final;
