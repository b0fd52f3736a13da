-- What every model shares, defined once: the HTML escaping of text ostmig writes into bodies,
-- and the settings of ostmig.toml as one typed row.
-- Why: the same replace() chain stood in four models and thirteen scalar lookups of
-- config.setting each cast (or forgot to cast) its text; a change to either was a change in
-- many files.

-- html_escape(text): text made safe to put between HTML tags (names, titles, activity lines).
-- Quotes are left alone: the escaped text never lands inside an attribute.
CREATE OR REPLACE MACRO html_escape(s) AS
    replace(replace(replace(s, '&', '&amp;'), '<', '&lt;'), '>', '&gt;');

-- Grain: one row, whatever config.setting holds (a setting it lacks is NULL or its default).
CREATE OR REPLACE VIEW config.settings AS
SELECT
    coalesce(max(value) FILTER (WHERE key = 'companies.link_subdomains') = 'true', false) AS companies_link_subdomains,
    max(value) FILTER (WHERE key = 'attributes.prefix') AS attributes_prefix,
    coalesce(max(value) FILTER (WHERE key = 'topics.naming'), 'path') AS topics_naming,
    coalesce(max(value) FILTER (WHERE key = 'notes.policy'), 'note') AS notes_policy,
    max(value) FILTER (WHERE key = 'attachments.limit_bytes')::BIGINT AS attachments_limit_bytes,
    coalesce(max(value) FILTER (WHERE key = 'attachments.request_bytes')::BIGINT, 8388608) AS attachments_request_bytes,
    nullif(max(value) FILTER (WHERE key = 'admins.fallback'), '') AS admins_fallback,
    max(value) FILTER (WHERE key = 'tickets.type_name') AS tickets_type_name,
    coalesce(max(value) FILTER (WHERE key = 'events'), 'notes') AS events,
    coalesce(max(value) FILTER (WHERE key = 'participants'), 'add') AS participants
FROM config.setting;
