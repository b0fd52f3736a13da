-- intermediate.int_field_values: each custom-field answer as the typed value Intercom takes.
-- Grain: one row per intermediate.int_field_answers row whose field has an Intercom type, for
-- users (contact), organizations (company) and tickets (ticket).
-- Why: osTicket stores every answer as text: choices and lists as JSON {"key":"Label"}, booleans
-- as '1'/'0', phones with an `X` before the extension, datetimes as 'Y-m-d H:i:s T' (legacy rows
-- as Unix seconds, '0' for none). Intercom wants typed values: dates as Unix seconds, list values
-- as one of the options (tickets: options without commas, as list_items is comma-delimited),
-- and company attributes as strings only. `problem` says what could not be carried exactly.
CREATE OR REPLACE TABLE intermediate.int_field_values AS
WITH
int_field_answers AS (SELECT * FROM intermediate.int_field_answers),

answers AS (
    SELECT object_type, object_id, field_id, target, attribute_name, data_type, field_type, value
    FROM int_field_answers
    WHERE data_type IS NOT NULL AND data_type <> 'files'
),

parsed AS (
    SELECT a.*,
           CASE WHEN a.field_type = 'choices' OR a.field_type LIKE 'list-%' THEN
               CASE WHEN json_valid(a.value) AND a.value LIKE '{%'
                    THEN json_extract_string(a.value, '$.*') ELSE [a.value] END
                -- A text field proposed as a list from its answers (int_attribute_map.data_rule).
                WHEN a.data_type = 'list' THEN [a.value]
           END AS labels,
           CASE WHEN a.field_type = 'text' AND a.data_type IN ('date', 'datetime')
                    THEN try_strptime(a.value, ['%Y-%m-%d', '%m/%d/%Y', '%d.%m.%Y'])
                WHEN a.field_type = 'datetime' THEN
               CASE
                   WHEN regexp_matches(a.value, '^[0-9]+$') THEN
                       CASE WHEN a.value::BIGINT > 0 THEN to_timestamp(a.value::BIGINT)::TIMESTAMP END
                   ELSE try_strptime(substr(a.value, 1, 19), '%Y-%m-%d %H:%M:%S')
                        - to_hours(CASE regexp_extract(a.value, '\s([A-Za-z]{1,5})$', 1)
                              WHEN 'EST' THEN -5 WHEN 'EDT' THEN -4 WHEN 'CST' THEN -6 WHEN 'CDT' THEN -5
                              WHEN 'MST' THEN -7 WHEN 'MDT' THEN -6 WHEN 'PST' THEN -8 WHEN 'PDT' THEN -7
                              WHEN 'AKST' THEN -9 WHEN 'AKDT' THEN -8 WHEN 'HST' THEN -10
                              WHEN 'CET' THEN 1 WHEN 'CEST' THEN 2 WHEN 'EET' THEN 2 WHEN 'EEST' THEN 3
                              WHEN 'BST' THEN 1 WHEN 'IST' THEN 1 WHEN 'WET' THEN 0 WHEN 'WEST' THEN 1
                              WHEN 'MSK' THEN 3 WHEN 'JST' THEN 9 WHEN 'AEST' THEN 10 WHEN 'AEDT' THEN 11
                              ELSE 0 END)
               END
           END AS at,
           CASE WHEN a.field_type = 'datetime' AND NOT regexp_matches(a.value, '^[0-9]+$')
                 AND regexp_extract(a.value, '\s([A-Za-z]{1,5})$', 1) NOT IN
                     ('', 'UTC', 'GMT', 'EST', 'EDT', 'CST', 'CDT', 'MST', 'MDT', 'PST', 'PDT', 'AKST',
                      'AKDT', 'HST', 'CET', 'CEST', 'EET', 'EEST', 'BST', 'IST', 'WET', 'WEST', 'MSK',
                      'JST', 'AEST', 'AEDT')
                THEN 'time zone ' || regexp_extract(a.value, '\s([A-Za-z]{1,5})$', 1) || ' unknown: read as UTC'
           END AS tz_problem
    FROM answers a
),

typed AS (
    SELECT p.*,
           CASE
               WHEN p.labels IS NOT NULL THEN array_to_string(p.labels, ', ')
               WHEN p.field_type = 'phone' THEN replace(p.value, 'X', ' ext. ')
               WHEN p.field_type = 'datetime' THEN strftime(p.at, '%Y-%m-%d %H:%M:%S')
               ELSE p.value
           END AS value_text
    FROM parsed p
    WHERE p.field_type <> 'datetime' OR p.at IS NOT NULL
),

final AS (
    SELECT t.object_type, t.object_id, t.field_id, t.target, t.attribute_name, t.data_type,
           t.value AS source_value, t.value_text,
           CASE
               WHEN t.target = 'company' THEN to_json(t.value_text)
               WHEN t.data_type = 'boolean' THEN to_json(t.value IN ('1', 'true', 'on'))
               WHEN t.data_type IN ('date', 'datetime') THEN to_json(epoch(t.at)::BIGINT)
               WHEN t.data_type IN ('float', 'decimal') THEN to_json(TRY_CAST(t.value AS DOUBLE))
               WHEN t.data_type = 'integer' THEN to_json(TRY_CAST(t.value AS BIGINT))
               WHEN t.data_type = 'list' AND t.target = 'ticket' THEN to_json(replace(t.labels[1], ',', ';'))
               WHEN t.data_type = 'list' THEN to_json(t.labels[1])
               ELSE to_json(t.value_text)
           END AS value_json,
           concat_ws('; ',
               CASE WHEN t.data_type = 'list' AND len(t.labels) > 1
                    THEN 'several choices; Intercom lists hold one: first kept' END,
               CASE WHEN t.data_type IN ('float', 'decimal') AND TRY_CAST(t.value AS DOUBLE) IS NULL
                    THEN 'not a number: sent empty' END,
               CASE WHEN t.data_type IN ('date', 'datetime') AND t.at IS NULL
                    THEN 'not a date: sent empty' END,
               t.tz_problem
           ) AS problem
    FROM typed t
)

SELECT * FROM final;
