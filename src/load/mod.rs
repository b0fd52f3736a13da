//! `ostmig load`: send the outboxes to Intercom in dependency order, recording every object in
//! `load.ledger` so an interrupted load resumes without a duplicate.
//!
//! Phases: schema (data attributes, tags, the ticket type and its attributes — created only when
//! missing), companies, contacts (then their company), tickets with their parts in order, states
//! and tags, tasks as back-office tickets linked to their ticket (with their thread as notes),
//! staff notes on contacts and companies, then the knowledge base (collections, articles). A ticket's conversation — participants, replies and notes with their files, file
//! notes and activity notes — is posted in osTicket's order right after the ticket is created.
//! Without `--apply` it prints the plan and sends nothing.

mod articles;
mod contacts;
pub mod ledger;
mod notes;
pub mod objects;
mod once;
pub mod plan;
mod sample;
mod schema;
mod states;
mod tasks;
mod tickets;

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use crate::error::Hinted;
use crate::intercom::client::Client;
use crate::warehouse;
pub use ledger::Target;
use ledger::{Key, Ledger};
pub use objects::Phase;
pub use plan::{plan, print_strategy, strategy};
pub use sample::build_sample;

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

/// Error-severity checks that fail: the load refuses to start while there are any.
pub fn blocking(db: &std::path::Path, phase: Option<Phase>) -> anyhow::Result<Vec<String>> {
    Ok(crate::check::run(db)?
        .into_iter()
        .filter(|o| o.severity == "error" && o.failing_rows > 0)
        // What only the tickets phase sends does not hold up another phase run alone (the
        // schema phase runs on a sandbox before the probe and before anyone checked the plan).
        .filter(|o| {
            !TICKETS_PHASE_ONLY.contains(&o.check.as_str())
                || phase.is_none_or(|p| p == Phase::Tickets)
        })
        .map(|o| format!("{} ({} rows)", o.check, o.failing_rows))
        .collect())
}

/// Checks about what only the tickets phase posts.
const TICKETS_PHASE_ONLY: &[&str] = &["notes_visibility_unconfirmed"];

struct Context_ {
    client: Client,
    ledger: Ledger,
    concurrency: usize,
    /// Ticket type id, and attribute name → (id, data type, list label → item id).
    ticket_type: Option<String>,
    attributes: HashMap<String, (String, String, HashMap<String, String>)>,
    states: HashMap<String, String>,
    window: std::time::Duration,
}

pub fn run(opts: &Options) -> anyhow::Result<Vec<PhaseResult>> {
    let blockers = blocking(&opts.db, opts.phase)?;
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
    let token = crate::settings::intercom_token()?;
    let client = Client::new(&opts.url, token, opts.concurrency)?;
    let duck = warehouse::open(&opts.db)?;
    plan::refuse_legacy_hashes(&duck, opts.target)?;
    let mut cx = Context_ {
        client,
        ledger: Ledger::new(duck, opts.target),
        concurrency: opts.concurrency.max(1),
        ticket_type: None,
        attributes: HashMap::new(),
        states: HashMap::new(),
        window: opts.search_window,
    };
    crate::block_on(cx.client.reachable())?;
    if opts.phase.is_none_or(|p| p == Phase::Schema) {
        crate::block_on(schema::attribute_preflight(&cx))?;
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
        let result = crate::block_on(async {
            match phase {
                Phase::Schema => schema::schema(&mut cx).await,
                Phase::Companies => contacts::companies(&cx).await,
                Phase::Contacts => contacts::contacts(&cx).await,
                Phase::Tickets => {
                    schema::ticket_type(&mut cx).await?;
                    tickets::tickets(&cx).await
                }
                Phase::States => {
                    schema::ticket_type(&mut cx).await?;
                    states::states(&cx).await
                }
                Phase::Tasks => tasks::tasks(&cx).await,
                Phase::Notes => notes::notes(&cx).await,
                Phase::Articles => articles::articles(&cx).await,
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

pub(super) fn key<'a>(
    object_type: &'a str,
    key: &'a str,
    phase: &'a str,
    ticket: Option<&'a str>,
) -> Key<'a> {
    Key {
        object_type,
        key,
        phase,
        ticket,
    }
}

pub(super) fn id(v: &Value) -> String {
    crate::intercom::id_text(&v["id"])
}

pub(super) fn phase_result(name: &str) -> PhaseResult {
    PhaseResult {
        phase: name.into(),
        ..Default::default()
    }
}

/// A bar for a long phase, on a terminal only (a pipe or a log gets the summary alone).
pub(super) fn progress(phase: &str, len: usize) -> indicatif::ProgressBar {
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

/// Run `one` for every row of a phase, `cx.concurrency` at a time, behind a progress bar; the
/// phase's counts are the sum of the rows'.
async fn each<T, F, Fut>(
    cx: &Context_,
    phase: &str,
    rows: Vec<T>,
    one: F,
) -> anyhow::Result<PhaseResult>
where
    F: FnMut(T) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<PhaseResult>>,
{
    use futures::StreamExt;
    let bar = progress(phase, rows.len());
    let results: Vec<anyhow::Result<PhaseResult>> = futures::stream::iter(rows)
        .map(one)
        .buffer_unordered(cx.concurrency)
        .inspect(|_| bar.inc(1))
        .collect()
        .await;
    bar.finish_and_clear();
    sum(phase, results)
}

pub(super) fn sum(
    phase: &str,
    parts: Vec<anyhow::Result<PhaseResult>>,
) -> anyhow::Result<PhaseResult> {
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

pub fn print(results: &[PhaseResult], planned: bool) {
    use crate::ui::Column;
    const PLANNED: &[Column<PhaseResult>] = &[
        ("phase", |r| r.phase.clone()),
        ("staged", |r| r.staged.to_string()),
        ("already loaded", |r| r.skipped.to_string()),
        ("to create", |r| r.sent.to_string()),
        ("to update", |r| r.updated.to_string()),
        ("changed, not updatable", |r| r.stale.to_string()),
        ("failed before", |r| r.failed.to_string()),
        ("fate unknown", |r| r.unknown.to_string()),
    ];
    const APPLIED: &[Column<PhaseResult>] = &[
        ("phase", |r| r.phase.clone()),
        ("staged", |r| r.staged.to_string()),
        ("sent", |r| r.sent.to_string()),
        ("confirmed", |r| r.confirmed.to_string()),
        ("of which updates", |r| r.updated.to_string()),
        ("skipped", |r| r.skipped.to_string()),
        ("changed, not updatable", |r| r.stale.to_string()),
        ("failed", |r| r.failed.to_string()),
        ("parked (fate unknown)", |r| r.unknown.to_string()),
    ];
    let columns = if planned { PLANNED } else { APPLIED };
    crate::out!("{}", crate::ui::columns(columns, results));
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
