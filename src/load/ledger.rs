//! `load.ledger`: one row per Intercom object, written before its request (intent) and after
//! the answer (outcome), each write durable before the caller goes on, so a SIGKILL loses
//! nothing.
//!
//! Writes are appended to a journal (`load.ledger_journal`) and folded into `load.ledger` in
//! bulk: at the end of each phase, when the ledger is dropped, and whenever the staging file
//! is opened (a killed load's journal is folded before anyone reads the ledger). A DuckDB
//! statement costs the best part of a millisecond of CPU whatever it does, and a point UPDATE
//! per write held a load to a few hundred calls a second; an append of every write that
//! arrived together (group commit, one writer thread) costs a few microseconds each.
//!
//! A load ([`Ledger::journaled`]) reads what it wrote from memory; the other commands
//! ([`Ledger::new`]) fold after every write and read the table.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use duckdb::{Connection, OptionalExt, params};
use sha2::{Digest, Sha256};

pub struct Ledger {
    conn: Mutex<Connection>,
    target: Target,
    /// A load's: the writer thread and what the ledger holds, in memory.
    journal: Option<Journal>,
}

struct Journal {
    jobs: Option<std::sync::mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    entries: Mutex<HashMap<String, Cached>>,
}

/// An entry as the load keeps it in memory: `last_at` as an instant, so its age is exact.
#[derive(Clone)]
struct Cached {
    status: String,
    intercom_id: Option<String>,
    payload_sha256: Option<String>,
    last_at: Instant,
    app: Option<String>,
}

/// One write, as the journal records it.
struct Event {
    event: &'static str,
    key: OwnedKey,
    payload_sha256: Option<String>,
    intercom_id: Option<String>,
    status: Option<String>,
    last_error: Option<String>,
    app: Option<String>,
}

struct Job {
    event: Event,
    done: tokio::sync::oneshot::Sender<Result<(), String>>,
}

/// Writes appended together at most.
const BATCH: usize = 1024;

/// `(schema, table)` of the journal of `target`.
fn journal_table(target: Target) -> (String, String) {
    let name = target.sql("load.ledger_journal");
    let (schema, table) = name.split_once('.').unwrap_or(("load", "ledger_journal"));
    (schema.to_string(), table.to_string())
}

/// The next `seq` of the journal of `target`.
fn next_seq(conn: &Connection, target: Target) -> duckdb::Result<i64> {
    conn.query_row(
        &target.sql("SELECT coalesce(max(seq), 0) + 1 FROM load.ledger_journal"),
        [],
        |r| r.get(0),
    )
}

/// Append `events` to the journal of `target`, numbered from `seq` (one flush: one commit).
fn append(conn: &Connection, target: Target, seq: i64, events: &[&Event]) -> duckdb::Result<()> {
    let (schema, table) = journal_table(target);
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let mut appender = conn.appender_to_db(&table, &schema)?;
    for (n, e) in events.iter().enumerate() {
        appender.append_row(params![
            seq + n as i64,
            e.event,
            e.key.object_type,
            e.key.key,
            e.key.phase,
            e.key.ticket,
            e.payload_sha256,
            e.intercom_id,
            e.status,
            e.last_error,
            e.app,
            at,
            e.key.object_key
        ])?;
    }
    appender.flush()
}

fn write_loop(conn: Connection, target: Target, jobs: std::sync::mpsc::Receiver<Job>) {
    let mut seq = next_seq(&conn, target).unwrap_or(1);
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let events: Vec<&Event> = batch.iter().map(|j| &j.event).collect();
        let done = append(&conn, target, seq, &events).map_err(|e| e.to_string());
        if done.is_ok() {
            seq += events.len() as i64;
        }
        for job in batch {
            let _ = job.done.send(done.clone());
        }
    }
}

