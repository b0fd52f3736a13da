-- reports.rpt_office_hours: osTicket's business-hours schedules as the Intercom office hours to
-- create, with their holidays as the schedule's exceptions: each request as it would be sent.
-- Grain: one row per business-hours schedule (`POST /office_hours_schedules`) and per exception
-- of it (`POST /office_hours_schedules/{id}/office_hours_exceptions`), one per holiday entry,
-- or one per year for the next two years when the holiday moves (the 3rd Monday of January).
-- Why: SLAs and departments count time in these hours; Intercom's office hours hold the weekly
-- hours and dated exceptions (closed, or custom hours). A schedule's holidays are the holiday
-- schedules its configuration names (`config` namespace `schedule.<id>`, `holidays`). Intercom
-- takes 15-minute boundaries: other times are widened to the quarter hour, and `note` says so.
-- Dates are computed from the snapshot's day. Entries that repeat monthly, or hours that are
-- not weekly, cannot be office hours: listed with the reason, in no payload.
CREATE OR REPLACE TABLE reports.rpt_office_hours AS
WITH
raw_schedule AS (SELECT * FROM staging.base_schedule),
raw_schedule_entry AS (SELECT * FROM staging.base_schedule_entry),
raw_config AS (SELECT * FROM staging.base_config),
meta_snapshot AS (SELECT * FROM meta.snapshot),

today AS (
    SELECT coalesce(max(finished_at)::DATE, DATE '2000-01-01') AS d FROM meta_snapshot
),

install_zone AS (
    SELECT max(value) AS tz FROM raw_config WHERE namespace = 'core' AND key IN ('default_timezone', 'db_timezone')
),

