-- Tables written by `ostmig split`: thread entries as conversation parts.
-- Why a migration: the split stage replaces their rows atomically on every run, but their shape
-- is a contract with the transform models and reports that read them, so it is versioned here.

CREATE SCHEMA IF NOT EXISTS stage;

-- Grain: one row per visible thread entry of a ticket, in conversation order.
CREATE TABLE stage.parts (
    ticket_id        BIGINT NOT NULL,   -- ticket the part belongs to now (the PARENT after a merge)
    origin_ticket_id BIGINT NOT NULL,   -- ticket the entry was written on (differs after a merge)
    entry_id         BIGINT NOT NULL PRIMARY KEY,
    seq              INTEGER NOT NULL,  -- 1-based position in the ticket's conversation
    kind             VARCHAR NOT NULL,  -- message | response | note | system
    author_type      VARCHAR NOT NULL,  -- contact | admin | system | unknown
    user_id          BIGINT,            -- osTicket user (contact) who wrote it
    staff_id         BIGINT,            -- osTicket staff (admin) who wrote it
    poster           VARCHAR,           -- display name at the time of posting
    created_at       TIMESTAMP NOT NULL,-- UTC
    internal         BOOLEAN NOT NULL,  -- notes are internal; messages and responses public
    edited           BOOLEAN NOT NULL,  -- final text of an edited entry
    source_format    VARCHAR NOT NULL,  -- html | text, as stored by osTicket
    title            VARCHAR,
    body_html        VARCHAR NOT NULL,  -- Intercom's HTML subset; inline images as ostmig-file:<file id>
    body_text        VARCHAR NOT NULL,
    quoted_html      VARCHAR,           -- mail history cut from the end of the body
    body_origin      VARCHAR NOT NULL,  -- column | attachment (long body offloaded) | empty
    problems         VARCHAR[] NOT NULL
);

-- Grain: one row per file attached to a part (attachment.type = 'H').
CREATE TABLE stage.part_attachment (
    entry_id       BIGINT NOT NULL,
    attachment_id  BIGINT NOT NULL,
    file_id        BIGINT NOT NULL,
    name           VARCHAR NOT NULL,
    mime_type      VARCHAR,
    size           BIGINT,
    inline         BOOLEAN NOT NULL,
    role           VARCHAR NOT NULL,  -- attachment | inline_image | body (the offloaded long body)
    cid_resolved   BOOLEAN NOT NULL,  -- a cid: in the body resolved to it
    over_limit     BOOLEAN NOT NULL,  -- larger than the split's --attachment-limit
    storage        VARCHAR            -- file.bk: D in the database; F, 3, 6 outside it
);

-- Grain: one row per source entry that is deliberately not a part (superseded edits, task threads).
CREATE TABLE stage.split_excluded (
    entry_id BIGINT NOT NULL PRIMARY KEY,
    reason   VARCHAR NOT NULL,
    detail   VARCHAR
);

-- Grain: one row per object and reason that needs a person.
CREATE TABLE stage.review_queue (
    object_type VARCHAR NOT NULL,   -- thread_entry, attachment, …
    object_id   BIGINT NOT NULL,
    ticket_id   BIGINT,
    stage       VARCHAR NOT NULL,   -- which command put it here
    reason      VARCHAR NOT NULL,
    detail      VARCHAR
);

-- Grain: one row per part of each ticket picked for the split sign-off sample.
CREATE TABLE stage.split_sample (
    ticket_id     BIGINT NOT NULL,
    stratum       VARCHAR NOT NULL,
    seq           INTEGER NOT NULL,
    entry_id      BIGINT NOT NULL,
    kind          VARCHAR NOT NULL,
    poster        VARCHAR,
    created_at    TIMESTAMP NOT NULL,
    source_format VARCHAR NOT NULL,
    source_body   VARCHAR,
    body_html     VARCHAR NOT NULL,
    body_text     VARCHAR NOT NULL,
    quoted_html   VARCHAR,
    problems      VARCHAR[] NOT NULL
);

-- Grain: one row per split run.
CREATE TABLE meta.split_run (
    id            INTEGER PRIMARY KEY,
    snapshot_id   INTEGER,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP NOT NULL,
    entries       BIGINT NOT NULL,
    parts         BIGINT NOT NULL,
    excluded      BIGINT NOT NULL,
    review_only   BIGINT NOT NULL,
    html_bytes    BIGINT NOT NULL
);
