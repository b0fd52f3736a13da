-- outbox.outbox_contacts: the contacts the loader creates, in Intercom's request shape.
-- Grain: one row per osTicket user that has an e-mail address or a phone number.
-- Why: who becomes a contact, with which company, is decided in intermediate.int_contacts.
-- Users with neither e-mail nor phone cannot be contacts: reports.rpt_contact_exclusions lists them.
-- Every user-form answer rides along as a custom attribute (intermediate.int_field_values), and
-- so do the user's other e-mail addresses and portal account (outbox_data_attributes names
-- them); the owner is the company's account manager (intermediate.int_account_managers).
CREATE OR REPLACE TABLE outbox.outbox_contacts AS
WITH
int_field_values AS (SELECT * FROM intermediate.int_field_values),
int_contacts AS (SELECT * FROM intermediate.int_contacts),
stg_users AS (SELECT * FROM staging.stg_users),
settings AS (SELECT * FROM config.settings),

payloads AS (
    SELECT c.user_id, c.external_id, c.org_id, c.company_rule, c.phone_only,
           -- merge_patch drops null members: Intercom refuses "email": null (a phone-only user).
           json_merge_patch('{}', json_object(
               'role', 'user',
               'external_id', c.external_id,
               'email', u.email,
               'phone', u.phone,
               'name', u.name,
               'signed_up_at', epoch(u.created)::BIGINT,
               'owner_id', c.owner_admin_id,
               'custom_attributes', json_merge_patch(
                   coalesce(
                       (SELECT ('{' || string_agg(to_json(v.attribute_name) || ':' || v.value_json, ',' ORDER BY v.field_id) || '}')::JSON
                        FROM int_field_values v
                        WHERE v.target = 'contact' AND v.object_id = u.user_id),
                       '{}'::JSON),
                   -- Keys whose value is NULL are dropped by the patch (no prefix, or none to carry).
                   json_object(
                       coalesce(p.attributes_prefix || 'other-emails', ''),
                       CASE WHEN p.attributes_prefix IS NOT NULL THEN nullif(array_to_string(u.other_emails, ', '), '') END,
                       coalesce(p.attributes_prefix || 'portal-account', ' '),
                       CASE WHEN p.attributes_prefix IS NOT NULL THEN u.portal_account END))
           )) AS payload
    FROM int_contacts c
    JOIN stg_users u ON u.user_id = c.user_id
    CROSS JOIN settings p
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
