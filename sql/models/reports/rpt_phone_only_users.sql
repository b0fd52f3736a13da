-- reports.rpt_phone_only_users: users with a phone number but no e-mail address.
-- Grain: one row per such user.
-- Why: they become contacts identified by phone only; Intercom cannot e-mail them and the
-- customer may want to collect addresses first.
CREATE OR REPLACE TABLE reports.rpt_phone_only_users AS
WITH
raw_ticket AS (SELECT * FROM staging.base_ticket),
int_contacts AS (SELECT * FROM intermediate.int_contacts),
stg_users AS (SELECT * FROM staging.stg_users),

final AS (
    SELECT u.user_id, u.name, u.phone, c.external_id,
           (SELECT count(*) FROM raw_ticket t WHERE t.user_id = u.user_id) AS tickets
    FROM int_contacts c
    JOIN stg_users u ON u.user_id = c.user_id
    WHERE c.phone_only
    ORDER BY u.user_id
)

SELECT * FROM final;
