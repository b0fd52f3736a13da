-- The ledger's payload hashes, computed in SQL from here on.
-- Why: the hash of what was sent used to be computed in Rust, over serde_json's text of the
-- payload (keys sorted), and the state update's payload was assembled in Rust; now every
-- outbox carries `payload_sha256` = sha256 of its payload's text and the plan is a view
-- (`load.plan`). The hashes already in a ledger are of the old kind: the rows listed here are
-- re-hashed once by the next `ostmig transform`, which compares each with the old hash of the
-- current outbox row, so an object that did not change does not show as changed. Until then
-- the load and its plan refuse to run.

-- Grain: one row per ledger row whose hash is of the old kind.
CREATE TABLE load.legacy_hash AS
SELECT 'main' AS target, object_type, source_key FROM load.ledger WHERE payload_sha256 IS NOT NULL
UNION ALL
SELECT 'sample', object_type, source_key FROM load.sample_ledger WHERE payload_sha256 IS NOT NULL;
