-- reports.rpt_review_queue: what a person must decide, with the ticket it belongs to.
-- Grain: one row per stage.review_queue item.
-- Why: nothing is dropped silently; these items wait for the customer (or analyst).
CREATE OR REPLACE VIEW reports.rpt_review_queue AS
WITH
stage_review_queue AS (SELECT * FROM stage.review_queue),
raw_ticket AS (SELECT * FROM staging.base_ticket),

final AS (
    SELECT q.stage, q.object_type, q.object_id, t.number AS ticket, q.reason, q.detail
    FROM stage_review_queue q
    LEFT JOIN raw_ticket t ON t.ticket_id = q.ticket_id
    ORDER BY q.stage, q.reason, t.number, q.object_id
)

SELECT * FROM final;
