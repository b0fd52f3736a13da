-- reports.rpt_queues: osTicket's queues and saved searches, as the Inbox views to rebuild.
-- Grain: one row per raw.queue row.
-- Why: a queue is how agents find their work (Open, Answered, My Tickets, a team's overdue
-- list); Intercom's equivalent is an Inbox view, which its API cannot create, so the admin
-- rebuilds each from this list. queue.flags: 0x1 public, 0x2 a queue (else a saved search),
-- 0x4 disabled, 0x8 inherits its parent's criteria. `config` is the criteria as osTicket wrote
-- them: [[field, operator, {value: label}], …], alone or under "criteria".
CREATE OR REPLACE TABLE reports.rpt_queues AS
WITH
raw_queue AS NOT MATERIALIZED (SELECT * FROM staging.base_queue),
stg_staff AS (SELECT * FROM staging.stg_staff),

criteria AS (
    SELECT id,
           CASE WHEN json_valid(config) AND json_type(config) = 'ARRAY' THEN config::JSON
                WHEN json_valid(config) THEN json_extract(config, '$.criteria') END AS criteria
    FROM raw_queue
),

conditions AS (
    SELECT id, unnest(json_extract(criteria, '$[*]')) AS c,
           generate_subscripts(json_extract(criteria, '$[*]'), 1) AS i
    FROM criteria WHERE json_type(criteria) = 'ARRAY'
),

readable AS (
    SELECT id,
           string_agg(json_extract_string(c, '$[0]') || ' '
                      || CASE json_extract_string(c, '$[1]')
                             WHEN 'includes' THEN 'is' WHEN '!includes' THEN 'is not'
                             WHEN 'set' THEN 'is set' WHEN 'nset' THEN 'is not set'
                             WHEN 'period' THEN 'in period' ELSE json_extract_string(c, '$[1]') END
                      || coalesce(' ' || CASE json_type(json_extract(c, '$[2]'))
                                             WHEN 'OBJECT' THEN nullif(array_to_string(json_extract_string(json_extract(c, '$[2]'), '$.*'), ' or '), '')
                                             WHEN 'VARCHAR' THEN json_extract_string(c, '$[2]')
                                         END, ''),
                      '; ' ORDER BY i) AS criteria
    FROM conditions
    GROUP BY id
),

final AS (
    SELECT q.id AS queue_id,
           coalesce(p.title || ' / ', '') || q.title AS queue,
           CASE WHEN q.flags & 2 <> 0 THEN 'queue' ELSE 'saved search' END AS kind,
           CASE WHEN q.staff_id <> 0 THEN coalesce(s.name, 'agent ' || q.staff_id) ELSE 'everyone' END AS owner,
           q.flags & 4 <> 0 AS disabled,
           concat_ws('; ', r.criteria,
                     CASE WHEN q.flags & 8 <> 0 AND p.id IS NOT NULL THEN 'and the criteria of ' || p.title END) AS criteria,
           CASE WHEN q.flags & 4 <> 0 THEN 'disabled in osTicket: nothing to rebuild'
                WHEN q.staff_id <> 0 THEN 'a view of ' || coalesce(s.name, 'the agent') || '''s own (Inbox › Views, private) with these filters'
                ELSE 'a shared Inbox view (Inbox › Views › New view) with these filters'
           END || '; Intercom''s API creates no views' AS rebuild_in_intercom
    FROM raw_queue q
    LEFT JOIN raw_queue p ON p.id = q.parent_id AND q.parent_id <> 0
    LEFT JOIN stg_staff s ON s.staff_id = q.staff_id
    LEFT JOIN readable r ON r.id = q.id
    ORDER BY q.id
)

SELECT * FROM final;
