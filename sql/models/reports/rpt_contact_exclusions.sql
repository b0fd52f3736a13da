-- reports.rpt_contact_exclusions: users that are not sent as contacts, or are sent for review.
-- Grain: one row per user and reason.
-- Why: nothing is dropped silently: a user without e-mail and phone cannot be an Intercom
-- contact; phone-only users are sent but flagged for the customer to check; a user whose
-- address Intercom would refuse (malformed, or another user's already) is sent without it and
-- flagged, with the address in `detail`, so the customer can correct or merge them.
CREATE OR REPLACE TABLE reports.rpt_contact_exclusions AS
WITH
stg_users AS NOT MATERIALIZED (SELECT * FROM staging.stg_users),

final AS (
    SELECT user_id, name, 'no_email_or_phone' AS reason, 'excluded' AS outcome, NULL::VARCHAR AS detail
    FROM stg_users WHERE email IS NULL AND phone IS NULL AND email_problem IS NULL
    UNION ALL
    SELECT user_id, name, 'phone_only', 'sent_for_review', NULL
    FROM stg_users WHERE email IS NULL AND phone IS NOT NULL AND email_problem IS NULL
    UNION ALL
    SELECT user_id, name, email_problem, 'sent_for_review',
           CASE email_problem
               WHEN 'invalid_email' THEN 'not an address Intercom accepts: ' || source_email
               ELSE source_email || ' is already the address of user ' || email_owner
           END
    FROM stg_users WHERE email_problem IS NOT NULL
    ORDER BY reason, user_id
)

SELECT * FROM final;