/// Fold the journals of both ledgers into them, in one transaction: what a load killed
/// before its own fold left, or a phase's writes. Per object, its writes in order: the
/// last status, the last hash sent, the last id Intercom gave, one attempt per send or
/// update, the error of the last write that sets one, the app of the last send.
pub fn fold(conn: &Connection) -> anyhow::Result<usize> {
    let mut folded = 0;
    for target in [Target::Main, Target::Sample] {
        let pending: i64 = conn.query_row(
            &target.sql("SELECT count(*) FROM load.ledger_journal"),
            [],
            |r| r.get(0),
        )?;
        if pending == 0 {
            continue;
        }
        conn.execute_batch("BEGIN TRANSACTION")?;
        let done = conn.execute_batch(&target.sql(FOLD));
        match done {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        }
        folded += pending as usize;
    }
    Ok(folded)
}

/// See [`fold`].
const FOLD: &str = "
    CREATE OR REPLACE TEMP TABLE folded AS
    WITH journal AS (SELECT * FROM load.ledger_journal)
    SELECT object_key,
           any_value(object_type) AS object_type, any_value(source_key) AS source_key,
           arg_min(phase, seq) AS phase, arg_min(ticket_key, seq) AS ticket_key,
           arg_max(payload_sha256, seq) FILTER (event IN ('intent', 'updated')) AS payload_sha256,
           arg_max(intercom_id, seq) FILTER (event = 'outcome') AS intercom_id,
           arg_max(status, seq) FILTER (event IN ('intent', 'outcome', 'park')) AS status,
           count(*) FILTER (event IN ('intent', 'updated')) AS attempts,
           bool_or(event <> 'intent') AS sets_error,
           arg_max_null(last_error, seq) FILTER (event <> 'intent') AS last_error,
           arg_max(app, seq) FILTER (event = 'intent') AS app,
           to_timestamp(min(written_at))::TIMESTAMP AS first_at,
           to_timestamp(max(written_at) FILTER (event <> 'park'))::TIMESTAMP AS last_at
    FROM journal GROUP BY object_key;
    UPDATE load.ledger l SET
        status = coalesce(f.status, l.status),
        payload_sha256 = coalesce(f.payload_sha256, l.payload_sha256),
        intercom_id = coalesce(f.intercom_id, l.intercom_id),
        attempts = l.attempts + f.attempts,
        last_error = CASE WHEN f.sets_error THEN f.last_error ELSE l.last_error END,
        app = coalesce(f.app, l.app),
        last_at = coalesce(f.last_at, l.last_at)
    FROM folded f WHERE l.object_key = f.object_key;
    INSERT INTO load.ledger (object_type, source_key, phase, ticket_key, payload_sha256, intercom_id,
                             status, attempts, last_error, first_at, last_at, app, object_key)
    SELECT object_type, source_key, phase, ticket_key, payload_sha256, intercom_id, status, attempts,
           last_error, first_at, coalesce(last_at, first_at), app, object_key
    FROM folded f WHERE NOT EXISTS (SELECT 1 FROM load.ledger l WHERE l.object_key = f.object_key);
    DELETE FROM load.ledger_journal;
    DROP TABLE folded;
";

impl Drop for Ledger {
    fn drop(&mut self) {
        if let Some(journal) = self.journal.as_mut() {
            drop(journal.jobs.take());
            if let Some(t) = journal.thread.take() {
                let _ = t.join();
            }
            // What is not folded now is folded when the staging file is next opened.
            let _ = fold(&self.conn.lock().unwrap_or_else(|e| e.into_inner()));
        }
    }
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
    /// The app (a hash of its token) that last sent it: it sends it again.
    pub app: Option<String>,
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
    /// A ledger that folds each write at once and reads the table (rollback, verify).
    pub fn new(conn: Connection, target: Target) -> Ledger {
        Ledger {
            conn: Mutex::new(conn),
            target,
            journal: None,
        }
    }

