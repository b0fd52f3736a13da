//! `load.ledger`: one row per Intercom object, written before its request (intent) and after
//! the answer (outcome), each write its own DuckDB transaction so a SIGKILL loses nothing.

use std::sync::Mutex;

use duckdb::{Connection, OptionalExt, params};
use sha2::{Digest, Sha256};

pub struct Ledger {
    conn: Mutex<Connection>,
    target: Target,
}

/// Which load a ledger records: the migration itself, or a `--sample` rehearsal into a test
/// workspace. A rehearsal has its own ledger and reads its own outboxes (`sample_outbox.*`,
/// the sampled tickets with their contacts, companies, parts and files), so rehearsing never
/// makes the real load skip anything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Target {
    #[default]
    Main,
    Sample,
}

impl Target {
    /// `sql` written against the main ledger and outboxes, pointed at this target's.
    pub fn sql(self, sql: &str) -> String {
        match self {
            Target::Main => sql.to_string(),
            Target::Sample => sql
                .replace("load.ledger", "load.sample_ledger")
                .replace("load.phase_result", "load.sample_phase_result")
                .replace("load.verify_mismatch", "load.sample_verify_mismatch")
                .replace("load.readback", "load.sample_readback")
                .replace("load.contact_match", "load.sample_contact_match")
                .replace("load.plan", "load.sample_plan")
                .replace("outbox.outbox_", "sample_outbox.outbox_"),
        }
    }
}

/// What the ledger knows about one object.
#[derive(Debug, Clone)]
pub struct Entry {
    pub status: String,
    pub intercom_id: Option<String>,
    /// Hash of the outbox payload last sent (or being sent) for this object.
    pub payload_sha256: Option<String>,
    /// Seconds since the row last changed: for an `intent` or `unknown` object, since it was
    /// last sent.
    pub age_seconds: f64,
}

impl Entry {
    /// Created by us or found existing, with the id Intercom gave it: nothing to send. Settled
    /// without an id cannot happen through this code; should a damaged file hold one, the
    /// object is treated as sent-but-unconfirmed and looked up before anything is sent again.
    pub fn settled(&self) -> bool {
        matches!(self.status.as_str(), "created" | "existing") && self.intercom_id.is_some()
    }
}

/// Which object a ledger row is about: its type, osTicket-side key, phase and ticket.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    pub object_type: &'a str,
    pub key: &'a str,
    pub phase: &'a str,
    /// `ticket_key`: the ticket a part or note is on; for a contact or company note, that
    /// contact's or company's key (it goes with them in a rollback).
    pub ticket: Option<&'a str>,
}

/// The hash ostmig kept before 0016_sql_hash: of serde_json's text of the payload (keys sorted).
fn legacy_sha(payload_text: &str) -> String {
    let payload: serde_json::Value =
        serde_json::from_str(payload_text).unwrap_or(serde_json::Value::Null);
    hex::encode(Sha256::digest(payload.to_string().as_bytes()))
}

