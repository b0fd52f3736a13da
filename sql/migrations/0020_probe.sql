-- What `ostmig probe` found out about the target workspace, and what it created to find out.
-- Why a migration: `ostmig check`, the load and the readiness sheet read the answers; the
-- journal of probe objects is how a killed probe is cleaned up by the next run.

CREATE SCHEMA IF NOT EXISTS probe;

-- Grain: one row per question, the latest answer.
CREATE TABLE probe.result (
    question_id VARCHAR NOT NULL PRIMARY KEY,
    question    VARCHAR NOT NULL,
    answer      VARCHAR NOT NULL,   -- yes | no | a number | more than N | not probed | unknown
    evidence    VARCHAR NOT NULL,   -- the request and Intercom's answer, in short (never a token)
    probed_at   TIMESTAMP NOT NULL, -- UTC
    workspace   VARCHAR NOT NULL    -- the API host probed
);

-- Grain: one row per object a probe created (or meant to): written before the create.
CREATE TABLE probe.object (
    marker      VARCHAR NOT NULL PRIMARY KEY, -- ostmig-probe-<run>-<role>: its external_id or title
    kind        VARCHAR NOT NULL,             -- contact | ticket
    intercom_id VARCHAR,                      -- NULL: the answer to the create never arrived
    owner_id    VARCHAR,                      -- a ticket's requester, to find it again by search
    intended_at TIMESTAMP NOT NULL,
    removed_at  TIMESTAMP
);
