-- Book-keeping and configuration tables of `ostmig transform`.
-- Why a migration: models read their settings from SQL tables (so every model file runs as-is
-- in the duckdb shell), and each run is recorded for audit.

CREATE SCHEMA IF NOT EXISTS config;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS intermediate;
CREATE SCHEMA IF NOT EXISTS outbox;
CREATE SCHEMA IF NOT EXISTS reports;

-- Grain: one row per setting of ostmig.toml (defaults included), as text.
CREATE TABLE config.setting (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- Grain: one row per free-mail domain: shipped list plus [companies].free_mail_extra.
-- A `*` matches any label (yahoo.*).
CREATE TABLE config.free_mail_domain (
    pattern VARCHAR PRIMARY KEY
);

-- Grain: one row per model per transform run.
CREATE TABLE meta.model_run (
    run_id      INTEGER NOT NULL,
    model       VARCHAR NOT NULL,   -- file under sql/models/
    relation    VARCHAR NOT NULL,
    checksum    VARCHAR NOT NULL,   -- sha256 of the file as run
    row_count   BIGINT,
    seconds     DOUBLE NOT NULL,
    run_at      TIMESTAMP NOT NULL
);
