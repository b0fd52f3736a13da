//! `ostmig load`: send the outboxes to Intercom in dependency order, recording every object in
//! `load.ledger` so an interrupted load resumes without a duplicate.
//!
//! Phases: schema (data attributes, tags, the ticket type and its attributes — created only when
//! missing), companies, contacts (then their company), tickets with their parts in order, states
//! and tags. A ticket's conversation — participants, replies and notes with their files, file
//! notes and activity notes — is posted in osTicket's order right after the ticket is created.
//! Without `--apply` it prints the plan and sends nothing.

pub mod ledger;
pub mod objects;

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Context;
use base64::Engine;
use futures::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::Hinted;
use crate::intercom::client::{ApiError, Client, PARKED};
use crate::intercom::live;
use crate::warehouse;
pub use ledger::Target;
use ledger::{Entry, Key, Ledger, sha};
pub use objects::Phase;

/// Seconds Intercom's search is assumed to lag at most ("a few minutes" for contacts).
pub const DEFAULT_SEARCH_WINDOW: f64 = 300.0;

pub struct Options {
    pub db: PathBuf,
    pub url: String,
    pub apply: bool,
    pub phase: Option<Phase>,
    pub continue_on_error: bool,
    pub concurrency: usize,
    /// The migration, or a `--sample` rehearsal (see [`build_sample`]).
    pub target: Target,
    /// How long search may lag behind a create (erratum search-lag): a ticket whose create
    /// answer was lost is searched for this long before it is parked, and sent again only
    /// when a search this long after the send does not find it.
    pub search_window: std::time::Duration,
}

/// The row-count reconciliation of one phase.
#[derive(Debug, Default, Clone, Serialize)]
pub struct PhaseResult {
    pub phase: String,
    pub staged: i64,
    pub sent: i64,
    pub confirmed: i64,
    pub skipped: i64,
    pub failed: i64,
    /// Objects created earlier whose outbox payload changed since (a cutover delta), sent as
    /// updates; counted in `sent` and `confirmed` too.
    pub updated: i64,
    /// Objects created earlier that changed but that Intercom cannot edit (a reply's text).
    pub stale: i64,
    /// Creates whose answer was lost and that search has not found yet: parked as `unknown`,
    /// settled by the next run (a ticket and everything on it).
    pub unknown: i64,
}

/// Outbox rows as (key, ticket key, payload, extra).
struct Row {
    key: String,
    ticket: Option<String>,
    payload: Value,
    extra: Value,
}

