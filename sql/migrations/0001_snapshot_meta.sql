-- 0001: bookkeeping of snapshots.
-- Why: every later stage and every report must be able to say which copy of the source it read,
-- how complete that copy was (rows copied vs. rows counted in the same source transaction), and
-- which values needed repair. Secrets are never stored here: `source` is the URL without password.
CREATE SCHEMA IF NOT EXISTS meta;

-- Grain: one row per completed snapshot.
CREATE TABLE meta.snapshot (
    snapshot_id        INTEGER PRIMARY KEY,
    started_at         TIMESTAMP NOT NULL,   -- UTC
    finished_at        TIMESTAMP NOT NULL,   -- UTC
    source             VARCHAR NOT NULL,     -- mysql://user@host:port/db, never a password
    source_host        VARCHAR NOT NULL,
    source_database    VARCHAR NOT NULL,
    mysql_version      VARCHAR NOT NULL,
    table_prefix       VARCHAR NOT NULL,
    schema_signature   VARCHAR,              -- config(core, schema_signature)
    osticket_version   VARCHAR NOT NULL,     -- release line, or 'unknown'
    source_time_zone   VARCHAR NOT NULL,     -- zone DATETIME columns were read in
    time_zone_origin   VARCHAR NOT NULL,     -- where that zone came from
    tables             INTEGER NOT NULL,
    rows_copied        BIGINT NOT NULL,
    bytes              BIGINT NOT NULL,
    zero_dates         BIGINT NOT NULL,
    repaired_values    BIGINT NOT NULL,
    issues             BIGINT NOT NULL,
    warnings           VARCHAR[] NOT NULL,
    ostmig_version     VARCHAR NOT NULL
);

-- Grain: one row per snapshot and source table.
CREATE TABLE meta.snapshot_table (
    snapshot_id        INTEGER NOT NULL,
    table_name         VARCHAR NOT NULL,     -- name in schema raw (prefix removed)
    source_table       VARCHAR NOT NULL,     -- name in MySQL (with prefix)
    source_engine      VARCHAR,
    rows_counted       BIGINT NOT NULL,      -- COUNT(*) inside the snapshot transaction
    rows_copied        BIGINT NOT NULL,
    bytes              BIGINT NOT NULL,      -- bytes of values read
    source_bytes       BIGINT,               -- data + index length reported by MySQL
    zero_dates         BIGINT NOT NULL,
    repaired_values    BIGINT NOT NULL,
    issues             BIGINT NOT NULL,
    watermark_column   VARCHAR,              -- `updated` when the table has one
    max_watermark      TIMESTAMP,            -- its maximum, UTC: the start of a later delta run
    PRIMARY KEY (snapshot_id, table_name)
);

-- Grain: one row per snapshot, table and column: how each column was typed.
CREATE TABLE meta.snapshot_column (
    snapshot_id        INTEGER NOT NULL,
    table_name         VARCHAR NOT NULL,
    ordinal            INTEGER NOT NULL,
    column_name        VARCHAR NOT NULL,
    mysql_type         VARCHAR NOT NULL,     -- information_schema COLUMN_TYPE
    character_set      VARCHAR,
    duckdb_type        VARCHAR NOT NULL,
    is_primary_key     BOOLEAN NOT NULL,
    PRIMARY KEY (snapshot_id, table_name, column_name)
);

-- Grain: one row per value that was changed or could not be read faithfully.
CREATE TABLE meta.snapshot_issue (
    snapshot_id        INTEGER NOT NULL,
    table_name         VARCHAR NOT NULL,
    row_key            VARCHAR NOT NULL,     -- primary key as col=value[,col=value]
    column_name        VARCHAR NOT NULL,
    problem            VARCHAR NOT NULL,     -- mojibake_repaired | invalid_utf8 | unparseable | out_of_range
    detail             VARCHAR
);
