-- reports.rpt_entries_by_agent: the replies and internal notes each osTicket agent wrote, and
-- the Intercom admin who will post them.
-- Grain: one row per agent (staff_id) who wrote at least one entry; customers' messages and
-- system entries are in the scope audit, not here.
-- Why: who carries the history shows at a glance whose admin mapping matters most; the scope
-- workbook charts it.
CREATE OR REPLACE TABLE reports.rpt_entries_by_agent AS
WITH parts AS (
    SELECT staff_id, kind FROM stage.parts WHERE staff_id IS NOT NULL
),
agents AS (
    SELECT staff_id, name, username FROM staging.stg_staff
),
final AS (
    SELECT coalesce(nullif(a.name, ''), a.username, 'agent #' || p.staff_id) AS agent,
           count(*) FILTER (WHERE p.kind = 'response') AS replies,
           count(*) FILTER (WHERE p.kind = 'note') AS notes,
           count(*) FILTER (WHERE p.kind NOT IN ('response', 'note')) AS other_entries,
           count(*) AS entries
    FROM parts p
    LEFT JOIN agents a ON a.staff_id = p.staff_id
    GROUP BY 1
)
SELECT * FROM final ORDER BY entries DESC, agent;
