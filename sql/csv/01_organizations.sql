-- raw.organization from the staff panel's organization export (raw_csv.organizations) and the
-- organizations the user export names.
-- Grain: one row per distinct organization name.
-- Why: without the database an organization is known by its name only. Ids are assigned in
-- name order (the same export gives the same ids); domains and custom fields are not exported
-- (reports.rpt_fallback_gaps).
INSERT INTO raw.organization (id, name, manager, status, domain, extra, created, updated)
SELECT row_number() OVER (ORDER BY lower(name), name), name, '', 0, '', NULL, NULL, NULL
FROM (
    SELECT DISTINCT trim("Name") AS name FROM raw_csv.organizations WHERE nullif(trim("Name"), '') IS NOT NULL
    UNION
    SELECT DISTINCT trim("Organization") FROM raw_csv.users WHERE nullif(trim("Organization"), '') IS NOT NULL
);
