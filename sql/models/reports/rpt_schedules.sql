-- reports.rpt_schedules: osTicket's business-hours and holiday schedules, in words.
-- Grain: one row per raw.schedule.
-- Why: SLAs and departments count time in business hours; Intercom's equivalent is office
-- hours with dated exceptions (reports.rpt_office_hours proposes each request). schedule.flags
-- 0x1 = business hours (else holidays); entries repeat never / daily / weekdays / weekly (day 1
-- = Monday) / monthly / yearly (on `month`/`day`, or with `week` set on the nth — -1 the last —
-- weekday `day` of the month).
CREATE OR REPLACE TABLE reports.rpt_schedules AS
WITH
raw_schedule_entry AS (SELECT * FROM staging.base_schedule_entry),
raw_sla AS (SELECT * FROM staging.base_sla),
raw_department AS (SELECT * FROM staging.base_department),
raw_config AS (SELECT * FROM staging.base_config),
raw_schedule AS (SELECT * FROM staging.base_schedule),
rpt_office_hours AS (SELECT * FROM reports.rpt_office_hours),

-- The holiday schedules each business schedule names (config namespace schedule.<id>).
holiday_links AS (
    SELECT try_cast(split_part(c.namespace, '.', 2) AS BIGINT) AS schedule_id, h::BIGINT AS holiday_schedule_id
    FROM raw_config c, unnest(coalesce(json_extract(c.value, '$.holidays')::BIGINT[], [])) AS t(h)
    WHERE c.namespace LIKE 'schedule.%' AND c.key = 'configuration'
),

entries AS (
    SELECT e.schedule_id,
           string_agg(
               CASE e.repeats
                   WHEN 'daily' THEN 'every day'
                   WHEN 'weekdays' THEN 'Monday to Friday'
                   WHEN 'weekends' THEN 'Saturday and Sunday'
                   WHEN 'weekly' THEN 'every ' || ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'][coalesce(e.day, 1)]
                   WHEN 'monthly' THEN 'monthly on day ' || coalesce(e.day, 1)
                   WHEN 'yearly' THEN CASE WHEN e.week IS NULL
                       THEN 'every year on ' || strftime(make_date(2001, coalesce(e."month", 1), coalesce(e.day, 1)), '%B %-d')
                       ELSE 'every year on the ' || CASE e.week WHEN -1 THEN 'last' WHEN 1 THEN '1st' WHEN 2 THEN '2nd' WHEN 3 THEN '3rd' ELSE e.week || 'th' END
                            || ' ' || ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'][coalesce(e.day, 1)]
                            || ' of ' || strftime(make_date(2001, coalesce(e."month", 1), 1), '%B') END
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
               (SELECT 'the help desk default' FROM raw_config c WHERE c.namespace = 'core' AND c.key = 'schedule_id' AND c.value = s.id::VARCHAR),
               (SELECT 'the holidays of ' || string_agg('"' || b.name || '"', ', ' ORDER BY b.id) FROM holiday_links l
                JOIN raw_schedule b ON b.id = l.schedule_id WHERE l.holiday_schedule_id = s.id)
           ) AS used_by,
           CASE WHEN s.flags & 1 <> 0
                THEN 'Office hours "' || s.name || '"'
                     || coalesce(' with ' || nullif((SELECT count(*) FROM rpt_office_hours o
                                                     WHERE o.schedule_id = s.id AND o.request = 'exception' AND o.payload IS NOT NULL), 0)
                                 || ' exceptions', '')
                     || ' (Settings › Office hours, or the requests of the "Office hours" sheet); use them in the SLAs that were counted in these hours'
                WHEN EXISTS (SELECT 1 FROM holiday_links l WHERE l.holiday_schedule_id = s.id)
                THEN 'exceptions (closed days) of the office hours '
                     || (SELECT string_agg('"' || b.name || '"', ', ' ORDER BY b.id) FROM holiday_links l JOIN raw_schedule b ON b.id = l.schedule_id
                         WHERE l.holiday_schedule_id = s.id)
                     || ': the "Office hours" sheet dates each one'
                ELSE 'holidays no business-hours schedule names: nothing to create' END
               AS rebuild_in_intercom
    FROM raw_schedule s
    LEFT JOIN entries e ON e.schedule_id = s.id
    ORDER BY s.id
)

SELECT * FROM final;
