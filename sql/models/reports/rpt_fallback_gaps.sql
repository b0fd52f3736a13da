-- reports.rpt_fallback_gaps: what a snapshot from the staff panel's CSV exports (and saved
-- ticket pages) cannot provide, for the customer to sign off before the load.
-- Grain: one row per missing object or field; no rows when the latest snapshot read the database.
-- Why: on shared hosting without database access the fallback is the only way, and its
-- trade-offs must be stated plainly, not discovered after the load.
CREATE OR REPLACE TABLE reports.rpt_fallback_gaps AS
WITH
meta_snapshot AS (SELECT * FROM meta.snapshot),

latest AS (SELECT kind FROM meta_snapshot ORDER BY snapshot_id DESC LIMIT 1),

gaps (sort, object, missing, consequence) AS (VALUES
    (1, 'tickets, users, organizations', 'osTicket''s internal ids',
        'ids are assigned by ostmig in name/address order; contacts get external_id osticket-user-<that id>, so never mix a CSV run and a database run into one workspace'),
    (2, 'thread entries', 'messages, replies and notes',
        'not in the exports: split the saved ticket pages (ostmig split --rendered DIR); without them tickets arrive with their subject only'),
    (3, 'attachments', 'files',
        'not in the exports: snapshot --pages downloads them through the pages'' links while they are reachable; files it could not fetch, and those of pages saved by hand, are listed, not uploaded'),
    (4, 'custom fields', 'field types, choices and the answers of custom forms',
        'exported as text by label only: not migrated as attributes (the columns are listed in the snapshot''s warnings)'),
    (5, 'SLA plans', 'grace periods, schedules, which plan a ticket has',
        'not in the exports: rebuild SLAs in Intercom from the customer''s own list'),
    (6, 'organizations', 'domains, account managers, custom fields',
        'contacts are linked only by the user export''s Organization column; no domain linking'),
    (7, 'agents', 'e-mail addresses, usernames, departments',
        'agents are known by the name in "Agent Assigned": map each in [admins.map] as "First Last" = "admin e-mail"'),
    (8, 'statuses', 'each status''s state',
        'guessed from the name (Closed/Resolved closed, Archived, Deleted, others open): check the Readiness and ticket states'),
    (9, 'departments, help topics', 'parents (paths), settings, routing',
        'names as exported; no hierarchy, no automation inventory'),
    (10, 'activity history', 'status changes, assignments, transfers (thread events)',
        'not in the exports: no activity notes are sent'),
    (11, 'merges and links', 'which ticket was merged into which',
        'not in the exports: every exported ticket is its own ticket'),
    (12, 'times', 'the time zone of exported dates',
        'read in --source-timezone (default UTC): set it to osTicket''s zone')
),

final AS (
    SELECT g.sort, g.object, g.missing, g.consequence
    FROM gaps g, latest l WHERE l.kind = 'csv'
    ORDER BY g.sort
)

SELECT * FROM final;
