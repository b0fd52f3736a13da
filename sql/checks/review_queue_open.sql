-- check: items in the review queue
-- severity: warn
-- Why: each needs a person's decision before the load (see stage.review_queue.detail).
SELECT object_type, object_id, reason, detail
FROM stage.review_queue;
