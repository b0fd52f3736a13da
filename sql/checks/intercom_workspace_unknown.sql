-- check: the target workspace's ticket types and data attributes are not known
-- severity: warn
-- Why: without them the state and attribute checks above cannot see what Intercom would
-- refuse; the load still checks them against the live API before it sends anything. Run
-- `ostmig intercom pull --db FILE --intercom-url URL` to fetch them.
WITH pulls AS (
    SELECT list FROM raw_intercom.pull_log
),
final AS (
    SELECT 'ostmig intercom pull' AS run
    WHERE NOT EXISTS (SELECT 1 FROM pulls)
)
SELECT * FROM final;
