-- outbox.outbox_data_attributes: contact and company data attributes to create (POST /data_attributes).
-- Grain: one row per user-form or organization-form custom field that can be an attribute, plus
-- the company attribute holding the organization's osTicket domains and the contact attributes
-- holding a user's other e-mail addresses and portal account (field_id NULL; each only when
-- some user has one).
-- Why: Intercom needs the attribute before any contact or company carries a value for it;
-- list attributes are sent as data_type "options" with `options` (at least two; the spec's
-- oneOf), the others with their `data_type`.
CREATE OR REPLACE TABLE outbox.outbox_data_attributes AS
WITH
int_attribute_map AS (SELECT * FROM intermediate.int_attribute_map),
settings AS (SELECT * FROM config.settings),
stg_users AS (SELECT * FROM staging.stg_users),

payloads AS (
    SELECT field_id, target AS model, attribute_name,
           CASE WHEN data_type = 'list'
                THEN json_object('name', attribute_name, 'model', target, 'description', label,
                                 'data_type', 'options', 'options', (SELECT to_json(list(json_object('value', o))) FROM unnest(options) AS t(o)))
                -- Company values are strings in the spec (erratum custom-attributes-must-exist), so
                -- company attributes are created as strings.
                ELSE json_object('name', attribute_name, 'model', target, 'description', label,
                                 'data_type', CASE WHEN target = 'company' THEN 'string' ELSE data_type END)
           END AS payload
    FROM int_attribute_map
    WHERE target IN ('contact', 'company') AND data_type IS NOT NULL
    UNION ALL
    SELECT NULL, 'company', p.attributes_prefix || 'org-domains',
           json_object('name', p.attributes_prefix || 'org-domains', 'model', 'company',
                       'description', 'E-mail domains of the osTicket organization', 'data_type', 'string')
    FROM settings p WHERE p.attributes_prefix IS NOT NULL
    UNION ALL
    SELECT NULL, 'contact', p.attributes_prefix || a.suffix,
           json_object('name', p.attributes_prefix || a.suffix, 'model', 'contact',
                       'description', a.description, 'data_type', 'string')
    FROM settings p,
         (VALUES ('other-emails', 'Other e-mail addresses of the osTicket user (mail from them opens a new lead)',
                  (SELECT count(*) FROM stg_users WHERE len(other_emails) > 0)),
                 ('portal-account', 'State of the osTicket client-portal account',
                  (SELECT count(*) FROM stg_users WHERE portal_account IS NOT NULL))) a(suffix, description, users)
    WHERE p.attributes_prefix IS NOT NULL AND a.users > 0
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
