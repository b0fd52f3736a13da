-- outbox.outbox_companies: the companies the loader creates, in Intercom's request shape.
-- Grain: one row per osTicket organization.
-- Why: `company_id` is derived from the osTicket id so reruns and resumes address the same
-- company (POST /companies creates or updates by company_id).
-- Organization-form answers are custom attributes, as strings (the only type companies take).
-- merge_patch drops null members: Intercom refuses "remote_created_at": null (an organization
-- whose creation osTicket recorded as a zero date, or one known only from a CSV export).
CREATE OR REPLACE TABLE outbox.outbox_companies AS
WITH
settings AS (SELECT * FROM config.settings),
int_field_values AS (SELECT * FROM intermediate.int_field_values),
stg_organizations AS (SELECT * FROM staging.stg_organizations),

payloads AS (
    SELECT org_id,
           'osticket-org-' || org_id AS company_id,
           json_merge_patch('{}', json_object(
               'company_id', 'osticket-org-' || org_id,
               'name', name,
               'remote_created_at', epoch(created)::BIGINT,
               'custom_attributes', json_merge_patch(
                   json_object(
                       (SELECT attributes_prefix FROM settings) || 'org-domains',
                       array_to_string(domains, ', ')),
                   coalesce(
                       (SELECT ('{' || string_agg(to_json(v.attribute_name) || ':' || v.value_json, ',' ORDER BY v.field_id) || '}')::JSON
                        FROM int_field_values v
                        WHERE v.target = 'company' AND v.object_id = org_id),
                       '{}'::JSON)
               )
           )) AS payload
    FROM stg_organizations
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
