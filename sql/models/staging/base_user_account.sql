-- staging.base_user_account: osTicket's client-portal accounts, as the snapshot copied them.
-- Grain: one row per raw.user_account row.
-- Why: the one place later layers read raw.user_account through (the scope audit counts them
-- before any transform). A view: nothing is copied. The password hash is left out: nothing
-- downstream needs it, and a query result should not carry it.
CREATE OR REPLACE VIEW staging.base_user_account AS
WITH
raw_user_account AS (SELECT * FROM raw.user_account),

final AS (
    SELECT * EXCLUDE (passwd) FROM raw_user_account
)

SELECT * FROM final;