-- Minutes from midnight, and the ends widened to a quarter hour (23:59:59 is the day's end).
entries AS (
    SELECT e.*, s.flags & 1 <> 0 AS business,
           (hour(e.starts_at) * 60 + minute(e.starts_at)) // 15 * 15 AS start_min,
           least(1440, ((hour(e.ends_at) * 60 + minute(e.ends_at) + CASE WHEN second(e.ends_at) > 0 THEN 1 ELSE 0 END) + 14) // 15 * 15) AS end_min,
           (hour(e.starts_at) * 60 + minute(e.starts_at)) % 15 <> 0
             OR ((hour(e.ends_at) * 60 + minute(e.ends_at)) % 15 <> 0 AND NOT (hour(e.ends_at) = 23 AND minute(e.ends_at) = 59)) AS widened
    FROM raw_schedule_entry e
    JOIN raw_schedule s ON s.id = e.schedule_id
),

-- Weekly hours of a business schedule: the days each entry covers (0 = Monday).
days AS (
    SELECT e.schedule_id, e.id AS entry_id, d AS dow, e.start_min, e.end_min, e.widened
    FROM entries e, unnest(CASE e.repeats
        WHEN 'daily' THEN [0, 1, 2, 3, 4, 5, 6]
        WHEN 'weekdays' THEN [0, 1, 2, 3, 4]
        WHEN 'weekends' THEN [5, 6]
        WHEN 'weekly' THEN [coalesce(e.day, 1) - 1]
        ELSE [] END) AS t(d)
    WHERE e.business AND e.end_min > e.start_min
),

schedules AS (
    SELECT s.id AS schedule_id, s.name,
           coalesce(nullif(s.timezone, ''), (SELECT tz FROM install_zone), 'UTC') AS time_zone,
           (SELECT list(json_object('start_minute', d.dow * 1440 + d.start_min, 'end_minute', d.dow * 1440 + d.end_min)
                        ORDER BY d.dow, d.start_min)
            FROM days d WHERE d.schedule_id = s.id) AS intervals,
           (SELECT bool_or(d.widened) FROM days d WHERE d.schedule_id = s.id) AS widened,
           (SELECT string_agg(coalesce(e.name, e.repeats), ', ' ORDER BY e.id) FROM entries e
            WHERE e.schedule_id = s.id AND e.repeats NOT IN ('daily', 'weekdays', 'weekends', 'weekly')) AS not_weekly
    FROM raw_schedule s
    WHERE s.flags & 1 <> 0
),

-- The holiday schedules each business schedule names.
links AS (
    SELECT try_cast(split_part(c.namespace, '.', 2) AS BIGINT) AS schedule_id, h::BIGINT AS holiday_schedule_id
    FROM raw_config c, unnest(coalesce(json_extract(c.value, '$.holidays')::BIGINT[], [])) AS t(h)
    WHERE c.namespace LIKE 'schedule.%' AND c.key = 'configuration'
),

-- Each holiday's dates: a fixed day recurs every year; a moving one (week set: the nth, or -1
-- the last, weekday `day` of the month) is dated for its next two occurrences.
years AS (SELECT y FROM today, unnest([year(d), year(d) + 1, year(d) + 2]) AS t(y)),

holidays AS (
    SELECT l.schedule_id, e.*,
           CASE WHEN e.repeats = 'yearly' AND e.week IS NULL THEN 'fixed'
                WHEN e.repeats = 'yearly' THEN 'moving'
                WHEN e.repeats = 'never' THEN 'once'
                ELSE 'repeating' END AS pattern
    FROM links l JOIN entries e ON e.schedule_id = l.holiday_schedule_id
),

dated AS (
    -- Next occurrence of a fixed date, from the snapshot's day.
    SELECT h.schedule_id, h.id AS entry_id, h.name, h.start_min, h.end_min, h.widened, h.pattern,
           CASE WHEN make_date(year(t.d), h."month", h.day) >= t.d THEN make_date(year(t.d), h."month", h.day)
                ELSE make_date(year(t.d) + 1, h."month", h.day) END AS on_day,
           true AS annual
    FROM holidays h, today t WHERE h.pattern = 'fixed'
    UNION ALL
    SELECT * FROM (
        SELECT h.schedule_id, h.id AS entry_id, h.name, h.start_min, h.end_min, h.widened, h.pattern,
               CASE WHEN h.week > 0
                    THEN make_date(y.y, h."month", 1)
                         + (((h.day - isodow(make_date(y.y, h."month", 1))) + 7) % 7 + (h.week - 1) * 7)::INTEGER
                    ELSE last_day(make_date(y.y, h."month", 1))
                         - ((isodow(last_day(make_date(y.y, h."month", 1))) - h.day + 7) % 7)::INTEGER END AS on_day,
               false AS annual
        FROM holidays h, years y WHERE h.pattern = 'moving')
    WHERE on_day >= (SELECT d FROM today)
    QUALIFY row_number() OVER (PARTITION BY schedule_id, entry_id ORDER BY on_day) <= 2
    UNION ALL
    SELECT h.schedule_id, h.id, h.name, h.start_min, h.end_min, h.widened, h.pattern, h.starts_on, false
    FROM holidays h WHERE h.pattern = 'once' AND h.starts_on >= (SELECT d FROM today)
),

exceptions AS (
    SELECT d.*, d.start_min = 0 AND d.end_min >= 1440 AS all_day FROM dated d
),

proposals AS (
    SELECT s.schedule_id, s.name AS schedule, 'schedule' AS request, NULL::BIGINT AS entry_id,
           'office hours "' || s.name || '" (' || s.time_zone || ')' AS what,
           CASE WHEN len(s.intervals) > 0 THEN json_object('name', s.name, 'time_zone_name', s.time_zone,
                                                         'time_intervals', s.intervals::JSON) END AS payload,
           concat_ws('; ',
               CASE WHEN coalesce(len(s.intervals), 0) = 0 THEN 'no weekly hours: nothing to create' END,
               CASE WHEN s.widened THEN 'times widened to the quarter hour (Intercom takes 15-minute boundaries)' END,
               CASE WHEN s.not_weekly IS NOT NULL THEN 'not weekly, so not office hours: ' || s.not_weekly END) AS note,
           0 AS ord
    FROM schedules s
    UNION ALL
    SELECT s.schedule_id, s.name, 'exception', e.entry_id,
           coalesce(e.name, 'holiday') || ' on ' || strftime(e.on_day, '%Y-%m-%d')
               || CASE WHEN e.annual THEN ', every year' ELSE '' END,
           json_merge_patch('{}', json_object(
               'exception_date', strftime(e.on_day, '%Y-%m-%d'),
               'exception_type', CASE WHEN e.all_day THEN 'closed' ELSE 'custom_hours' END,
               'name', e.name,
               'recurring_annually', e.annual,
               -- A partly closed day: open for the hours around the closed stretch.
               'time_intervals', CASE WHEN NOT e.all_day THEN (
                   SELECT list(json_object('start_minute', a, 'end_minute', b))::JSON
                   FROM (VALUES (0, e.start_min), (e.end_min, 1440)) v(a, b) WHERE b > a) END)),
           concat_ws('; ',
               CASE WHEN e.pattern = 'moving' THEN 'moves every year: dated for its next two occurrences, add later years in Intercom' END,
               CASE WHEN e.widened THEN 'times widened to the quarter hour' END),
           1
    FROM exceptions e JOIN schedules s USING (schedule_id)
    UNION ALL
    SELECT s.schedule_id, s.name, 'exception', h.id, coalesce(h.name, 'holiday') || ' (' || h.repeats || ')', NULL,
           'repeats ' || h.repeats || ': Intercom exceptions are single days (or yearly ones): not proposed', 2
    FROM holidays h JOIN schedules s USING (schedule_id) WHERE h.pattern = 'repeating'
    UNION ALL
    SELECT s.schedule_id, s.name, 'exception', h.id, coalesce(h.name, 'holiday') || ' on ' || strftime(h.starts_on, '%Y-%m-%d'), NULL,
           'before the snapshot''s day: not proposed', 2
    FROM holidays h JOIN schedules s USING (schedule_id), today t WHERE h.pattern = 'once' AND h.starts_on < t.d
),

final AS (
    SELECT schedule_id, schedule, request, entry_id, what, payload::VARCHAR AS payload, note
    FROM proposals
    ORDER BY schedule_id, ord, proposals.payload->>'$.exception_date', entry_id
)

SELECT * FROM final;
