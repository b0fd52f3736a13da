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
    /// The most requests each app keeps in flight (the flow adapts below it).
    pub concurrency: usize,
    /// Calls a minute all apps together may make (Intercom: 25,000 per workspace).
    pub workspace_limit: u64,
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
    /// Requests to Intercom: made (a load), or estimated (a plan).
    pub calls: i64,
    /// Seconds the phase took (a load), or would take at the rate limit (a plan).
    pub seconds: f64,
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
    /// Objects of a phase worked on at once: enough to keep every app's flow full.
    concurrency: usize,
    /// For the progress bars: calls a minute the load may make.
    workspace_limit: u64,
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
    let tokens = crate::settings::intercom_tokens()?;
    let client = Client::of_apps(&opts.url, tokens, opts.concurrency, opts.workspace_limit)?;
    let duck = warehouse::open(&opts.db)?;
    // ... and the threads as the reviewers signed them off (`ostmig review`).
    if opts.apply
        && opts.target == Target::Main
        && let Some(warning) = crate::review::gate(&duck)?
    {
        eprintln!("{warning}");
    }
    plan::refuse_legacy_hashes(&duck, opts.target)?;
    refuse_missing_apps(&duck, &client, opts.target)?;
    let mut cx = Context_ {
        // Each object waits on its ledger writes between requests: more objects than
        // requests in flight keep the flows full.
        concurrency: opts.concurrency.max(1) * client.app_count() * 3 / 2,
        client,
        ledger: Ledger::journaled(duck, opts.target)?,
        workspace_limit: opts.workspace_limit,
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
        let (started, calls_before) = (std::time::Instant::now(), cx.client.stats().requests);
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
        // SQL after the phase (the next phase's, the reports') sees what it wrote.
        cx.ledger.fold()?;
        let result = PhaseResult {
            calls: (cx.client.stats().requests - calls_before) as i64,
            seconds: started.elapsed().as_secs_f64(),
            ..result
        };
        cx.ledger.with(|c| {
            c.execute(
                &cx.ledger.sql("INSERT INTO load.phase_result VALUES (?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?)"),
                duckdb::params![
                    run_id,
                    result.phase,
                    result.staged,
                    result.sent,
                    result.confirmed,
                    result.skipped,
                    result.failed,
                    opts.url,
                    result.updated,
                    result.calls,
                    result.seconds
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

/// Refuse to resume while objects whose fate is unknown were sent by an app whose token is not
/// given now: each is looked up and sent again by the app that sent it.
fn refuse_missing_apps(
    conn: &duckdb::Connection,
    client: &Client,
    target: Target,
) -> anyhow::Result<()> {
    let mut stmt = conn.prepare(&target.sql(
        "SELECT app, count(*) FROM load.ledger WHERE status IN ('intent', 'unknown') AND app IS NOT NULL
         GROUP BY app ORDER BY app",
    ))?;
    let missing: Vec<String> = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|(app, _)| client.app_index(app).is_none())
        .map(|(app, n)| format!("{n} by {app}"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Hinted::new(
        format!(
            "objects whose answer was lost were sent by an app whose token is not given now: {}",
            missing.join(", ")
        ),
        format!(
            "put that app's token back into {} (one per line): the load looks each object up, and sends it again if needed, as the app that sent it",
            crate::settings::ENV_INTERCOM_TOKEN_FILE
        ),
    )
    .into())
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

/// The calls a minute over the last ten seconds against the limit, for a progress bar.
struct Rate {
    limit: u64,
    seen: std::collections::VecDeque<(std::time::Instant, u64)>,
}

impl Rate {
    fn new(cx: &Context_) -> Rate {
        Rate {
            limit: cx.client.limit_per_minute(cx.workspace_limit),
            seen: Default::default(),
        }
    }

    fn show(&mut self, cx: &Context_, bar: &indicatif::ProgressBar) {
        let now = (std::time::Instant::now(), cx.client.stats().requests);
        self.seen.push_back(now);
        while self.seen.len() > 2 && now.0.duration_since(self.seen[0].0).as_secs() > 10 {
            self.seen.pop_front();
        }
        let (then, before) = self.seen[0];
        let seconds = now.0.duration_since(then).as_secs_f64();
        if seconds > 0.5 {
            let per_minute = (now.1 - before) as f64 * 60.0 / seconds;
            bar.set_message(format!("{per_minute:.0} calls/min of {}", self.limit));
        }
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
            "{phase:>9} {{bar:30}} {{pos}}/{{len}} {{msg}} eta {{eta}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Run `one` for every row of a phase, `cx.concurrency` at a time, the rows dealt to the apps in
/// turn, behind a progress bar that shows the calls a minute against the limit; the phase's
/// counts are the sum of the rows'.
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
    let mut one = one;
    let bar = progress(phase, rows.len());
    let mut rate = Rate::new(cx);
    let results: Vec<anyhow::Result<PhaseResult>> =
        futures::stream::iter(rows.into_iter().enumerate())
            .map(|(i, row)| cx.client.as_app(i, one(row)))
            .buffer_unordered(cx.concurrency)
            .inspect(|_| {
                bar.inc(1);
                rate.show(cx, &bar);
            })
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
        add(&mut total, &p?);
    }
    Ok(total)
}

/// Add `p`'s object counts to `total`'s.
fn add(total: &mut PhaseResult, p: &PhaseResult) {
    total.staged += p.staged;
    total.sent += p.sent;
    total.confirmed += p.confirmed;
    total.skipped += p.skipped;
    total.failed += p.failed;
    total.updated += p.updated;
    total.stale += p.stale;
    total.unknown += p.unknown;
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
        ("calls (about)", |r| r.calls.to_string()),
        ("at the limit", |r| crate::ui::duration(r.seconds)),
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
        ("calls", |r| r.calls.to_string()),
        ("calls/min", |r| {
            if r.seconds > 0.0 {
                format!("{:.0}", r.calls as f64 * 60.0 / r.seconds)
            } else {
                "—".into()
            }
        }),
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
