-- intermediate.int_attribute_map: the Intercom attribute each custom field becomes.
-- Grain: one row per staging.stg_custom_fields row.
-- Why: user fields → contact data attributes, organization fields → company data attributes,
-- ticket and help-topic form fields → ticket type attributes. Types: text/memo/phone → string,
-- bool → boolean, datetime → date (datetime when the field records a time), numeric text →
-- float (decimal on tickets), choices and lists → a list with their options (Intercom wants
-- at least two; fewer become a string; a field that allows several choices becomes a string
-- holding every chosen label, comma-separated, since an Intercom list holds one), files → files on tickets, not transferable on contacts.
-- The answers decide too: a text field whose every answer (two or more) is a date becomes a date
-- (datetime on tickets); one with 20+ answers taking 2 to 5 short values becomes a list of them.
-- `data_rule` says so (the mapping proposal shows it).
-- `lossy` says what osTicket enforced that Intercom will not (for the readiness report).
-- An attribute name or type edited in the confirmed mapping (config.field_map, from
-- `ostmig map confirm`) replaces the proposal; proposed_* keep what the rules chose.
CREATE OR REPLACE TABLE intermediate.int_attribute_map AS
WITH
settings AS (SELECT * FROM config.settings),
stg_custom_fields AS (SELECT * FROM staging.stg_custom_fields),
raw_form_entry_values AS (SELECT * FROM staging.base_form_entry_values),
config_field_map AS (SELECT * FROM config.field_map),

named AS (
    SELECT f.*,
           CASE f.form_type WHEN 'U' THEN 'contact' WHEN 'O' THEN 'company' ELSE 'ticket' END AS target,
           -- Contact and company attributes share one namespace in Intercom: org- keeps them apart.
           (SELECT attributes_prefix FROM settings)
               || CASE f.form_type WHEN 'O' THEN 'org-' ELSE '' END
               || trim(regexp_replace(lower(f.name), '[^a-z0-9]+', '-', 'g'), '-') AS attribute_name
    FROM stg_custom_fields f
),

profile AS (
    SELECT v.field_id::BIGINT AS field_id, count(*) AS answers, count(DISTINCT trim(v.value)) AS distinct_values,
           count(try_strptime(trim(v.value), ['%Y-%m-%d', '%m/%d/%Y', '%d.%m.%Y'])) AS dates,
           max(length(trim(v.value))) AS longest,
           list(DISTINCT trim(v.value) ORDER BY trim(v.value)) AS values
    FROM raw_form_entry_values v
    WHERE nullif(trim(v.value), '') IS NOT NULL
    GROUP BY 1
),

proposed AS (
SELECT n.field_id, n.form_type, n.form_title, n.name AS field_name, n.label, n.type AS field_type,
       n.target, n.attribute_name, n.enabled,
       CASE
           WHEN n.type IN ('choices') OR n.type LIKE 'list-%' THEN
               CASE WHEN n.multiselect THEN 'string' WHEN len(n.options) >= 2 THEN 'list' ELSE 'string' END
           WHEN n.type = 'bool' THEN 'boolean'
           WHEN n.type = 'datetime' THEN
               CASE WHEN n.target = 'ticket' OR n.with_time THEN 'datetime' ELSE 'date' END
           WHEN n.type = 'files' THEN CASE WHEN n.target = 'ticket' THEN 'files' END
           WHEN n.numeric THEN CASE WHEN n.target = 'ticket' THEN 'decimal' ELSE 'float' END
           WHEN n.type = 'text' AND pr.answers >= 2 AND pr.dates = pr.answers
               THEN CASE WHEN n.target = 'ticket' THEN 'datetime' ELSE 'date' END
           WHEN n.type = 'text' AND pr.answers >= 20 AND pr.distinct_values BETWEEN 2 AND 5 AND pr.longest <= 40
               THEN 'list'
           ELSE 'string'
       END AS data_type,
       CASE WHEN (n.type = 'choices' OR n.type LIKE 'list-%') AND len(n.options) >= 2 AND NOT n.multiselect THEN n.options
            WHEN n.type = 'text' AND NOT coalesce(n.numeric, false) AND pr.answers >= 20 AND pr.distinct_values BETWEEN 2 AND 5
                 AND pr.longest <= 40 AND pr.dates < pr.answers
                THEN pr.values
       END AS options,
       CASE
           WHEN n.type <> 'text' OR coalesce(n.numeric, false) THEN NULL
           WHEN pr.answers >= 2 AND pr.dates = pr.answers THEN 'all ' || pr.answers || ' answers are dates'
           WHEN pr.answers >= 20 AND pr.distinct_values BETWEEN 2 AND 5 AND pr.longest <= 40
               THEN pr.answers || ' answers take only ' || pr.distinct_values || ' values'
       END AS data_rule,
       n.type = 'memo' AS multiline,
       concat_ws('; ',
           CASE WHEN n.flags & 1 = 0 THEN 'disabled in osTicket' END,
           CASE WHEN n.flags & 1024 <> 0 THEN 'required for customers in osTicket' END,
           CASE WHEN n.flags & 16384 <> 0 THEN 'required for agents in osTicket' END,
           CASE WHEN n.flags & 4 <> 0 THEN 'required to close in osTicket' END,
           CASE WHEN n.flags & 256 = 0 THEN 'hidden from customers in osTicket' END,
           CASE WHEN n.type = 'files' AND n.target <> 'ticket' THEN 'files cannot be a contact or company attribute: not migrated' END,
           CASE WHEN (n.type = 'choices' OR n.type LIKE 'list-%') AND n.multiselect THEN 'several choices allowed: every chosen label kept, comma-separated, as text' END,
           CASE WHEN (n.type = 'choices' OR n.type LIKE 'list-%') AND NOT n.multiselect AND coalesce(len(n.options), 0) < 2 THEN 'fewer than two options: migrated as text' END,
           CASE WHEN n.type = 'phone' THEN 'phone format and extension kept as text' END
       ) AS lossy
FROM named n
LEFT JOIN profile pr ON pr.field_id = n.field_id
),

final AS (
    SELECT p.* REPLACE (
               coalesce(fm.attribute_name, p.attribute_name) AS attribute_name,
               coalesce(fm.data_type, p.data_type) AS data_type,
               CASE WHEN coalesce(fm.data_type, p.data_type) = 'list' THEN p.options END AS options),
           p.attribute_name AS proposed_attribute, p.data_type AS proposed_type
    FROM proposed p
    LEFT JOIN config_field_map fm ON fm.field_id = p.field_id
)

SELECT * FROM final;
