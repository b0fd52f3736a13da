-- reports.rpt_canned_responses: canned responses, to become Intercom macros.
-- Grain: one row per raw.canned_response.
-- Why: agents' saved replies are working knowledge; Intercom's macros hold them, but the API
-- cannot create macros, so the admin recreates them from this list (text included).
CREATE OR REPLACE TABLE reports.rpt_canned_responses AS
WITH
stg_departments AS (SELECT * FROM staging.stg_departments),
int_team_inboxes AS (SELECT * FROM intermediate.int_team_inboxes),
raw_canned_response AS (SELECT * FROM staging.base_canned_response),

final AS (
    SELECT c.canned_id::BIGINT AS canned_id,
           c.title,
           c.isenabled <> 0 AS enabled,
           coalesce((SELECT d.full_name FROM stg_departments d WHERE d.dept_id = c.dept_id), 'all departments') AS department,
           c.lang AS language,
           length(c.response) AS characters,
           regexp_extract_all(coalesce(c.response, ''), '%\{([a-z_.]+)\}', 1) AS variables_used,
           c.response LIKE '%cid:%' AS has_inline_images,
           left(c.response, 32000) AS response_html,
           CASE WHEN c.isenabled = 0 THEN 'nothing (disabled)'
                ELSE 'Macro "' || c.title || '" (Inbox › Macros)'
                     || CASE WHEN c.dept_id <> 0 THEN ', available to team inbox "'
                             || coalesce((SELECT i.expected_team FROM int_team_inboxes i WHERE i.dept_id = c.dept_id), '?') || '"' ELSE '' END
                     || CASE WHEN c.response LIKE '%\%{%' ESCAPE '\' THEN '; replace the %{…} variables with Intercom attributes' ELSE '' END
                     || CASE WHEN c.response LIKE '%cid:%' THEN '; re-insert its images' ELSE '' END
           END AS rebuild_in_intercom
    FROM raw_canned_response c
    ORDER BY c.title
)

SELECT * FROM final;
