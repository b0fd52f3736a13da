-- The load ledger: what `ostmig load` asked Intercom to create, and what came back.
-- Why: a load runs for hours and will be interrupted. Each object's intent is written before its
-- request and its outcome after, so a rerun resumes without duplicates (an object left in
-- 'intent' is looked up before anything is re-sent), verify knows what to read back, and
-- rollback deletes exactly what this tool created and nothing else.

CREATE SCHEMA IF NOT EXISTS load;

-- Grain: one row per Intercom object ostmig created, found existing, or failed to create.
CREATE TABLE load.ledger (
    object_type    VARCHAR NOT NULL,  -- data_attribute, tag, ticket_type, ticket_type_attribute, company, contact, ticket, part, ticket_state, attachment_note
    source_key     VARCHAR NOT NULL,  -- the osTicket-side key (company_id, external_id, ticket number, entry id, …)
    phase          VARCHAR NOT NULL,
    ticket_key     VARCHAR,           -- the ticket a part or note belongs to
    payload_sha256 VARCHAR,
    intercom_id    VARCHAR,
    status         VARCHAR NOT NULL,  -- intent | created | existing | failed | rolled_back
    attempts       INTEGER NOT NULL,
    last_error     VARCHAR,
    first_at       TIMESTAMP NOT NULL,
    last_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (object_type, source_key)
);

-- Grain: one row per phase per load run: the row-count reconciliation.
CREATE TABLE load.phase_result (
    run_id    INTEGER NOT NULL,
    phase     VARCHAR NOT NULL,
    staged    BIGINT NOT NULL,
    sent      BIGINT NOT NULL,
    confirmed BIGINT NOT NULL,
    skipped   BIGINT NOT NULL,
    failed    BIGINT NOT NULL,
    target    VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

-- Grain: one row per field that differs between the outbox and what Intercom returned.
CREATE TABLE load.verify_mismatch (
    object_type VARCHAR NOT NULL,
    source_key  VARCHAR NOT NULL,
    intercom_id VARCHAR,
    field       VARCHAR NOT NULL,
    expected    VARCHAR,
    actual      VARCHAR,
    checked_at  TIMESTAMP NOT NULL
);
