-- reports.rpt_contact_exclusions: users that are not sent as contacts, or are sent for review.
-- Grain: one row per user and reason.
-- Why: nothing is dropped silently: a user without e-mail and phone cannot be an Intercom
-- contact, and phone-only users are sent but flagged for the customer to check.
CREATE OR REPLACE TABLE reports.rpt_contact_exclusions AS
SELECT user_id, name, 'no_email_or_phone' AS reason, 'excluded' AS outcome
FROM staging.stg_users WHERE email IS NULL AND phone IS NULL
UNION ALL
SELECT user_id, name, 'phone_only', 'sent_for_review'
FROM staging.stg_users WHERE email IS NULL AND phone IS NOT NULL
ORDER BY reason, user_id;
