-- The destination's admins, and the configured agent → admin overrides.
-- Why: agents are matched to Intercom admins by e-mail; the admin list comes from the API
-- (`GET /admins`) or, offline, from a saved copy (`ostmig intercom import-admins FILE`).

CREATE SCHEMA IF NOT EXISTS raw_intercom;

-- Grain: one row per Intercom admin, as GET /admins returned it.
CREATE TABLE raw_intercom.admin (
    id                VARCHAR PRIMARY KEY,
    name              VARCHAR,
    email             VARCHAR,
    has_inbox_seat    BOOLEAN,
    away_mode_enabled BOOLEAN,
    imported_at       TIMESTAMP NOT NULL,
    source            VARCHAR NOT NULL   -- file path or API URL it came from
);

-- Grain: one row per [admins.map] entry of ostmig.toml: osTicket username → admin e-mail.
CREATE TABLE config.admin_map (
    username    VARCHAR PRIMARY KEY,
    admin_email VARCHAR NOT NULL
);
