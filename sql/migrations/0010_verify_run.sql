-- What each verify checked, per object type; the rehearsal's differences apart.
-- Why: the reconciliation report shows how many loaded objects were read back and matched, not
-- only the differences (an empty load.verify_mismatch could also mean verify never ran).

-- Grain: one row per verify run and object type.
CREATE TABLE load.verify_run (
    run_at      TIMESTAMP NOT NULL,
    object_type VARCHAR NOT NULL,
    checked     BIGINT NOT NULL,
    mismatched  BIGINT NOT NULL,
    sample      BOOLEAN NOT NULL
);

-- The differences a `verify --sample` found in the rehearsal workspace, apart from the real ones.
CREATE TABLE load.sample_verify_mismatch AS SELECT * FROM load.verify_mismatch LIMIT 0;
