-- reports.rpt_schedules: osTicket's business-hours and holiday schedules, in words.
-- Grain: one row per raw.schedule.
-- Why: SLAs and departments count time in business hours; Intercom's equivalent is office
-- hours, configured by the workspace admin. schedule.flags 0x1 = business hours (else holidays);
-- entries repeat never / daily / weekdays / weekly (day 1 = Monday) / monthly / yearly.
CREATE OR REPLACE TABLE reports.rpt_schedules AS
WITH
raw_schedule_entry AS (SELECT * FROM staging.base_schedule_entry),
raw_sla AS (SELECT * FROM staging.base_sla),
raw_department AS (SELECT * FROM staging.base_department),
raw_config AS (SELECT * FROM staging.base_config),
raw_schedule AS (SELECT * FROM staging.base_schedule),

entries AS (
    SELECT e.schedule_id,
           string_agg(
               CASE e.repeats
                   WHEN 'daily' THEN 'every day'
                   WHEN 'weekdays' THEN 'Monday to Friday'
                   WHEN 'weekends' THEN 'Saturday and Sunday'
                   WHEN 'weekly' THEN 'every ' || ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'][coalesce(e.day, 1)]
                   WHEN 'monthly' THEN 'monthly on day ' || coalesce(e.day, 1)
                   WHEN 'yearly' THEN 'every year on ' || strftime(make_date(2001, coalesce(e."month", 1), coalesce(e.day, 1)), '%B %-d')
                   ELSE 'on ' || strftime(e.starts_on, '%Y-%m-%d')
               END
               || CASE WHEN left(e.starts_at::VARCHAR, 5) = '00:00' AND left(e.ends_at::VARCHAR, 5) = '23:59'
                       THEN ' (all day)'
                       ELSE ' ' || left(e.starts_at::VARCHAR, 5) || '–' || left(e.ends_at::VARCHAR, 5) END
               || coalesce(' "' || e.name || '"', ''),
               '; ' ORDER BY e.sort, e.id) AS hours,
           count(*) AS entries
    FROM raw_schedule_entry e GROUP BY 1
),

final AS (
    SELECT s.id::BIGINT AS schedule_id,
           s.name,
           CASE WHEN s.flags & 1 <> 0 THEN 'business hours' ELSE 'holidays' END AS kind,
           coalesce(nullif(s.timezone, ''), '(the help desk''s time zone)') AS time_zone,
           coalesce(e.hours, '(no entries)') AS hours,
           concat_ws(', ',
               (SELECT 'SLA ' || string_agg('"' || l.name || '"', ', ' ORDER BY l.id) FROM raw_sla l WHERE l.schedule_id = s.id),
               (SELECT 'department ' || string_agg('"' || d.name || '"', ', ' ORDER BY d.id) FROM raw_department d WHERE d.schedule_id = s.id),
               (SELECT 'the help desk default' FROM raw_config c WHERE c.namespace = 'core' AND c.key = 'schedule_id' AND c.value = s.id::VARCHAR)
           ) AS used_by,
           CASE WHEN s.flags & 1 <> 0
                THEN 'Office hours (Settings › Office hours): ' || coalesce(e.hours, 'none') || '; use them in the SLAs that were counted in these hours'
                ELSE 'Intercom office hours have no holiday calendar: list these days in the team''s away message, or adjust office hours before each holiday' END
               AS rebuild_in_intercom
    FROM raw_schedule s
    LEFT JOIN entries e ON e.schedule_id = s.id
    ORDER BY s.id
)

SELECT * FROM final;
