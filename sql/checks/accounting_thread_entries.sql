-- check: every thread entry is a part (of a ticket or of a task), an exclusion with a reason, or in the review queue
-- severity: error
-- Why: the split's invariant, re-checked against the current snapshot (fails until `ostmig split` ran).
SELECT e.id AS entry_id, e.thread_id
FROM raw.thread_entry e
WHERE e.id NOT IN (SELECT entry_id FROM stage.parts)
  AND e.id NOT IN (SELECT entry_id FROM stage.task_parts)
  AND e.id NOT IN (SELECT entry_id FROM stage.split_excluded)
  AND e.id NOT IN (SELECT object_id FROM stage.review_queue WHERE object_type = 'thread_entry');
