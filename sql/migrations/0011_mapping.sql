-- The signed-off mapping: what `ostmig map confirm` recorded, and the field overrides it makes.
-- Why: customers confirm the map before any record moves; `load --apply` compares the mapping
-- the staged data would send now with the confirmed one and refuses when they differ.
CREATE SCHEMA IF NOT EXISTS mapping;

-- Grain: one row per confirmation (the latest is in force).
CREATE TABLE mapping.confirmation (
    confirmed_at   TIMESTAMP NOT NULL,
    confirmed_by   VARCHAR NOT NULL,
    file           VARCHAR NOT NULL,
    file_sha256    VARCHAR NOT NULL,   -- the file as confirmed, byte for byte
    mapping_sha256 VARCHAR NOT NULL,   -- the destinations only (see src/map.rs, canonical)
    entries        BIGINT NOT NULL
);

-- Grain: one row per destination value of the latest confirmation: (class, source, key).
CREATE TABLE mapping.entry (
    class    VARCHAR NOT NULL,   -- status | priority | department | topic | field | sla
    source   VARCHAR NOT NULL,   -- status/priority/department/topic/SLA name, or the field id
    key      VARCHAR NOT NULL,   -- to | attribute | type
    value    VARCHAR,
    proposed VARCHAR,            -- what the proposal said; a different value is an edit
    PRIMARY KEY (class, source, key)
);

-- Grain: one row per custom field whose attribute name or type was edited in the mapping.
CREATE TABLE config.field_map (
    field_id       BIGINT PRIMARY KEY,
    attribute_name VARCHAR,
    data_type      VARCHAR
);