/// Bring the hashes 0016_sql_hash listed to the outboxes' own (`payload_sha256`), once, after
/// the outboxes are built: a row whose old hash is that of the current outbox row's old text
/// gets the current row's hash (unchanged, so not sent again); any other row keeps its hash,
/// which matches nothing now (the object changed since it was sent, so it is a change either
/// way). The sample ledger is compared with the migration's outboxes, which its own are copies
/// of. Returns how many rows were re-hashed.
pub fn rehash_legacy(conn: &Connection) -> anyhow::Result<usize> {
    let pending: i64 = conn.query_row("SELECT count(*) FROM load.legacy_hash", [], |r| r.get(0))?;
    if pending == 0 {
        return Ok(0);
    }
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE rehashed (target VARCHAR, object_type VARCHAR, source_key VARCHAR, payload_sha256 VARCHAR)",
    )?;
    for (target, ledger) in [("main", "load.ledger"), ("sample", "load.sample_ledger")] {
        for o in super::objects::OBJECT_TYPES {
            let mut stmt = conn.prepare(&format!(
                "WITH legacy(k, text) AS ({}), current(k, hash) AS ({})
                 SELECT l.source_key, l.payload_sha256, legacy.text, current.hash
                 FROM {ledger} l
                 JOIN load.legacy_hash h ON h.target = '{target}' AND h.object_type = l.object_type AND h.source_key = l.source_key
                 JOIN legacy ON legacy.k = l.source_key
                 JOIN current ON current.k = l.source_key
                 WHERE l.object_type = '{}'",
                o.legacy, o.staged, o.name
            ))?;
            let mut rows = stmt.query([])?;
            let mut insert = conn.prepare("INSERT INTO rehashed VALUES (?, ?, ?, ?)")?;
            while let Some(r) = rows.next()? {
                let (key, stored, text, current): (String, String, String, String) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                if legacy_sha(&text) == stored {
                    insert.execute(params![target, o.name, key, current])?;
                }
            }
        }
    }
    let mut n = 0;
    for (target, ledger) in [("main", "load.ledger"), ("sample", "load.sample_ledger")] {
        n += conn.execute(
            &format!(
                "UPDATE {ledger} l SET payload_sha256 = r.payload_sha256 FROM rehashed r
                 WHERE r.target = '{target}' AND r.object_type = l.object_type AND r.source_key = l.source_key"
            ),
            [],
        )?;
    }
    conn.execute_batch("DELETE FROM load.legacy_hash; DROP TABLE rehashed;")?;
    Ok(n)
}

impl Ledger {
    pub fn new(conn: Connection, target: Target) -> Ledger {
        Ledger {
            conn: Mutex::new(conn),
            target,
        }
    }

    pub fn target(&self) -> Target {
        self.target
    }

    /// See [`Target::sql`].
    pub fn sql(&self, sql: &str) -> String {
        self.target.sql(sql)
    }

    pub fn with<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.conn.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn get(&self, object_type: &str, key: &str) -> anyhow::Result<Option<Entry>> {
        self.with(|c| {
            c.query_row(
                &self.sql("SELECT status, intercom_id, payload_sha256, epoch(now()::TIMESTAMP) - epoch(last_at)
                           FROM load.ledger WHERE object_type = ? AND source_key = ?"),
                params![object_type, key],
                |r| {
                    Ok(Entry {
                        status: r.get(0)?,
                        intercom_id: r.get(1)?,
                        payload_sha256: r.get(2)?,
                        age_seconds: r.get::<_, f64>(3)?.max(0.0),
                    })
                },
            )
            .optional()
            .map_err(Into::into)
        })
    }

    /// The Intercom id of a settled object (a company for a contact, a ticket for its parts).
    pub fn id_of(&self, object_type: &str, key: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .get(object_type, key)?
            .filter(Entry::settled)
            .and_then(|e| e.intercom_id))
    }

    /// Record that a request is about to be sent.
    pub fn intent(&self, k: Key, payload_sha: &str) -> anyhow::Result<()> {
        // A plain UPDATE, then an INSERT when there was no row: an `ON CONFLICT DO UPDATE` was
        // seen, after a SIGKILL and DuckDB's WAL replay, to leave rows `created` without their
        // intercom_id (tests/load.rs, OSTMIG_KILL_SEED=6842907340319929671).
        self.with(|c| {
            let updated = c.execute(
                &self.sql(
                    "UPDATE load.ledger SET status = 'intent', attempts = attempts + 1, payload_sha256 = ?,
                       last_at = now()::TIMESTAMP WHERE object_type = ? AND source_key = ?",
                ),
                params![payload_sha, k.object_type, k.key],
            )?;
            if updated == 0 {
                c.execute(
                    &self.sql("INSERT INTO load.ledger VALUES (?, ?, ?, ?, ?, NULL, 'intent', 1, NULL, now()::TIMESTAMP, now()::TIMESTAMP)"),
                    params![k.object_type, k.key, k.phase, k.ticket, payload_sha],
                )?;
            }
            Ok::<(), duckdb::Error>(())
        })?;
        Ok(())
    }

