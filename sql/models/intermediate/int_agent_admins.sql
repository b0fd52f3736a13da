-- intermediate.int_agent_admins: the Intercom admin each osTicket agent becomes.
-- Grain: one row per agent.
-- Why: replies, notes and assignments must be posted as the right admin. Intercom cannot create
-- admins through the API, so an agent without a match that owns tickets or wrote entries is
-- BLOCKING: the load must not start until the admin is provisioned or mapped in [admins.map].
CREATE OR REPLACE TABLE intermediate.int_agent_admins AS
WITH
stg_staff AS (SELECT * FROM staging.stg_staff),
config_admin_map AS (SELECT * FROM config.admin_map),
raw_ticket AS (SELECT * FROM staging.base_ticket),
raw_thread_entry AS (SELECT * FROM staging.base_thread_entry),
intercom_admin AS (SELECT * FROM raw_intercom.admin),

wanted AS (
    SELECT s.*, coalesce(lower(trim(m.admin_email)), s.email) AS match_email, m.username IS NOT NULL AS mapped
    FROM stg_staff s
    LEFT JOIN config_admin_map m ON lower(m.username) = lower(s.username)
),

activity AS (
    SELECT staff_id, sum(tickets) AS tickets, sum(entries) AS entries FROM (
        SELECT staff_id::BIGINT AS staff_id, count(*) AS tickets, 0 AS entries FROM raw_ticket WHERE staff_id > 0 GROUP BY 1
        UNION ALL
        SELECT staff_id::BIGINT, 0, count(*) FROM raw_thread_entry WHERE staff_id > 0 AND flags & 4 = 0 GROUP BY 1
    ) GROUP BY staff_id
),

final AS (
    SELECT w.staff_id, w.username, w.name, w.email, w.active, w.mapped, w.match_email,
           a.id AS admin_id, a.name AS admin_name,
           coalesce(act.tickets, 0)::BIGINT AS tickets_owned,
           coalesce(act.entries, 0)::BIGINT AS entries_written,
           a.id IS NULL AND coalesce(act.tickets, 0) + coalesce(act.entries, 0) > 0 AS blocking
    FROM wanted w
    LEFT JOIN intercom_admin a ON lower(trim(a.email)) = w.match_email
    LEFT JOIN activity act ON act.staff_id = w.staff_id
)

SELECT * FROM final;
