-- Which private app (access token) sent each object.
-- Why: `ostmig load` may spread the load over several apps of the workspace
-- (OSTMIG_INTERCOM_TOKEN_FILE lists their tokens), each with its own rate limit. An object is
-- always sent, looked up and sent again by the app its intent names, so a resumed load repeats
-- exactly what the killed one did, and the ledger says which app created what.

-- app: `app-` and the first 8 hex digits of the SHA-256 of the token (never the token itself);
-- NULL for objects sent before this column (by the one token there was).
ALTER TABLE load.ledger ADD COLUMN app VARCHAR;
ALTER TABLE load.sample_ledger ADD COLUMN app VARCHAR;

-- What each phase of a run cost: requests made to Intercom and seconds taken, so a rehearsal
-- tells how long the real load will take (calls ÷ the calls a minute the apps may make).
ALTER TABLE load.phase_result ADD COLUMN calls BIGINT;
ALTER TABLE load.phase_result ADD COLUMN seconds DOUBLE;
ALTER TABLE load.sample_phase_result ADD COLUMN calls BIGINT;
ALTER TABLE load.sample_phase_result ADD COLUMN seconds DOUBLE;

-- One column to find an object by: DuckDB answers `WHERE object_key = ?` from an index in well
-- under a millisecond, where `WHERE object_type = ? AND source_key = ?` scans the whole ledger
-- (milliseconds per lookup at a million objects, and the load looks up every object it sends).
-- ticket_key gets one for the same reason: every ticket reads what is already on it.
ALTER TABLE load.ledger ADD COLUMN object_key VARCHAR;
UPDATE load.ledger SET object_key = object_type || '/' || source_key;
CREATE INDEX ledger_object_key ON load.ledger (object_key);
CREATE INDEX ledger_ticket_key ON load.ledger (ticket_key);
ALTER TABLE load.sample_ledger ADD COLUMN object_key VARCHAR;
UPDATE load.sample_ledger SET object_key = object_type || '/' || source_key;
CREATE INDEX sample_ledger_object_key ON load.sample_ledger (object_key);
CREATE INDEX sample_ledger_ticket_key ON load.sample_ledger (ticket_key);

-- The ledger's journal: every write of a load, appended (a few microseconds each, where an
-- UPDATE of load.ledger cost most of a millisecond of CPU), folded into load.ledger at the end of
-- each phase and whenever the staging file is opened, then emptied. Grain: one row per write.
CREATE TABLE load.ledger_journal (
    seq            BIGINT NOT NULL,   -- order of the writes
    event          VARCHAR NOT NULL,  -- intent | outcome | park | updated | update_failed
    object_type    VARCHAR NOT NULL,
    source_key     VARCHAR NOT NULL,
    phase          VARCHAR NOT NULL,
    ticket_key     VARCHAR,
    payload_sha256 VARCHAR,
    intercom_id    VARCHAR,
    status         VARCHAR,
    last_error     VARCHAR,
    app            VARCHAR,
    written_at     DOUBLE NOT NULL,   -- Unix seconds
    object_key     VARCHAR NOT NULL
);
CREATE TABLE load.sample_ledger_journal AS SELECT * FROM load.ledger_journal LIMIT 0;
