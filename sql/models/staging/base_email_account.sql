-- staging.base_email_account: the mailboxes osTicket fetches mail from (and SMTP accounts), as
-- the snapshot copied them.
-- Grain: one row per raw.email_account row.
-- Why: the one place later layers read raw.email_account through (the scope audit counts them
-- before any transform). A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_email_account AS
WITH
raw_email_account AS (SELECT * FROM raw.email_account),

final AS (
    SELECT * FROM raw_email_account
)

SELECT * FROM final;