fn rows(ledger: &Ledger, sql: &str) -> anyhow::Result<Vec<Row>> {
    ledger.with(|c| {
        let mut stmt = c.prepare(&ledger.sql(sql))?;
        let out = stmt
            .query_map([], |r| {
                let payload: String = r.get(2)?;
                let extra: Option<String> = r.get(3)?;
                Ok(Row {
                    key: r.get(0)?,
                    ticket: r.get(1)?,
                    payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
                    extra: extra
                        .and_then(|e| serde_json::from_str(&e).ok())
                        .unwrap_or(Value::Null),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(out)
    })
}

/// What each phase would send: new objects to create, created ones whose outbox payload changed
/// since (to update, or listed when Intercom cannot edit them), and the rest already loaded.
/// The payloads hashed here are the ones each phase hashes.
pub fn plan(db: &std::path::Path, target: Target) -> anyhow::Result<Vec<PhaseResult>> {
    let duck = warehouse::open(db)?;
    let staged: Vec<String> = objects::OBJECT_TYPES
        .iter()
        .map(|o| {
            format!(
                "SELECT '{}' AS phase, '{}' AS t, s.* FROM ({}) s",
                o.phase.name(),
                o.name,
                o.staged
            )
        })
        .collect();
    let sql = format!(
        "WITH staged(phase, t, k, p) AS ({})
        SELECT s.phase, s.t, s.p, l.status, l.payload_sha256
        FROM staged s
        LEFT JOIN load.ledger l ON l.object_type = s.t AND l.source_key = s.k",
        staged.join("\n UNION ALL ")
    );
    let mut stmt = duck.prepare(&target.sql(&sql)).map_err(|e| {
        Hinted::new(
            format!("the outboxes cannot be read: {e}"),
            "run `ostmig transform` (and `ostmig split`) first",
        )
    })?;
    let mut by_phase: HashMap<String, PhaseResult> = HashMap::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let phase: String = r.get(0)?;
        let object_type: String = r.get(1)?;
        let payload: String = r.get(2)?;
        let status: Option<String> = r.get(3)?;
        let hash: Option<String> = r.get(4)?;
        let p = by_phase
            .entry(phase.clone())
            .or_insert_with(|| phase_result(&phase));
        p.staged += 1;
        match status.as_deref() {
            Some("created") | Some("existing") => {
                let now = sha(&serde_json::from_str(&payload).unwrap_or(Value::Null));
                if status.as_deref() == Some("existing") || hash.as_deref() == Some(now.as_str()) {
                    p.skipped += 1;
                } else if objects::object_type(&object_type).is_some_and(|o| o.updatable) {
                    p.updated += 1;
                } else {
                    p.stale += 1;
                }
            }
            Some("failed") => {
                p.failed += 1;
                p.sent += 1;
            }
            Some("unknown") => {
                p.unknown += 1;
                p.sent += 1;
            }
            _ => p.sent += 1,
        }
    }
    Ok(Phase::ALL
        .iter()
        .map(|p| {
            by_phase
                .remove(p.name())
                .unwrap_or_else(|| phase_result(p.name()))
        })
        .collect())
}

/// Pick `n` tickets for a rehearsal and fill `sample_outbox.*` with them and everything they
/// need: their contacts (requesters and every contact who wrote a part), those contacts' and
/// the tickets' companies, their parts and files; the workspace schema whole. The pick is
/// stratified — state × has files × has notes × several contacts — taking tickets round-robin
/// across strata in a fixed (md5) order, so every kind of ticket appears and the same `n`
/// always gives the same sample. Returns the strata with their counts.
pub fn build_sample(db: &std::path::Path, n: usize) -> anyhow::Result<Vec<(String, i64)>> {
    if n == 0 {
        return Err(
            Hinted::new("--sample 0 picks no ticket", "use --sample 50, for example").into(),
        );
    }
    let duck = warehouse::open(db)?;
    duck.execute_batch(&format!(
        "BEGIN TRANSACTION;
         DELETE FROM load.sample;
         INSERT INTO load.sample
         WITH t AS (
             SELECT t.ticket_id, t.number,
                    t.state_category
                    || CASE WHEN EXISTS (SELECT 1 FROM outbox.outbox_attachments a WHERE a.ticket_id = t.ticket_id) THEN ', files' ELSE '' END
                    || CASE WHEN EXISTS (SELECT 1 FROM outbox.outbox_ticket_parts p WHERE p.ticket_id = t.ticket_id AND p.route NOT IN ('contact_comment', 'admin_comment')) THEN ', notes' ELSE '' END
                    || CASE WHEN (SELECT count(DISTINCT p.author_external_id) FROM outbox.outbox_ticket_parts p WHERE p.ticket_id = t.ticket_id) > 1 THEN ', several contacts' ELSE '' END
                    AS stratum
             FROM outbox.outbox_tickets t)
         SELECT ticket_id, number, stratum FROM t
         ORDER BY row_number() OVER (PARTITION BY stratum ORDER BY md5(number)), md5(number)
         LIMIT {n};
         CREATE OR REPLACE TABLE sample_outbox.outbox_tickets AS
             SELECT * FROM outbox.outbox_tickets WHERE ticket_id IN (SELECT ticket_id FROM load.sample);
         CREATE OR REPLACE TABLE sample_outbox.outbox_ticket_parts AS
             SELECT * FROM outbox.outbox_ticket_parts WHERE ticket_id IN (SELECT ticket_id FROM load.sample);
         CREATE OR REPLACE TABLE sample_outbox.outbox_ticket_events AS
             SELECT * FROM outbox.outbox_ticket_events WHERE ticket_id IN (SELECT ticket_id FROM load.sample);
         CREATE OR REPLACE TABLE sample_outbox.outbox_attachments AS
             SELECT * FROM outbox.outbox_attachments WHERE ticket_id IN (SELECT ticket_id FROM load.sample);
         CREATE OR REPLACE TABLE sample_outbox.outbox_ticket_participants AS
             SELECT * FROM outbox.outbox_ticket_participants WHERE ticket_id IN (SELECT ticket_id FROM load.sample);
         CREATE OR REPLACE TABLE sample_outbox.outbox_contacts AS
             SELECT * FROM outbox.outbox_contacts WHERE external_id IN (
                 SELECT contact_external_id FROM sample_outbox.outbox_tickets
                 UNION SELECT author_external_id FROM sample_outbox.outbox_ticket_parts
                 UNION SELECT payload->>'$.customer.user_id' FROM sample_outbox.outbox_ticket_participants
                 WHERE kind = 'participant');
         CREATE OR REPLACE TABLE sample_outbox.outbox_companies AS
             SELECT * FROM outbox.outbox_companies WHERE company_id IN (
                 SELECT company_id FROM sample_outbox.outbox_tickets
                 UNION SELECT 'osticket-org-' || org_id FROM sample_outbox.outbox_contacts);
         CREATE OR REPLACE TABLE sample_outbox.outbox_data_attributes AS SELECT * FROM outbox.outbox_data_attributes;
         CREATE OR REPLACE TABLE sample_outbox.outbox_tags AS SELECT * FROM outbox.outbox_tags;
         CREATE OR REPLACE TABLE sample_outbox.outbox_ticket_type AS SELECT * FROM outbox.outbox_ticket_type;
         CREATE OR REPLACE TABLE sample_outbox.outbox_ticket_type_attributes AS SELECT * FROM outbox.outbox_ticket_type_attributes;
         COMMIT;"
    ))
    .map_err(|e| {
        Hinted::new(
            format!("the sample cannot be drawn: {e}"),
            "run `ostmig transform` first",
        )
    })?;
    let mut stmt =
        duck.prepare("SELECT stratum, count(*) FROM load.sample GROUP BY 1 ORDER BY 1")?;
    let strata = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(strata)
}

/// Error-severity checks that fail: the load refuses to start while there are any.
pub fn blocking(db: &std::path::Path) -> anyhow::Result<Vec<String>> {
    Ok(crate::check::run(db)?
        .into_iter()
        .filter(|o| o.severity == "error" && o.failing_rows > 0)
        .map(|o| format!("{} ({} rows)", o.check, o.failing_rows))
        .collect())
}

struct Context_ {
    client: Client,
    ledger: Ledger,
    concurrency: usize,
    /// Ticket type id, and attribute name → (id, data type, list label → item id).
    ticket_type: Option<String>,
    attributes: HashMap<String, (String, String, HashMap<String, String>)>,
    states: HashMap<String, String>,
    fallback_admin: Option<String>,
    window: std::time::Duration,
}

pub fn run(opts: &Options) -> anyhow::Result<Vec<PhaseResult>> {
    let blockers = blocking(&opts.db)?;
    if !blockers.is_empty() {
        return Err(Hinted::new(
            format!("the load cannot start: {}", blockers.join(", ")),
            "run `ostmig check` and fix what it lists (reports.* say what to do)",
        )
        .into());
    }
    // The real load sends only a signed-off mapping; a --sample rehearsal into a sandbox is how
    // the mapping is tried out before it is confirmed.
    if opts.apply && opts.target == Target::Main {
        crate::map::gate(&opts.db)?;
    }
    let token = crate::intercom::client::token_from_env()?;
    let client = Client::new(&opts.url, token, opts.concurrency)?;
    let duck = warehouse::open(&opts.db)?;
    let fallback_admin: Option<String> = duck
        .query_row(
            "SELECT admin_id FROM intermediate.int_fallback_admin",
            [],
            |r| r.get(0),
        )
        .unwrap_or(None);
    let mut cx = Context_ {
        client,
        ledger: Ledger::new(duck, opts.target),
        concurrency: opts.concurrency.max(1),
        ticket_type: None,
        attributes: HashMap::new(),
        states: HashMap::new(),
        fallback_admin,
        window: opts.search_window,
    };
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(cx.client.reachable())?;
    if opts.phase.is_none_or(|p| p == Phase::Schema) {
        rt.block_on(attribute_preflight(&cx))?;
    }
    let run_id: i32 = cx.ledger.with(|c| {
        c.query_row(
            &cx.ledger
                .sql("SELECT coalesce(max(run_id), 0) + 1 FROM load.phase_result"),
            [],
            |r| r.get(0),
        )
    })?;
    let mut results = Vec::new();
    for phase in Phase::ALL {
        if opts.phase.is_some_and(|p| p != phase) {
            continue;
        }
        let result = rt.block_on(async {
            match phase {
                Phase::Schema => schema(&mut cx).await,
                Phase::Companies => companies(&cx).await,
                Phase::Contacts => contacts(&cx).await,
                Phase::Tickets => {
                    ticket_type(&mut cx).await?;
                    tickets(&cx).await
                }
                Phase::States => {
                    ticket_type(&mut cx).await?;
                    states(&cx).await
                }
            }
        })?;
        cx.ledger.with(|c| {
            c.execute(
                &cx.ledger.sql("INSERT INTO load.phase_result VALUES (?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)"),
                duckdb::params![
                    run_id,
                    result.phase,
                    result.staged,
                    result.sent,
                    result.confirmed,
                    result.skipped,
                    result.failed,
                    opts.url,
                    result.updated
                ],
            )
        })?;
        // A parked ticket stops the phases after it too: its state and files wait for it.
        let failed = result.failed + result.unknown;
        results.push(result);
        if failed > 0 && !opts.continue_on_error {
            break;
        }
    }
    Ok(results)
}

/// Send one object unless the ledger settled it; record intent and outcome around `send`.
/// `send` returns the Intercom id and whether the object already existed (not ours).
async fn once<F, Fut>(
    cx: &Context_,
    k: Key<'_>,
    payload: &Value,
    result: &mut PhaseResult,
    send: F,
) -> anyhow::Result<Option<String>>
where
    F: FnOnce(Option<Entry>) -> Fut,
    Fut: std::future::Future<Output = Result<(String, bool), ApiError>>,
{
    once_or_update(cx, k, payload, result, send, None::<NoUpdate>).await
}

type NoUpdate = fn(String) -> std::future::Ready<Result<(), ApiError>>;

/// As [`once`]; and when an object this tool created has a different outbox payload now (the
/// source changed after it was loaded), `update` brings it up to date with the object's
/// Intercom id. Without `update`, such an object is counted `stale`: listed, never sent twice.
///
/// `send` gets what the ledger knew before this attempt (None: never sent): an object sent
/// before may exist, and `send` must look for it first. A [`PARKED`] error parks it as
/// `unknown` instead of failing it.
async fn once_or_update<F, Fut, U, UFut>(
    cx: &Context_,
    k: Key<'_>,
    payload: &Value,
    result: &mut PhaseResult,
    send: F,
    update: Option<U>,
) -> anyhow::Result<Option<String>>
where
    F: FnOnce(Option<Entry>) -> Fut,
    Fut: std::future::Future<Output = Result<(String, bool), ApiError>>,
    U: FnOnce(String) -> UFut,
    UFut: std::future::Future<Output = Result<(), ApiError>>,
{
    result.staged += 1;
    let hash = sha(payload);
    let known = cx.ledger.get(k.object_type, k.key)?;
    if let Some(e) = known.as_ref().filter(|e| e.settled()) {
        let changed = e.status == "created" && e.payload_sha256.as_deref() != Some(hash.as_str());
        let Some(id) = e.intercom_id.clone() else {
            result.skipped += 1;
            return Ok(None);
        };
        match update {
            Some(update) if changed => {
                result.sent += 1;
                match update(id.clone()).await {
                    Ok(()) => {
                        cx.ledger.updated(k, &hash)?;
                        result.confirmed += 1;
                        result.updated += 1;
                    }
                    Err(err) => {
                        cx.ledger.update_failed(k, &err.to_string())?;
                        result.failed += 1;
                    }
                }
            }
            _ if changed => result.stale += 1,
            _ => result.skipped += 1,
        }
        return Ok(Some(id));
    }
    // An earlier run may have sent it and died before the answer, or had an error answered
    // after the change was applied: whatever the ledger knows of it, `send` must look first.
    cx.ledger.intent(k, &hash)?;
    result.sent += 1;
    match send(known).await {
        Ok((id, existed)) => {
            let status = if existed { "existing" } else { "created" };
            cx.ledger.outcome(k, status, Some(&id), None)?;
            result.confirmed += 1;
            Ok(Some(id))
        }
        Err(e) if e.code() == Some(PARKED) => {
            cx.ledger.park(k, &e.to_string())?;
            result.unknown += 1;
            Ok(None)
        }
        Err(e) => {
            cx.ledger.outcome(k, "failed", None, Some(&e.to_string()))?;
            result.failed += 1;
            Ok(None)
        }
    }
}

/// The name of the (one) ticket type the outbox defines.
fn ticket_type_name(cx: &Context_) -> anyhow::Result<Option<String>> {
    Ok(cx.ledger.with(|c| {
        c.query_row(
            &cx.ledger
                .sql("SELECT max(name) FROM outbox.outbox_ticket_type"),
            [],
            |r| r.get(0),
        )
    })?)
}

fn key<'a>(object_type: &'a str, key: &'a str, phase: &'a str, ticket: Option<&'a str>) -> Key<'a> {
    Key {
        object_type,
        key,
        phase,
        ticket,
    }
}

fn id(v: &Value) -> String {
    crate::intercom::id_text(&v["id"])
}

fn phase_result(name: &str) -> PhaseResult {
    PhaseResult {
        phase: name.into(),
        ..Default::default()
    }
}

async fn schema(cx: &mut Context_) -> anyhow::Result<PhaseResult> {
    let mut r = phase_result("schema");
    let c = &cx.client;
    // Data attributes: created only when the workspace has none of that name and model.
    for row in rows(
        &cx.ledger,
        "SELECT attribute_name, NULL::VARCHAR, payload::VARCHAR, json_object('model', model)::VARCHAR FROM outbox.outbox_data_attributes ORDER BY 1",
    )? {
        let row = &row;
        let model = row.extra["model"].as_str().unwrap_or("contact").to_string();
        once(
            cx,
            key("data_attribute", &row.key, "schema", None),
            &row.payload,
            &mut r,
            |earlier| async move {
                let resumed = earlier.is_some();
                let existing = c.list_data_attributes(&model).await?;
                if let Some(a) = existing["data"]
                    .as_array()
                    .and_then(|a| a.iter().find(|a| a["name"] == row.key.as_str()))
                {
                    return Ok((id(a), !resumed));
                }
                c.create_data_attribute(&row.payload)
                    .await
                    .map(|a| (id(&a), false))
            },
        )
        .await?;
    }
    for row in rows(
        &cx.ledger,
        "SELECT tag, NULL::VARCHAR, payload::VARCHAR, NULL::VARCHAR FROM outbox.outbox_tags ORDER BY 1",
    )? {
        let row = &row;
        once(
            cx,
            key("tag", &row.key, "schema", None),
            &row.payload,
            &mut r,
            |earlier| async move {
                let resumed = earlier.is_some();
                let existing = c.list_tags().await?;
                if let Some(t) = existing["data"].as_array().and_then(|a| {
                    a.iter().find(|t| {
                        t["name"]
                            .as_str()
                            .is_some_and(|n| n.eq_ignore_ascii_case(&row.key))
                    })
                }) {
                    return Ok((id(t), !resumed));
                }
                c.create_tag(&row.key).await.map(|t| (id(&t), false))
            },
        )
        .await?;
    }
    for row in rows(
        &cx.ledger,
        "SELECT name, NULL::VARCHAR, payload::VARCHAR, NULL::VARCHAR FROM outbox.outbox_ticket_type",
    )? {
        let row = &row;
        once(
            cx,
            key("ticket_type", &row.key, "schema", None),
            &row.payload,
            &mut r,
            |earlier| async move {
                let resumed = earlier.is_some();
                let existing = c.list_ticket_types().await?;
                if let Some(t) = existing["data"]
                    .as_array()
                    .and_then(|a| a.iter().find(|t| t["name"] == row.key.as_str()))
                {
                    return Ok((id(t), !resumed));
                }
                c.create_ticket_type(&row.payload)
                    .await
                    .map(|t| (id(&t), false))
            },
        )
        .await?;
    }
    let type_name = ticket_type_name(cx)?;
    let Some(type_id) = type_name.and_then(|n| cx.ledger.id_of("ticket_type", &n).ok().flatten())
    else {
        return Ok(r);
    };
    for row in rows(
        &cx.ledger,
        "SELECT name, NULL::VARCHAR, payload::VARCHAR, NULL::VARCHAR FROM outbox.outbox_ticket_type_attributes ORDER BY position",
    )? {
        let (row, type_id) = (&row, type_id.clone());
        once(
            cx,
            key("ticket_type_attribute", &row.key, "schema", None),
            &row.payload,
            &mut r,
            |earlier| async move {
                let resumed = earlier.is_some();
                let tt = c.get_ticket_type(&type_id).await?;
                if let Some(a) = live::ticket_type_attributes(&tt)
                    .iter()
                    .find(|a| a["name"] == row.key.as_str())
                {
                    return Ok((id(a), !resumed));
                }
                c.create_ticket_type_attribute(&type_id, &row.payload)
                    .await
                    .map(|a| (id(&a), false))
            },
        )
        .await?;
    }
    Ok(r)
}

/// Read the ticket type's attributes (ids, list item ids) and its own states, and refuse to go
/// on when a state category the tickets need has no state on that type (Intercom would answer
/// 400 ticket_state_id_invalid for every such ticket: erratum ticket-state-per-type).
async fn ticket_type(cx: &mut Context_) -> anyhow::Result<()> {
    if cx.ticket_type.is_some() {
        return Ok(());
    }
    let name = ticket_type_name(cx)?;
    let type_id = name
        .clone()
        .and_then(|n| cx.ledger.id_of("ticket_type", &n).ok().flatten())
        .ok_or_else(|| {
            Hinted::new(
                "the ticket type has not been created yet",
                "run `ostmig load --apply` from the schema phase",
            )
        })?;
    let tt = cx.client.get_ticket_type(&type_id).await?;
    for a in live::ticket_type_attributes(&tt) {
        let options: HashMap<String, String> = a["input_options"]["list_options"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| {
                Some((
                    o["label"].as_str()?.to_string(),
                    o["id"].as_str()?.to_string(),
                ))
            })
            .collect();
        cx.attributes.insert(
            a["name"].as_str().unwrap_or_default().to_string(),
            (
                id(a),
                a["data_type"].as_str().unwrap_or_default().to_string(),
                options,
            ),
        );
    }
    // The type's own states; where a type lists none, the workspace's states that name it.
    let mut states: Vec<Value> = live::ticket_type_states(&tt).to_vec();
    if states.is_empty() {
        let all = cx.client.list_ticket_states().await?;
        states = all["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| live::state_belongs_to(s, &type_id))
            .cloned()
            .collect();
    }
    for s in states.iter().filter(|s| s["archived"] != true) {
        cx.states
            .entry(s["category"].as_str().unwrap_or_default().to_string())
            .or_insert_with(|| id(s));
    }
    let needed: Vec<(String, i64)> = cx.ledger.with(|c| {
        let mut stmt = c.prepare(&cx.ledger.sql(
            "SELECT state_category, count(*) FROM outbox.outbox_tickets GROUP BY 1 ORDER BY 1",
        ))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        anyhow::Ok(rows)
    })?;
    let missing: Vec<String> = needed
        .iter()
        .filter(|(category, _)| !cx.states.contains_key(category))
        .map(|(category, n)| format!("{category} ({n} tickets)"))
        .collect();
    if !missing.is_empty() {
        return Err(Hinted::new(
            format!(
                "the Intercom ticket type {:?} ({type_id}) has no state for {}: Intercom refuses a state of another type",
                name.unwrap_or_default(),
                missing.join(", ")
            ),
            "add the state to the ticket type in Intercom (Settings > Tickets), or map those osTicket statuses to a category the type has, then run the load again",
        )
        .into());
    }
    cx.ticket_type = Some(type_id);
    Ok(())
}

/// Before the schema phase creates anything: contact and company data attributes share one
/// namespace and a workspace holds at most 250 (erratum data-attribute-namespace). Counted
/// with the workspace's own attributes, live, so nothing is created that would fail later.
async fn attribute_preflight(cx: &Context_) -> anyhow::Result<()> {
    let planned: Vec<(String, String)> = cx.ledger.with(|c| {
        let mut stmt = c.prepare(
            &cx.ledger
                .sql("SELECT model, attribute_name FROM outbox.outbox_data_attributes"),
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        anyhow::Ok(rows)
    })?;
    let mut existing: Vec<Value> = Vec::new();
    for model in ["contact", "company"] {
        let list = cx.client.list_data_attributes(model).await?;
        existing.extend(list["data"].as_array().cloned().unwrap_or_default());
    }
    let clashes: Vec<String> = planned
        .iter()
        .filter_map(|(model, name)| {
            existing
                .iter()
                .find(|e| e["name"] == name.as_str() && e["model"] != model.as_str())
                .map(|e| {
                    format!(
                        "{name} (to create on {model}, the workspace has it on {})",
                        e["model"].as_str().unwrap_or("?")
                    )
                })
        })
        .collect();
    if !clashes.is_empty() {
        return Err(Hinted::new(
            format!("data attribute names already used on the other model: {}", clashes.join(", ")),
            "contact and company attributes share one namespace: rename the fields' attributes in the mapping (ostmig map propose, then confirm), or archive the workspace's attribute",
        )
        .into());
    }
    let live_custom = existing
        .iter()
        .filter(|e| e["custom"] != false && e["archived"] != true)
        .count();
    let to_create = planned
        .iter()
        .filter(|(model, name)| {
            !existing
                .iter()
                .any(|e| e["name"] == name.as_str() && e["model"] == model.as_str())
        })
        .count();
    if live_custom + to_create > live::MAX_DATA_ATTRIBUTES {
        return Err(Hinted::new(
            format!(
                "the workspace holds {live_custom} custom data attributes and the load would create {to_create}: more than Intercom's {}",
                live::MAX_DATA_ATTRIBUTES
            ),
            "archive unused attributes in Intercom (Settings > Data > People/Companies), or map fewer fields to attributes",
        )
        .into());
    }
    Ok(())
}

async fn companies(cx: &Context_) -> anyhow::Result<PhaseResult> {
    let mut r = phase_result("companies");
    let c = &cx.client;
    for row in rows(
        &cx.ledger,
        "SELECT company_id, NULL::VARCHAR, payload::VARCHAR, NULL::VARCHAR FROM outbox.outbox_companies ORDER BY org_id",
    )? {
        let row = &row;
        once_or_update(
            cx,
            key("company", &row.key, "companies", None),
            &row.payload,
            &mut r,
            |earlier| async move {
                let resumed = earlier.is_some();
                // POST /companies would silently update a company someone else made: look first.
                if let Some(found) = c.find_company(&row.key).await? {
                    return Ok((id(&found), !resumed));
                }
                c.upsert_company(&row.payload)
                    .await
                    .map(|v| (id(&v), false))
            },
            // Ours (the ledger says created), so the upsert by company_id changes only ours.
            Some(|_| async move { c.upsert_company(&row.payload).await.map(drop) }),
        )
        .await?;
    }
    Ok(r)
}

async fn contacts(cx: &Context_) -> anyhow::Result<PhaseResult> {
    let rows = rows(
        &cx.ledger,
        "SELECT external_id, NULL::VARCHAR, payload::VARCHAR, json_object('company_id', 'osticket-org-' || org_id)::VARCHAR
         FROM outbox.outbox_contacts ORDER BY user_id",
    )?;
    let bar = progress("contacts", rows.len());
    let results: Vec<anyhow::Result<PhaseResult>> = futures::stream::iter(rows)
        .map(|row| async move {
            let row = &row;
            let mut r = phase_result("contacts");
            let c = &cx.client;
            let contact = once_or_update(
                cx,
                key("contact", &row.key, "contacts", None),
                &row.payload,
                &mut r,
                |earlier| async move {
                    // Ours, sent by an earlier run that died before the answer; or a user the
                    // workspace already has under this external id. By GET: search lags.
                    // (Skipped on a first send: a user already holding this external id answers
                    // the create with a 409 that names them.)
                    if earlier.is_some()
                        && let Some(found) = c.find_contact(&row.key).await?
                    {
                        return Ok((id(&found), adopted_before(cx, &row.key)));
                    }
                    // Someone the workspace already knows by this e-mail (its Messenger's users
                    // and leads): adopted or refused, never doubled.
                    let email = row.payload["email"].as_str().unwrap_or_default();
                    if !email.is_empty() {
                        let known = c.find_contacts_by_email(email).await?;
                        if let Some(adopted) = adopt(cx, row, known).await? {
                            return Ok((adopted, true));
                        }
                    }
                    match c.create_contact_reporting(&row.payload).await {
                        // A 409 on the first create: a user of the workspace already carries
                        // this external id (the client found it by GET).
                        Ok((v, true)) => {
                            let found = id(&v);
                            adopt(cx, row, vec![v]).await?;
                            Ok((found, true))
                        }
                        Ok((v, false)) => Ok((id(&v), false)),
                        // Search did not see them (it lags, and it skips archived contacts):
                        // the 409 names the contact that holds the e-mail.
                        Err(e) if e.status == Some(409) => {
                            let Some(other) =
                                e.errors.iter().find_map(|(_, m)| live::conflict_id(m))
                            else {
                                return Err(e);
                            };
                            let holder = c.get_contact(&other).await?;
                            match adopt(cx, row, vec![holder]).await? {
                                Some(adopted) => Ok((adopted, true)),
                                None => Err(e),
                            }
                        }
                        Err(e) => Err(e),
                    }
                },
                Some(
                    |id: String| async move { c.update_contact(&id, &row.payload).await.map(drop) },
                ),
            )
            .await?;
            if let (Some(contact), Some(company)) = (contact, row.extra["company_id"].as_str())
                && let Some(company) = cx.ledger.id_of("company", company)?
                && let Err(e) = c.attach_company(&contact, &company).await
            {
                cx.ledger.outcome(
                    key("contact", &row.key, "contacts", None),
                    "failed",
                    None,
                    Some(&format!("company link: {e}")),
                )?;
                r.failed += 1;
                r.confirmed -= 1;
            }
            Ok(r)
        })
        .buffer_unordered(cx.concurrency)
        .inspect(|_| bar.inc(1))
        .collect()
        .await;
    bar.finish_and_clear();
    sum("contacts", results)
}

/// Take over a contact the workspace already has with this osTicket user's e-mail, or refuse.
/// A user with no external_id (or a lead) gets the user's external_id and data, unarchived
/// first when archived; a user holding another external_id is someone else's and is never
/// changed: the osTicket user is refused, listed with why. Every decision goes to
/// `load.contact_match`. `Ok(None)`: nobody holds the e-mail.
async fn adopt(cx: &Context_, row: &Row, known: Vec<Value>) -> Result<Option<String>, ApiError> {
    let c = &cx.client;
    let external = |k: &Value| k["external_id"].as_str().unwrap_or_default().to_string();
    let email = row.payload["email"].as_str().unwrap_or_default();
    // Already carrying this user's external id (an earlier integration): it gets the osTicket
    // user's data, address included.
    if let Some(k) = known.iter().find(|k| external(k) == row.key) {
        let contact_id = id(k);
        let reason = format!(
            "{} {contact_id} already carried external_id {}; it now holds the osTicket user's data",
            k["role"].as_str().unwrap_or("contact"),
            row.key
        );
        take_over(cx, row, &contact_id, "adopted", &reason, true).await?;
        return Ok(Some(contact_id));
    }
    let same: Vec<&Value> = known
        .iter()
        .filter(|k| {
            k["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .collect();
    if same.is_empty() || email.is_empty() {
        return Ok(None);
    }
    let refuse = |reason: String| {
        let _ = record_match(cx, row, None, "refused", &reason);
        ApiError::refused("POST", "/contacts", "contact_taken", reason)
    };
    if let Some(k) = same
        .iter()
        .find(|k| k["role"] == "user" && !external(k).is_empty())
    {
        return Err(refuse(format!(
            "the workspace's contact {} already holds {email} under external_id {}: merge or change it in Intercom, or give this osTicket user another address",
            id(k),
            external(k)
        )));
    }
    let users: Vec<&&Value> = same.iter().filter(|k| k["role"] == "user").collect();
    if users.len() > 1 {
        return Err(refuse(format!(
            "{} users of the workspace hold {email}: merge them in Intercom first",
            users.len()
        )));
    }
    // A user without an external_id first; else the most recently updated lead.
    let chosen: &Value = match users.first() {
        Some(u) => u,
        None => same
            .iter()
            .max_by_key(|k| k["updated_at"].as_i64().unwrap_or(0))
            .expect("not empty"),
    };
    let contact_id = id(chosen);
    let mut action = if chosen["role"] == "user" {
        "adopted"
    } else {
        "adopted_lead"
    }
    .to_string();
    if chosen["archived"] == true {
        c.unarchive_contact(&contact_id).await?;
        action = format!("{action}_archived");
    }
    let others = same.len() - 1;
    let reason = format!(
        "{} {contact_id} held {email}{}; it now carries external_id {}{}",
        chosen["role"].as_str().unwrap_or("contact"),
        if chosen["archived"] == true {
            " (archived: unarchived)"
        } else {
            ""
        },
        row.key,
        if others > 0 {
            format!("; {others} other contacts with this e-mail left as they are")
        } else {
            String::new()
        }
    );
    take_over(cx, row, &contact_id, &action, &reason, false).await?;
    Ok(Some(contact_id))
}

/// Give a workspace contact the osTicket user's external_id, role and data (and its address
/// when `with_email`; otherwise the address stays theirs, equal but for case), recording the
/// decision first: a run killed after the change must not take the contact for ours.
async fn take_over(
    cx: &Context_,
    row: &Row,
    contact_id: &str,
    action: &str,
    reason: &str,
    with_email: bool,
) -> Result<(), ApiError> {
    let _ = record_match(cx, row, Some(contact_id), action, reason);
    let mut update = row.payload.clone();
    if let Some(o) = update.as_object_mut().filter(|_| !with_email) {
        o.remove("email");
    }
    cx.client
        .update_contact(contact_id, &update)
        .await
        .map(drop)
}

/// One row of `load.contact_match`.
fn record_match(
    cx: &Context_,
    row: &Row,
    intercom_id: Option<&str>,
    action: &str,
    reason: &str,
) -> Result<usize, duckdb::Error> {
    cx.ledger.with(|conn| {
        conn.execute(
            &cx.ledger
                .sql("INSERT INTO load.contact_match VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)"),
            duckdb::params![
                row.key,
                row.payload["email"].as_str(),
                intercom_id,
                action,
                reason
            ],
        )
    })
}

/// Whether an earlier run adopted a workspace contact for this osTicket user.
fn adopted_before(cx: &Context_, external_id: &str) -> bool {
    cx.ledger
        .with(|c| {
            c.query_row(
                &cx.ledger.sql(
                    "SELECT count(*) FROM load.contact_match WHERE external_id = ? AND action <> 'refused'",
                ),
                [external_id],
                |r| r.get::<_, i64>(0),
            )
        })
        .is_ok_and(|n| n > 0)
}

/// A bar for a long phase, on a terminal only (a pipe or a log gets the summary alone).
fn progress(phase: &str, len: usize) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{phase:>9} {{bar:40}} {{pos}}/{{len}} {{per_sec}} eta {{eta}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

fn sum(phase: &str, parts: Vec<anyhow::Result<PhaseResult>>) -> anyhow::Result<PhaseResult> {
    let mut total = phase_result(phase);
    for p in parts {
        let p = p?;
        total.staged += p.staged;
        total.sent += p.sent;
        total.confirmed += p.confirmed;
        total.skipped += p.skipped;
        total.failed += p.failed;
        total.updated += p.updated;
        total.stale += p.stale;
        total.unknown += p.unknown;
    }
    Ok(total)
}

/// The create request as sent: ids that exist only now, list labels swapped for item ids.
fn ticket_request(cx: &Context_, payload: &Value, company: Option<&str>) -> anyhow::Result<Value> {
    let mut p = payload.clone();
    // The admin is assigned in the states phase, after the history: only the team inbox now.
    if let Some(a) = p.get_mut("assignment").and_then(Value::as_object_mut) {
        a.remove("admin_assignee_id");
        if a.get("team_assignee_id").is_none_or(Value::is_null) {
            p.as_object_mut().map(|o| o.remove("assignment"));
        }
    }
    p["ticket_type_id"] = json!(cx.ticket_type.clone().unwrap_or_default());
    if let Some(company) = company.and_then(|c| cx.ledger.id_of("company", c).ok().flatten()) {
        p["company_id"] = json!(company);
    }
    if let Some(attrs) = p["ticket_attributes"].as_object_mut() {
        attrs.retain(|_, v| !v.is_null());
        for (name, value) in attrs.iter_mut() {
            if let Some((_, kind, options)) = cx.attributes.get(name)
                && kind == "list"
            {
                let label = value.as_str().unwrap_or_default();
                *value = json!(options.get(label).with_context(|| format!(
                    "ticket attribute {name:?} has no option {label:?}: re-run the schema phase"
                ))?);
            }
        }
    }
    Ok(p)
}

async fn tickets(cx: &Context_) -> anyhow::Result<PhaseResult> {
    let tickets = rows(
        &cx.ledger,
        "SELECT number, ticket_id::VARCHAR, payload::VARCHAR, json_object('company_id', company_id)::VARCHAR
         FROM outbox.outbox_tickets ORDER BY ticket_id",
    )?;
    let number_attr = cx.attributes.get("osTicket number").map(|a| a.0.clone());
    let bar = progress("tickets", tickets.len());
    let results: Vec<anyhow::Result<PhaseResult>> = futures::stream::iter(tickets)
        .map(|row| {
            let number_attr = number_attr.clone();
            async move {
                let mut r = phase_result("tickets");
                let c = &cx.client;
                let request = &ticket_request(cx, &row.payload, row.extra["company_id"].as_str())?;
                let number = row.key.as_str();
                let window = cx.window;
                let Some(ticket_id) = once_or_update(cx, key("ticket", &row.key, "tickets", None), &row.payload, &mut r, |earlier: Option<Entry>| async move {
                    // Without the number attribute a lost answer could never be looked up.
                    let Some(attr) = number_attr.as_deref() else {
                        return Err(ApiError::refused("POST", "/tickets", "no_lookup",
                            "the ticket type has no \"osTicket number\" attribute: re-run the schema phase"));
                    };
                    if let Some(e) = earlier {
                        // Sent before and its fate unknown: search, and trust an absence only
                        // from a search made a whole window after that send (search lags).
                        let left = window.saturating_sub(std::time::Duration::from_secs_f64(e.age_seconds));
                        if let Some(found) = c.search_ticket_until(attr, number, std::time::Instant::now() + left).await? {
                            return Ok((id(&found), false));
                        }
                    }
                    match c.create_ticket(request, (attr, number), window).await? {
                        Some(t) => Ok((id(&t), false)),
                        None => Err(ApiError::parked("POST", "/tickets", format!(
                            "osTicket #{number} was sent, its answer was lost and search has not found it within {} s; the next run searches again and sends it only if it is still absent",
                            window.as_secs()))),
                    }
                }, Some(|id: String| async move {
                    // Title and attributes changed in osTicket after the ticket was loaded.
                    let change = json!({"ticket_attributes": request["ticket_attributes"], "skip_notifications": true});
                    c.update_ticket(&id, &change).await.map(drop)
                }))
                .await?
                else {
                    return Ok(r);
                };
                let source_ticket = row.ticket.as_deref().unwrap_or("0").parse::<i64>().unwrap_or(0);
                // The people on the ticket first, then one conversation in osTicket's order;
                // a gap stops it, so nothing is posted over a missing part.
                let thread = rows(&cx.ledger, &thread_sql(source_ticket))?;
                // Read once per ticket and kept up to date as parts are posted.
                let mut claimed = cx.ledger.claimed(&row.key)?;
                for item in thread {
                    let (item, ticket_id) = (&item, ticket_id.clone());
                    let kind = item.extra.as_str().unwrap_or("part");
                    let seen = &claimed;
                    let ledger = &cx.ledger;
                    let sent = once(cx, key(kind, &item.key, "tickets", Some(&row.key)), &item.payload, &mut r, |earlier: Option<Entry>| async move {
                        if kind == "participant" {
                            // Adding someone twice changes nothing: a retry needs no lookup.
                            let who = item.payload["customer"]["user_id"].as_str().unwrap_or_default();
                            let admin = item.payload["admin_id"].as_str();
                            return c.add_participant(&ticket_id, who, admin).await.map(|_| (format!("{ticket_id}:{who}"), false));
                        }
                        // The request as sent: the files' bytes in place of their names.
                        let request = with_file_bytes(ledger, &item.payload).map_err(|e| {
                            ApiError::refused("POST", "/tickets/{id}/reply", "file_unreadable", format!("{e:#}: re-run `ostmig snapshot` and `ostmig split`"))
                        })?;
                        if earlier.is_some() && let Some(p) = c.find_part(&ticket_id, &request, seen).await? {
                            return Ok((id(&p), false));
                        }
                        c.reply_ticket(&ticket_id, &request, seen).await.map(|p| (id(&p), false))
                    })
                    .await?;
                    if let Some(posted) = &sent
                        && kind != "participant"
                    {
                        claimed.insert(posted.clone());
                    }
                    // Parts are a conversation: never post a later one over a gap.
                    if sent.is_none() {
                        break;
                    }
                }
                Ok(r)
            }
        })
        .buffer_unordered(cx.concurrency)
        .inspect(|_| bar.inc(1))
        .collect()
        .await;
    bar.finish_and_clear();
    sum("tickets", results)
}

async fn states(cx: &Context_) -> anyhow::Result<PhaseResult> {
    let tickets = rows(&cx.ledger, objects::STATES_SQL)?;
    let bar = progress("states", tickets.len());
    let results: Vec<anyhow::Result<PhaseResult>> = futures::stream::iter(tickets)
        .map(|row| async move {
            let mut r = phase_result("states");
            let c = &cx.client;
            let Some(ticket_id) = cx.ledger.id_of("ticket", &row.key)? else {
                r.staged += 1;
                r.failed += 1;
                return Ok(r);
            };
            let category = row.payload["state"].as_str().unwrap_or("in_progress");
            let state = cx.states.get(category).cloned().unwrap_or_default();
            // Assignment last, with the state, so the history above it is complete first.
            let mut update = json!({"ticket_state_id": state, "skip_notifications": true});
            if let Some(admin) = row.payload["assignee"].as_str() {
                update["assignee_id"] = json!(admin);
            }
            let tag = row
                .ticket
                .as_deref()
                .and_then(|t| cx.ledger.id_of("tag", t).ok().flatten());
            let tagger = row.payload["assignee"]
                .as_str()
                .map(String::from)
                .or(cx.fallback_admin.clone());
            let apply = |ticket_id: String| {
                let (update, tag, tagger) = (&update, &tag, &tagger);
                async move {
                    c.update_ticket(&ticket_id, update).await?;
                    if let (Some(tag), Some(admin)) = (tag, tagger) {
                        c.tag_ticket(&ticket_id, tag, admin).await?;
                    }
                    Ok::<_, ApiError>(())
                }
            };
            once_or_update(
                cx,
                key("ticket_state", &row.key, "states", Some(&row.key)),
                &row.payload,
                &mut r,
                |_| {
                    let t = ticket_id.clone();
                    async move { apply(t.clone()).await.map(|()| (t, false)) }
                },
                Some(apply),
            )
            .await?;
            Ok(r)
        })
        .buffer_unordered(cx.concurrency)
        .inspect(|_| bar.inc(1))
        .collect()
        .await;
    bar.finish_and_clear();
    sum("states", results)
}

/// Everything posted on ticket `ticket_id` after its create, as (key, NULL, payload, object
/// type), in the order osTicket's thread shows it: the participants first (before anyone
/// replies), then by time the entries, each followed by the notes carrying its files, with the
/// activity notes of a moment after its entries. Ties keep osTicket's entry order (`seq`).
fn thread_sql(ticket_id: i64) -> String {
    format!(
        "SELECT key, NULL::VARCHAR, payload, kind FROM (
             SELECT participant_key AS key, payload::VARCHAR AS payload,
                    CASE kind WHEN 'participant' THEN '\"participant\"' ELSE '\"cc_note\"' END AS kind,
                    NULL::TIMESTAMP AS posted_at, 0 AS class, NULL::INTEGER AS seq, 0 AS sub, NULL::BIGINT AS event
             FROM outbox.outbox_ticket_participants WHERE ticket_id = {ticket_id}
             UNION ALL
             SELECT entry_id::VARCHAR, payload::VARCHAR, '\"part\"', created_at, 1, seq, 0, NULL
             FROM outbox.outbox_ticket_parts WHERE ticket_id = {ticket_id}
             UNION ALL
             SELECT entry_id || ':' || batch, any_value(note_payload)::VARCHAR, '\"attachment_note\"',
                    any_value(created_at), 1, any_value(seq), 1 + batch, NULL
             FROM outbox.outbox_attachments WHERE ticket_id = {ticket_id} AND carrier = 'note'
             GROUP BY entry_id, batch
             UNION ALL
             SELECT event_key, payload::VARCHAR, '\"event\"', happened_at, 2, NULL, 0, event_ids[1]
             FROM outbox.outbox_ticket_events WHERE ticket_id = {ticket_id})
         ORDER BY posted_at NULLS FIRST, class, seq, sub, event, key"
    )
}

/// `payload` with each `attachment_files` item's `data` — a name for the bytes, `file:<id>`
/// or `image:<entry>:<n>` (see outbox_attachments) — replaced by the bytes in base64.
fn with_file_bytes(ledger: &Ledger, payload: &Value) -> anyhow::Result<Value> {
    let Some(files) = payload["attachment_files"].as_array() else {
        return Ok(payload.clone());
    };
    let mut request = payload.clone();
    let mut sent = Vec::with_capacity(files.len());
    for f in files {
        let reference = f["data"].as_str().unwrap_or_default();
        let bytes = file_bytes(ledger, reference)
            .with_context(|| format!("the bytes of {} ({reference})", f["name"]))?;
        let mut f = f.clone();
        f["data"] = json!(base64::engine::general_purpose::STANDARD.encode(bytes));
        sent.push(f);
    }
    request["attachment_files"] = Value::Array(sent);
    Ok(request)
}

/// A file's bytes by the name outbox_attachments gives them: `file:<id>` from the snapshot
/// (osTicket keeps them in file_chunk, 256 KB per row), `image:<entry>:<n>` a pasted image the
/// split decoded.
fn file_bytes(ledger: &Ledger, reference: &str) -> anyhow::Result<Vec<u8>> {
    let parts: Vec<&str> = reference.split(':').collect();
    ledger.with(|c| match parts.as_slice() {
        ["file", id] => {
            let id: i64 = id.parse()?;
            let mut stmt = c.prepare(
                "SELECT filedata FROM raw.file_chunk WHERE file_id = ? ORDER BY chunk_id",
            )?;
            let mut out = Vec::new();
            for chunk in stmt.query_map([id], |r| r.get::<_, Vec<u8>>(0))? {
                out.extend(chunk?);
            }
            Ok(out)
        }
        ["image", entry, n] => {
            let (entry, n): (i64, i32) = (entry.parse()?, n.parse()?);
            c.query_row(
                "SELECT data FROM stage.part_image WHERE entry_id = ? AND n = ?",
                duckdb::params![entry, n],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .map_err(Into::into)
        }
        _ => anyhow::bail!("{reference:?} names no file"),
    })
}

pub fn print(results: &[PhaseResult], planned: bool) {
    let mut table = crate::ui::styled();
    if planned {
        table.set_header([
            "phase",
            "staged",
            "already loaded",
            "to create",
            "to update",
            "changed, not updatable",
            "failed before",
            "fate unknown",
        ]);
        for r in results {
            table.add_row(vec![
                r.phase.clone(),
                r.staged.to_string(),
                r.skipped.to_string(),
                r.sent.to_string(),
                r.updated.to_string(),
                r.stale.to_string(),
                r.failed.to_string(),
                r.unknown.to_string(),
            ]);
        }
    } else {
        table.set_header([
            "phase",
            "staged",
            "sent",
            "confirmed",
            "of which updates",
            "skipped",
            "changed, not updatable",
            "failed",
            "parked (fate unknown)",
        ]);
        for r in results {
            table.add_row(vec![
                r.phase.clone(),
                r.staged.to_string(),
                r.sent.to_string(),
                r.confirmed.to_string(),
                r.updated.to_string(),
                r.skipped.to_string(),
                r.stale.to_string(),
                r.failed.to_string(),
                r.unknown.to_string(),
            ]);
        }
    }
    crate::out!("{table}");
}

/// The objects that failed, with Intercom's answer (the first `limit`).
pub fn failures(db: &std::path::Path, limit: usize, target: Target) -> anyhow::Result<Vec<String>> {
    let duck = warehouse::open(db)?;
    let mut stmt = duck.prepare(&target.sql(
        "SELECT object_type, source_key, coalesce(last_error, '') FROM load.ledger
         WHERE status IN ('failed', 'unknown') OR last_error LIKE 'update: %'
         ORDER BY status = 'unknown', last_at LIMIT ?",
    ))?;
    let out = stmt
        .query_map([limit as i64], |r| {
            Ok(format!(
                "{} {}: {}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}
