-- The configured status and priority overrides ([statuses.map], [priorities.map] of ostmig.toml).
-- Why: tickets read them from SQL so every model runs unchanged in the duckdb shell.

-- Grain: one row per [statuses.map] entry: osTicket status name → Intercom state category.
CREATE TABLE config.status_map (
    status   VARCHAR PRIMARY KEY,
    category VARCHAR NOT NULL   -- in_progress | waiting_on_customer | resolved
);

-- Grain: one row per [priorities.map] entry: osTicket priority → value of the Priority attribute.
CREATE TABLE config.priority_map (
    priority VARCHAR PRIMARY KEY,
    value    VARCHAR NOT NULL
);
