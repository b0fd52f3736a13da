-- outbox.outbox_companies: the companies the loader creates, in Intercom's request shape.
-- Grain: one row per osTicket organization.
-- Why: `company_id` is derived from the osTicket id so reruns and resumes address the same
-- company (POST /companies creates or updates by company_id).
CREATE OR REPLACE TABLE outbox.outbox_companies AS
SELECT org_id,
       'osticket-org-' || org_id AS company_id,
       json_object(
           'company_id', 'osticket-org-' || org_id,
           'name', name,
           'remote_created_at', epoch(created)::BIGINT,
           'custom_attributes', json_object(
               (SELECT value FROM config.setting WHERE key = 'attributes.prefix') || 'org-domains',
               array_to_string(domains, ', ')
           )
       ) AS payload
FROM staging.stg_organizations;
