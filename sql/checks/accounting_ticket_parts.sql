-- check: every conversation part is a reply or note in the outbox, a ticket's description, or an exclusion with a reason
-- severity: error
-- Why: the thread accounting after the split; a failing row is a message the load would drop.
SELECT p.entry_id, p.ticket_id, p.kind
FROM stage.parts p
WHERE p.entry_id NOT IN (SELECT entry_id FROM outbox.outbox_ticket_parts)
  AND p.entry_id NOT IN (SELECT description_entry_id FROM outbox.outbox_tickets WHERE description_entry_id IS NOT NULL)
  AND p.entry_id NOT IN (SELECT entry_id FROM reports.rpt_part_exclusions)
UNION ALL
-- A task's entry is a note on its back-office ticket, or its task is listed as not migrated.
SELECT p.entry_id, NULL, p.kind
FROM stage.task_parts p
WHERE p.entry_id NOT IN (SELECT entry_id FROM outbox.outbox_task_notes)
  AND p.task_id IN (SELECT task_id FROM intermediate.int_tasks WHERE outcome = 'migrate');
