-- staging.stg_customer_notes: osTicket's staff notes on users and organizations, with whom they
-- are about and who wrote them.
-- Grain: one row per raw.note row.
-- Why: osTicket keeps an agent's notes on a customer in `note`, keyed by `ext_id` ('U<user id>'
-- or 'O<organization id>'); they become Intercom contact and company notes. Notes written in
-- osTicket's rich-text box are HTML; older ones plain text, escaped here with their line breaks.
-- A zero date (the table's DDL default) is no date.
CREATE OR REPLACE TABLE staging.stg_customer_notes AS
WITH
raw_note AS (SELECT * FROM staging.base_note),
stg_staff AS (SELECT * FROM staging.stg_staff),

final AS (
    SELECT n.id::BIGINT AS note_id,
           n.ext_id,
           CASE left(n.ext_id, 1) WHEN 'U' THEN 'contact' WHEN 'O' THEN 'company' END AS target,
           try_cast(substr(n.ext_id, 2) AS BIGINT) AS object_id,
           nullif(n.staff_id, 0)::BIGINT AS staff_id,
           s.name AS staff_name,
           n.body,
           CASE WHEN regexp_matches(coalesce(n.body, ''), '<[a-zA-Z/][^>]*>') THEN n.body
                ELSE '<p>' || replace(html_escape(trim(coalesce(n.body, ''))), chr(10), '<br>') || '</p>' END AS body_html,
           nullif(trim(regexp_replace(coalesce(n.body, ''), '<[^>]*>', '', 'g')), '') IS NULL AS empty,
           CASE WHEN year(n.created) > 1970 THEN n.created END AS created,
           CASE WHEN year(n.updated) > 1970 THEN n.updated END AS updated
    FROM raw_note n
    LEFT JOIN stg_staff s ON s.staff_id = n.staff_id
)

SELECT * FROM final;
