-- staging.stg_custom_fields: the custom fields of ticket, topic, user and organization forms.
-- Grain: one row per form field that holds its own data.
-- Why: these become Intercom attributes. Fields stored elsewhere (FLAG_EXT_STORED 0x2: email,
-- name, subject, message …), layout-only fields (break, info) and osTicket's internal dynamic
-- fields (priority, department, assignee, state) are mapped by their own models, not here;
-- so are the ticket subject (the title) and the user's phone (the contact's phone).
-- Choices come from the field's configuration ("key:Label" lines) or from its custom list.
-- A configuration that is not valid JSON reads as empty (defaults), never as a failed run.
CREATE OR REPLACE TABLE staging.stg_custom_fields AS
WITH
raw_form_field AS (SELECT * FROM raw.form_field),
raw_form AS (SELECT * FROM raw.form),
raw_list_items AS (SELECT * FROM raw.list_items),

fields AS (
    SELECT ff.id::BIGINT AS field_id, ff.form_id::BIGINT AS form_id, fo.type AS form_type,
           fo.title AS form_title, ff.type, ff.name, ff.label, ff.flags::BIGINT AS flags,
           CASE WHEN json_valid(ff.configuration) THEN ff.configuration END AS configuration
    FROM raw_form_field ff
    JOIN raw_form fo ON fo.id = ff.form_id
    WHERE fo.type IN ('T', 'G', 'U', 'O')
      AND ff.flags & 2 = 0
      AND ff.type NOT IN ('break', 'info', 'thread', 'priority', 'department', 'assignee', 'state')
      AND coalesce(trim(ff.name), '') <> ''
      -- mapped to Intercom's own fields: ticket title, contact phone
      AND NOT (fo.type = 'T' AND ff.name = 'subject')
      AND NOT (fo.type = 'U' AND ff.name = 'phone')
),

final AS (
    SELECT f.field_id, f.form_id, f.form_type, f.form_title, f.type, f.name, f.label, f.flags,
           f.flags & 1 <> 0 AS enabled,
           json_extract_string(f.configuration, '$.validator') = 'number' AS numeric,
           coalesce(TRY_CAST(json_extract(f.configuration, '$.time') AS BOOLEAN), false) AS with_time,
           coalesce(TRY_CAST(json_extract(f.configuration, '$.multiselect') AS BOOLEAN), false) AS multiselect,
           CASE
               WHEN f.type = 'choices' THEN list_transform(
                   list_filter(string_split(coalesce(json_extract_string(f.configuration, '$.choices'), ''), chr(10)),
                               lambda l: trim(l) <> ''),
                   lambda l: trim(CASE WHEN l LIKE '%:%' THEN substr(l, strpos(l, ':') + 1) ELSE l END))
               WHEN f.type LIKE 'list-%' THEN (
                   SELECT list(li.value ORDER BY li.sort, li.id) FROM raw_list_items li
                   WHERE li.list_id = TRY_CAST(substr(f.type, 6) AS BIGINT) AND coalesce(li.status, 1) & 1 <> 0)
           END AS options
    FROM fields f
)

SELECT * FROM final;