    /// Record that a created object was brought up to date with a changed payload. Written only
    /// after Intercom confirmed, so a crash mid-update leaves the old hash and the update is
    /// simply sent again (updates are idempotent).
    pub fn updated(&self, k: Key, payload_sha: &str) -> anyhow::Result<()> {
        self.with(|c| {
            c.execute(
                &self.sql("UPDATE load.ledger SET payload_sha256 = ?, last_error = NULL, attempts = attempts + 1,
                   last_at = now()::TIMESTAMP WHERE object_type = ? AND source_key = ?"),
                params![payload_sha, k.object_type, k.key],
            )
        })?;
        Ok(())
    }

    /// An update failed: the object stays created (others depend on its id); the error is kept
    /// and the old hash makes the next run try again.
    pub fn update_failed(&self, k: Key, error: &str) -> anyhow::Result<()> {
        self.with(|c| {
            c.execute(
                &self.sql(
                    "UPDATE load.ledger SET last_error = ?, last_at = now()::TIMESTAMP
                 WHERE object_type = ? AND source_key = ?",
                ),
                params![format!("update: {error}"), k.object_type, k.key],
            )
        })?;
        Ok(())
    }

    /// A create whose answer was lost and that search has not found yet: `unknown`, with why.
    /// `last_at` keeps the time of the send, so a later run knows how long search has had.
    pub fn park(&self, k: Key, reason: &str) -> anyhow::Result<()> {
        self.with(|c| {
            c.execute(
                &self.sql(
                    "UPDATE load.ledger SET status = 'unknown', last_error = ?
                     WHERE object_type = ? AND source_key = ?",
                ),
                params![reason, k.object_type, k.key],
            )
        })?;
        Ok(())
    }

    /// The Intercom ids of the parts and notes already settled on ticket `ticket_key`.
    pub fn claimed(&self, ticket_key: &str) -> anyhow::Result<std::collections::HashSet<String>> {
        self.with(|c| {
            let mut stmt = c.prepare(&self.sql(
                "SELECT intercom_id FROM load.ledger WHERE ticket_key = ? AND intercom_id IS NOT NULL
                   AND object_type IN ('part', 'event', 'attachment_note', 'cc_note', 'field_files', 'task_note') AND status IN ('created', 'existing')",
            ))?;
            let ids = stmt
                .query_map([ticket_key], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()?;
            Ok(ids)
        })
    }

    /// Record the outcome: `created`, `existing` (found, not ours), `failed` or `rolled_back`.
    pub fn outcome(
        &self,
        k: Key,
        status: &str,
        intercom_id: Option<&str>,
        error: Option<&str>,
    ) -> anyhow::Result<()> {
        // UPDATE then INSERT, not ON CONFLICT: see `intent`.
        self.with(|c| {
            let updated = c.execute(
                &self.sql(
                    "UPDATE load.ledger SET status = ?, intercom_id = coalesce(?, intercom_id),
                       last_error = ?, last_at = now()::TIMESTAMP WHERE object_type = ? AND source_key = ?",
                ),
                params![status, intercom_id, error, k.object_type, k.key],
            )?;
            if updated == 0 {
                c.execute(
                    &self.sql("INSERT INTO load.ledger VALUES (?, ?, ?, ?, NULL, ?, ?, 0, ?, now()::TIMESTAMP, now()::TIMESTAMP)"),
                    params![k.object_type, k.key, k.phase, k.ticket, intercom_id, status, error],
                )?;
            }
            Ok::<(), duckdb::Error>(())
        })?;
        Ok(())
    }
}