    /// The load's ledger: writes appended by a writer thread and folded at the end of each
    /// phase, what it holds read from memory.
    pub fn journaled(conn: Connection, target: Target) -> anyhow::Result<Ledger> {
        fold(&conn)?;
        let entries = {
            let mut stmt = conn.prepare(&target.sql(
                "SELECT object_key, status, intercom_id, payload_sha256,
                        epoch(now()::TIMESTAMP) - epoch(last_at), app
                 FROM load.ledger",
            ))?;
            let now = Instant::now();
            stmt.query_map([], |r| {
                let age = Duration::from_secs_f64(r.get::<_, f64>(4)?.max(0.0));
                Ok((
                    r.get::<_, String>(0)?,
                    Cached {
                        status: r.get(1)?,
                        intercom_id: r.get(2)?,
                        payload_sha256: r.get(3)?,
                        last_at: now.checked_sub(age).unwrap_or(now),
                        app: r.get(5)?,
                    },
                ))
            })?
            .collect::<Result<HashMap<_, _>, _>>()?
        };
        let own = conn.try_clone()?;
        let (jobs, queue) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || write_loop(own, target, queue))?;
        Ok(Ledger {
            conn: Mutex::new(conn),
            target,
            journal: Some(Journal {
                jobs: Some(jobs),
                thread: Some(thread),
                entries: Mutex::new(entries),
            }),
        })
    }

    /// Make `event` durable: appended by the writer thread with whatever else arrived (a
    /// load), or appended and folded at once; then what the load remembers follows it.
    async fn write(&self, event: Event) -> anyhow::Result<()> {
        let Some(journal) = &self.journal else {
            return self.with(|c| {
                append(c, self.target, next_seq(c, self.target)?, &[&event])?;
                fold(c).map(drop)
            });
        };
        // An object's writes follow one another (each is awaited), so what it will be after
        // this one is known now; it is remembered once the write is durable.
        let object_key = event.key.object_key.clone();
        let next = {
            let entries = journal.entries.lock().unwrap_or_else(|e| e.into_inner());
            remember(&event, entries.get(&object_key).cloned())
        };
        let (done, appended) = tokio::sync::oneshot::channel();
        journal
            .jobs
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the ledger's writer stopped"))?
            .send(Job { event, done })
            .map_err(|_| anyhow::anyhow!("the ledger's writer stopped"))?;
        appended
            .await
            .map_err(|_| anyhow::anyhow!("the ledger's writer stopped"))?
            .map_err(|e| anyhow::anyhow!("writing load.ledger_journal: {e}"))?;
        journal
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(object_key, next);
        Ok(())
    }

    /// Fold the journal now (the end of a phase: SQL after it sees the phase's writes).
    pub fn fold(&self) -> anyhow::Result<()> {
        self.with(|c| fold(c).map(drop))
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
        if let Some(journal) = &self.journal {
            let entries = journal.entries.lock().unwrap_or_else(|e| e.into_inner());
            return Ok(entries.get(&object_key(object_type, key)).map(|c| Entry {
                status: c.status.clone(),
                intercom_id: c.intercom_id.clone(),
                payload_sha256: c.payload_sha256.clone(),
                age_seconds: c.last_at.elapsed().as_secs_f64(),
                app: c.app.clone(),
            }));
        }
        self.with(|c| {
            c.prepare_cached(&self.sql(
                "SELECT status, intercom_id, payload_sha256, epoch(now()::TIMESTAMP) - epoch(last_at), app
                 FROM load.ledger WHERE object_key = ?",
            ))?
            .query_row(params![object_key(object_type, key)], |r| {
                Ok(Entry {
                    status: r.get(0)?,
                    intercom_id: r.get(1)?,
                    payload_sha256: r.get(2)?,
                    age_seconds: r.get::<_, f64>(3)?.max(0.0),
                    app: r.get(4)?,
                })
            })
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

    /// Record that a request is about to be sent, by `app`.
    pub async fn intent(&self, k: Key<'_>, payload_sha: &str, app: &str) -> anyhow::Result<()> {
        self.write(Event {
            payload_sha256: Some(payload_sha.into()),
            status: Some("intent".into()),
            app: Some(app.into()),
            ..Event::new("intent", k)
        })
        .await
    }

    /// Record that a created object was brought up to date with a changed payload. Written only
    /// after Intercom confirmed, so a crash mid-update leaves the old hash and the update is
    /// simply sent again (updates are idempotent).
    pub async fn updated(&self, k: Key<'_>, payload_sha: &str) -> anyhow::Result<()> {
        self.write(Event {
            payload_sha256: Some(payload_sha.into()),
            ..Event::new("updated", k)
        })
        .await
    }

    /// An update failed: the object stays created (others depend on its id); the error is kept
    /// and the old hash makes the next run try again.
    pub async fn update_failed(&self, k: Key<'_>, error: &str) -> anyhow::Result<()> {
        self.write(Event {
            last_error: Some(format!("update: {error}")),
            ..Event::new("update_failed", k)
        })
        .await
    }

    /// A create whose answer was lost and that search has not found yet: `unknown`, with why.
    /// `last_at` keeps the time of the send, so a later run knows how long search has had.
    pub async fn park(&self, k: Key<'_>, reason: &str) -> anyhow::Result<()> {
        self.write(Event {
            status: Some("unknown".into()),
            last_error: Some(reason.into()),
            ..Event::new("park", k)
        })
        .await
    }

    /// The Intercom ids of the parts and notes already settled on ticket `ticket_key`.
    pub fn claimed(&self, ticket_key: &str) -> anyhow::Result<std::collections::HashSet<String>> {
        self.with(|c| {
            // By ticket_key alone, which DuckDB answers from its index; the rest is sifted here.
            let mut stmt = c.prepare_cached(&self.sql(
                "SELECT object_type, status, intercom_id FROM load.ledger WHERE ticket_key = ?",
            ))?;
            let rows = stmt
                .query_map([ticket_key], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows
                .into_iter()
                .filter(|(t, status, _)| {
                    [
                        "part",
                        "event",
                        "attachment_note",
                        "cc_note",
                        "field_files",
                        "task_note",
                    ]
                    .contains(&t.as_str())
                        && matches!(status.as_str(), "created" | "existing")
                })
                .filter_map(|(_, _, id)| id)
                .collect())
        })
    }

    /// Record the outcome: `created`, `existing` (found, not ours), `failed` or `rolled_back`.
    pub async fn outcome(
        &self,
        k: Key<'_>,
        status: &str,
        intercom_id: Option<&str>,
        error: Option<&str>,
    ) -> anyhow::Result<()> {
        self.write(Event {
            status: Some(status.into()),
            intercom_id: intercom_id.map(Into::into),
            last_error: error.map(Into::into),
            ..Event::new("outcome", k)
        })
        .await
    }
}

impl Event {
    fn new(event: &'static str, k: Key<'_>) -> Event {
        Event {
            event,
            key: k.owned(),
            payload_sha256: None,
            intercom_id: None,
            status: None,
            last_error: None,
            app: None,
        }
    }
}

/// What the load remembers of an object after `event`, from what it remembered `before`: the
/// fold's rules (see [`FOLD`]), for one write.
fn remember(event: &Event, before: Option<Cached>) -> Cached {
    let mut c = before.unwrap_or_else(|| Cached {
        status: String::new(),
        intercom_id: None,
        payload_sha256: None,
        last_at: Instant::now(),
        app: None,
    });
    if let Some(s) = &event.status {
        c.status = s.clone();
    }
    if event.event == "outcome" && event.intercom_id.is_some() {
        c.intercom_id = event.intercom_id.clone();
    }
    if matches!(event.event, "intent" | "updated") {
        c.payload_sha256 = event.payload_sha256.clone();
    }
    if event.event == "intent" {
        c.app = event.app.clone();
    }
    if event.event != "park" {
        c.last_at = Instant::now();
    }
    c
}

/// The ledger's one-column key of an object (`load.ledger.object_key`).
pub fn object_key(object_type: &str, key: &str) -> String {
    format!("{object_type}/{key}")
}

/// A [`Key`] that owns its text, for the writer thread.
struct OwnedKey {
    object_type: String,
    key: String,
    phase: String,
    ticket: Option<String>,
    object_key: String,
}

impl Key<'_> {
    fn owned(&self) -> OwnedKey {
        OwnedKey {
            object_type: self.object_type.into(),
            key: self.key.into(),
            phase: self.phase.into(),
            ticket: self.ticket.map(Into::into),
            object_key: object_key(self.object_type, self.key),
        }
    }
}
