-- What the target workspace already holds, and what the load decided about contacts it found.
-- Why: the live API differs from its schema (src/intercom/errata.toml). A ticket state belongs
-- to ticket types, contact and company data attributes share one namespace of at most 250, and
-- a workspace with a Messenger already has users and leads holding osTicket users' e-mails.
-- `ostmig intercom pull` stores the first two so `ostmig check` can refuse a load that Intercom
-- would refuse half-way; the load records every adoption or refusal of a pre-existing contact.

-- Grain: one row per data attribute (contact or company model) as GET /data_attributes listed it.
CREATE TABLE raw_intercom.data_attribute (
    id          VARCHAR NOT NULL,
    model       VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    data_type   VARCHAR,
    custom      BOOLEAN,
    archived    BOOLEAN,
    imported_at TIMESTAMP NOT NULL,
    source      VARCHAR NOT NULL      -- no key: a pull replaces the list in one transaction
);

-- Grain: one row per (ticket type, state of that type), from GET /ticket_types; a type without
-- states has one row with NULL state.
CREATE TABLE raw_intercom.ticket_type_state (
    ticket_type_id   VARCHAR NOT NULL,
    ticket_type_name VARCHAR NOT NULL,
    archived_type    BOOLEAN,
    state_id         VARCHAR,
    category         VARCHAR,
    internal_label   VARCHAR,
    imported_at      TIMESTAMP NOT NULL,
    source           VARCHAR NOT NULL
);

-- Grain: one row per `ostmig intercom pull` of each list, so a check can tell "the workspace
-- has none" from "never asked".
CREATE TABLE raw_intercom.pull_log (
    list      VARCHAR NOT NULL,   -- data_attributes | ticket_types
    rows      BIGINT NOT NULL,
    pulled_at TIMESTAMP NOT NULL,
    source    VARCHAR NOT NULL
);

-- Grain: one row per osTicket user whose e-mail the workspace already held under another
-- contact: adopted (external_id set, unarchived, a lead made a user) or refused, with why.
CREATE TABLE load.contact_match (
    external_id VARCHAR NOT NULL,
    email       VARCHAR,
    intercom_id VARCHAR,
    action      VARCHAR NOT NULL,   -- adopted | adopted_lead (+ _archived when it was) | refused
    reason      VARCHAR NOT NULL,
    decided_at  TIMESTAMP NOT NULL
);
CREATE TABLE load.sample_contact_match AS SELECT * FROM load.contact_match LIMIT 0;

-- Tickets verify could not compare (more parts than a read returns), per run.
ALTER TABLE load.verify_run ADD COLUMN unverifiable BIGINT DEFAULT 0;
