-- The `--sample N` rehearsal: its own ledger, reconciliation and outboxes.
-- Why: customers rehearse in a test workspace with a representative sample before the real
-- load. Had the rehearsal shared load.ledger, the real load would skip everything the
-- rehearsal created (in another workspace). sample_outbox.* holds the sampled tickets with
-- their contacts, companies, parts and files, rebuilt by every `load --sample N`.

CREATE SCHEMA IF NOT EXISTS sample_outbox;

CREATE TABLE load.sample_ledger (
    object_type    VARCHAR NOT NULL,
    source_key     VARCHAR NOT NULL,
    phase          VARCHAR NOT NULL,
    ticket_key     VARCHAR,
    payload_sha256 VARCHAR,
    intercom_id    VARCHAR,
    status         VARCHAR NOT NULL,
    attempts       INTEGER NOT NULL,
    last_error     VARCHAR,
    first_at       TIMESTAMP NOT NULL,
    last_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (object_type, source_key)
);

CREATE TABLE load.sample_phase_result AS SELECT * FROM load.phase_result LIMIT 0;

-- Grain: one row per sampled ticket, with why it was picked (its stratum).
CREATE TABLE load.sample (
    ticket_id BIGINT NOT NULL,
    number    VARCHAR NOT NULL,
    stratum   VARCHAR NOT NULL
);
