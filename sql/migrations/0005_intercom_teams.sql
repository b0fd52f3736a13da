-- The destination's teams, and the configured department → team overrides.
-- Why: Intercom's API cannot create teams; departments are matched to existing team inboxes.

-- Grain: one row per Intercom team, as GET /teams returned it.
CREATE TABLE raw_intercom.team (
    id          VARCHAR PRIMARY KEY,
    name        VARCHAR,
    admin_ids   VARCHAR[],
    imported_at TIMESTAMP NOT NULL,
    source      VARCHAR NOT NULL
);

-- Grain: one row per [teams.map] entry of ostmig.toml: department path → team name.
CREATE TABLE config.team_map (
    department VARCHAR PRIMARY KEY,
    team_name  VARCHAR NOT NULL
);
