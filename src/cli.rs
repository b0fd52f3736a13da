//! Command-line interface. Every flag's `///` comment is its `--help` text.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Migrate a helpdesk from osTicket (MySQL/MariaDB) to Intercom.
///
/// The migration lives in one DuckDB file (--db). Start with `ostmig snapshot`, which copies
/// the osTicket database into it read-only, then `ostmig discover` for the scope audit. Open the
/// file any time with the `duckdb` shell: `select count(*) from raw.thread_entry`.
///
/// Exit codes: 0 ok, 1 ran but found problems, 2 error.
#[derive(Debug, Parser)]
#[command(
    name = "ostmig",
    version = concat!(env!("CARGO_PKG_VERSION"), " (Intercom REST API 2.16; osTicket 1.14 to 1.18)"),
    about,
    long_about
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print every table in full (each check, model and copied table). By default each stage
    /// prints a short summary, and `check` only what fails or warns.
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
}

#[derive(Debug, Args, Clone)]
pub struct DbArg {
    /// The DuckDB staging file of this migration (created if missing).
    #[arg(
        long,
        env = crate::settings::ENV_DB,
        default_value = "migration.duckdb",
        value_name = "PATH"
    )]
    pub db: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Copy every osTicket table, read-only and consistent, into raw.* of the staging file.
    ///
    /// The source is given as mysql://USER@HOST:PORT/DATABASE with --source or in
    /// OSTMIG_SOURCE_URL. The password is read from OSTMIG_MYSQL_PASSWORD (or from the URL in
    /// OSTMIG_SOURCE_URL), never from the command line. A failed or interrupted snapshot leaves
    /// the previous one untouched.
    Snapshot(SnapshotArgs),
    /// Print the scope audit of the latest snapshot: versions, sizes and counts.
    Discover(DiscoverArgs),
    /// Turn thread entries into conversation parts (stage.parts), cleaned for Intercom.
    ///
    /// Reads the snapshot's raw.thread_entry, raw.thread, raw.thread_entry_merge,
    /// raw.attachment and raw.file. Writes stage.parts (one row per visible entry, in order),
    /// stage.part_attachment, stage.split_excluded (superseded edits, task threads) and
    /// stage.review_queue (what needs a person). Re-running replaces the previous output
    /// atomically. Exits 1 when the review queue is not empty.
    Split(SplitArgs),
    /// Run the mapping: the SQL models in sql/models/ (staging → intermediate → outbox → reports).
    ///
    /// Settings come from ostmig.toml (--config); its keys and defaults are in the README. Every
    /// run rebuilds all models in one transaction and records them in meta.model_run.
    Transform(TransformArgs),
    /// Run the data tests: generic model tests (sql/models/tests.toml) and sql/checks/*.sql.
    ///
    /// Prints each check with its severity and number of failing rows; exits 1 when an
    /// error-severity check fails (for example a user that is neither a contact nor excluded).
    Check(CheckArgs),
    /// Intercom workspace data the mapping needs (works offline from saved API responses).
    #[command(subcommand)]
    Intercom(IntercomCommand),
    /// The mapping sign-off: propose it, confirm it, see what changed since.
    ///
    /// `ostmig load --apply` refuses to run until a mapping is confirmed, and again whenever the
    /// staged data would be sent with a different mapping than the confirmed one.
    #[command(subcommand)]
    Map(MapCommand),
    /// Run a read-only SQL query on the staging file and print the result.
    ///
    /// Example: ostmig sql "select match_rule, count(*) from reports.rpt_orphan_users group by 1"
    Sql(SqlArgs),
    /// Send the outboxes to Intercom, phase by phase, resumable (without --apply: the plan).
    ///
    /// Phases in dependency order: schema (data attributes, tags, ticket type and attributes,
    /// created only if missing), companies, contacts, tickets with their participants, replies,
    /// notes, files and activity in osTicket's order, states and tags. Every object is written to load.ledger before its
    /// request and after the answer, so an interrupted load re-run resumes without duplicates.
    /// Refuses to start while `ostmig check` reports an error. The token is read from
    /// OSTMIG_INTERCOM_TOKEN (or OSTMIG_INTERCOM_TOKEN_FILE).
    Load(LoadArgs),
    /// Read back everything the load created and compare it field by field with the outboxes.
    ///
    /// Contacts (e-mail, name, phone, attributes, company), companies (name, attributes),
    /// tickets (title, description, state, assignee, created_at) and every reply, note and file
    /// (type, author, created_at, body, file sizes). Differences are stored in
    /// load.verify_mismatch; exits 1 when there is any.
    Verify(VerifyArgs),
    /// Find out what the target workspace really does, on a sandbox, before the load
    /// (without --apply: what it would create).
    ///
    /// A fixed suite of small experiments where Intercom's documentation is silent or wrong:
    /// whether ticket deletes are allowed (rollback needs them), how long search lags behind a
    /// create (the load's search window), whether a contact can be added to a ticket as a
    /// participant (participants = "add" or "notes"), whether a reply dated before its ticket
    /// keeps its time (else each entry's time goes into its body), whether a customer's reply
    /// can carry files (else they go in a note after it), how many bytes of files one request
    /// may carry (the load's batch size), whether a data attribute's name may hold _. With
    /// --answer it records what a person checked instead (the plan hiding internal notes from
    /// customers). Everything it creates carries an
    /// ostmig-probe- marker and is deleted at the end, even after a failure; a run that was
    /// killed is cleaned up by the next. Answers go to probe.result; `ostmig check` and the
    /// load read them, and the scope workbook shows them ("Workspace behaviour").
    Probe(ProbeArgs),
    /// Undo what `ostmig load` created, and nothing else (without --apply: the plan).
    ///
    /// Reads load.ledger: tickets (with their replies, notes and files), contacts, companies and
    /// tags it created are deleted, in reverse order; the ticket type, its attributes and data
    /// attributes are archived (Intercom cannot delete them). Objects the load found already in
    /// the workspace are never touched. Re-run it after an interruption.
    Rollback(RollbackArgs),
    /// Run a local Intercom: rehearse a migration, or test the loader, with no network.
    ///
    /// Implements the endpoints a migration uses with Intercom's semantics (ids, external_id
    /// uniqueness, ticket types and attributes, replies with created_at, tags, attachments,
    /// deletes, search, pagination, rate limiting) and holds every request and response to
    /// Intercom's OpenAPI description (--spec). Point the loader at it with
    /// --intercom-url http://127.0.0.1:4010 and any OSTMIG_INTERCOM_TOKEN. Its whole state is
    /// at GET /__sim/state and, with --state, saved to a file every 2 s and on exit.
    Sim(SimArgs),
    /// Write the customer's spreadsheets (.xlsx) from reports/*.toml: scope, thread-sample,
    /// reconciliation, sla-map, automation-inventory (all without NAME).
    ///
    /// Each sheet is a reports.* relation built by `ostmig transform`; the reconciliation's load
    /// and verify columns fill in as `ostmig load` and `ostmig verify` run. Set SOURCE_DATE_EPOCH
    /// for byte-identical workbooks. --markdown also writes each as Markdown tables.
    Report(ReportArgs),
    /// Review threads in a browser: osTicket beside Intercom, ticket by ticket; approve or flag.
    ///
    /// Serves a local web page over the staging file: the tickets of the split sample (`split
    /// --sample`) and the rehearsal sample (`load --sample`), any other by its number. Each
    /// shows the osTicket thread as osTicket showed it beside what the load will send, with
    /// what differs marked. Decisions land in review.decision (who, when, and a digest of what
    /// they approved); the thread-sample workbook shows them, and `load --apply` warns while
    /// a ticket is flagged and refuses when an approved ticket would now be sent differently.
    Review(ReviewArgs),
    /// Every stage in order: snapshot → split → transform → check → load plan (→ load, verify).
    ///
    /// Stops at the first stage that fails, and before the load while `ostmig check` reports
    /// an error. With --apply the load runs and is verified; with --delta only what changed
    /// since the last snapshot is read and sent. Intercom's admins and teams are fetched
    /// first (`ostmig intercom pull`) so agents and departments can be mapped.
    Run(RunArgs),
    /// A complete migration in one command, on this machine, with no network and no setup.
    ///
    /// Generates an osTicket help desk — in a private MariaDB (from the installed mariadbd, in
    /// --dir) when there is one, else straight into the staging file — and starts a local
    /// Intercom (`ostmig sim`) whose admins and teams match it; then runs every stage —
    /// snapshot, split, transform, check, load, verify — and writes the reports. Everything
    /// stays in --dir; nothing is installed or left running.
    Demo(DemoArgs),
    /// Write a deterministic, osTicket-1.18-shaped test database as SQL to stdout, or (--db)
    /// straight into a staging file.
    ///
    /// Pipe it into MariaDB: `ostmig fixture --tickets 200 | mysql osticket_fixture`. Or skip
    /// the database: `ostmig fixture --db rehearsal.duckdb` fills raw.* as a snapshot of it
    /// would (recorded with kind 'fixture'), and split, transform and the rest run on it. The
    /// same seed and scale always give the same help desk.
    Fixture(FixtureArgs),
    /// Print shell completions: `ostmig completions bash > ~/.local/share/bash-completion/completions/ostmig`.
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Source database as mysql://USER@HOST:PORT/DATABASE, without password.
    /// Default: the OSTMIG_SOURCE_URL environment variable.
    #[arg(long, value_name = "URL")]
    pub source: Option<String>,
    /// No database access (shared hosting)? Read the staff panel's CSV exports in DIR instead:
    /// tickets, users and organizations (any file names; recognised by their headers). Then
    /// `split --rendered PAGES` adds the threads from saved ticket pages. What this cannot
    /// carry is listed in reports.rpt_fallback_gaps.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["source", "delta", "prefix"])]
    pub csv: Option<PathBuf>,
    /// Also download each ticket's staff page from the running help desk at URL (the address
    /// holding scp/), for the tickets of this file's snapshot, into raw_pages.page; then
    /// `split --pages` splits them. Politely: --concurrency requests at a time, at most
    /// --per-second a second, retried with backoff.
    #[arg(long, value_name = "URL", conflicts_with_all = ["source", "delta", "prefix"])]
    pub pages: Option<String>,
    /// The agent to log into the staff panel as (password in OSTMIG_AGENT_PASSWORD, never on
    /// the command line). Without it the pages must be readable without a login.
    #[arg(long, value_name = "USERNAME", requires = "pages")]
    pub agent: Option<String>,
    /// Page requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 2, requires = "pages")]
    pub concurrency: usize,
    /// Page requests started per second at most.
    #[arg(long, value_name = "N", default_value_t = 4.0, requires = "pages")]
    pub per_second: f64,
    #[command(flatten)]
    pub db: DbArg,
    /// osTicket table prefix (TABLE_PREFIX in ost-config.php). Default: detected from the
    /// table whose name ends in `config` and holds the schema_signature.
    #[arg(long)]
    pub prefix: Option<String>,
    /// Time zone the source's DATETIME values were written in. Default: osTicket's
    /// db_timezone setting, else the server's zone.
    #[arg(long, value_name = "ZONE")]
    pub source_timezone: Option<String>,
    /// Cutover re-read: only rows changed since this file's previous snapshot (new tickets, new
    /// replies on old tickets, changed users; deletions too). Then `split`, `transform` and
    /// `load --apply` send only what is new or changed.
    #[arg(long)]
    pub delta: bool,
    /// Print a JSON summary on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Print JSON on stdout instead of tables.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SplitArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Also pick this many tickets, stratified by age, format, merges, attachments and notes,
    /// into stage.split_sample for the customer's sign-off sheet.
    #[arg(long, value_name = "TICKETS")]
    pub sample: Option<u32>,
    /// Split saved staff ticket pages (scp/tickets.php?id=N saved as .html) from this folder
    /// instead of the snapshot: the fallback when the database cannot be reached. Pages name
    /// people but not their ids, and show no hidden edits or merge origins.
    #[arg(long, value_name = "DIR", conflicts_with = "pages")]
    pub rendered: Option<PathBuf>,
    /// Split the ticket pages `snapshot --pages` downloaded into the staging file, as
    /// --rendered splits a folder of them.
    #[arg(long)]
    pub pages: bool,
    /// Print a JSON summary on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TransformArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Mapping overrides (TOML). A missing ostmig.toml means defaults; a missing file named
    /// here is an error.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print JSON on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct IntercomArg {
    /// Base URL of the API: the real one, a sandbox workspace, or `ostmig sim`. The token is
    /// read from OSTMIG_INTERCOM_TOKEN (or the file named by OSTMIG_INTERCOM_TOKEN_FILE).
    /// https:// certificates are always checked (OSTMIG_CA_FILE adds a PEM CA, for a
    /// TLS-inspecting proxy); plain http:// only to this machine.
    #[arg(long, env = crate::settings::ENV_INTERCOM_URL, default_value = crate::intercom::client::DEFAULT_URL, value_name = "URL")]
    pub intercom_url: String,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub intercom: IntercomArg,
    /// Send for real. Without it, print what each phase would send and what blocks the load.
    #[arg(long)]
    pub apply: bool,
    /// Run only this phase.
    #[arg(long, value_enum, value_name = "NAME")]
    pub phase: Option<crate::load::Phase>,
    /// Go on to the next phase even when objects of this one failed.
    #[arg(long)]
    pub continue_on_error: bool,
    /// The most requests each app keeps in flight. The load starts with 4 and grows while
    /// Intercom answers promptly and the rate-limit window has room; it halves on server
    /// errors and waits out 429s. About 40 spend one app's 10,000 calls/min at 250 ms a call.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub concurrency: usize,
    /// Calls a minute all apps together may make: Intercom's workspace limit, 25,000, shared
    /// with the workspace's other apps (lower it to leave them room). Several apps' tokens,
    /// one per line in OSTMIG_INTERCOM_TOKEN_FILE, each with its own 10,000/min, reach it.
    #[arg(long, default_value_t = crate::intercom::pace::WORKSPACE_LIMIT_PER_MINUTE, value_name = "CALLS")]
    pub workspace_limit: u64,
    /// Rehearse with N tickets in a test workspace (point --intercom-url and the token at it):
    /// a stratified, repeatable pick with their contacts, companies, parts and files. It has
    /// its own ledger (load.sample_ledger), so the real load later sends everything.
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
    /// How long Intercom's search may lag behind a create. A ticket whose create answer was
    /// lost is searched for this long, then parked (status unknown) for the next run, which
    /// sends it again only if a search this long after the send still does not find it.
    #[arg(long, env = crate::settings::ENV_SEARCH_WINDOW, default_value_t = crate::load::DEFAULT_SEARCH_WINDOW, value_name = "SECONDS")]
    pub search_window: f64,
    /// Print the result as JSON (for scripts) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub intercom: IntercomArg,
    /// Verify the `load --sample` rehearsal instead of the migration.
    #[arg(long)]
    pub sample: bool,
    /// Print the result as JSON (for scripts) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub intercom: IntercomArg,
    /// Run the experiments. Without it, print what each would create.
    #[arg(long)]
    pub apply: bool,
    /// The longest wait for a new contact to appear in search, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub max_lag: u64,
    /// The largest request the request-size question tries, in MiB of base64 files (it
    /// doubles from 1 MiB until a request is refused or this is reached).
    #[arg(long, default_value_t = 16, value_name = "MIB")]
    pub max_request_mb: usize,
    /// Record what a person checked that no API call can find out, as QUESTION=yes|no, e.g.
    /// notes_hidden_from_customers=yes (the plan hides internal notes from customers: the load
    /// posts osTicket's internal notes only then). Needs --by; sends nothing to Intercom.
    #[arg(long, value_name = "QUESTION=ANSWER", conflicts_with = "apply")]
    pub answer: Vec<String>,
    /// Who checked what --answer records (kept with the answer as its evidence).
    #[arg(long, value_name = "NAME", requires = "answer")]
    pub by: Option<String>,
    /// Print the answers as JSON (for scripts) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub intercom: IntercomArg,
    /// Undo for real. Without it, print what would be undone.
    #[arg(long)]
    pub apply: bool,
    /// Undo only what this load phase created (a ticket's state goes with the ticket).
    #[arg(long, value_enum, value_name = "NAME")]
    pub phase: Option<crate::load::Phase>,
    /// Undo the `load --sample` rehearsal instead of the migration.
    #[arg(long)]
    pub sample: bool,
    /// Print the result as JSON (for scripts) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Source database as mysql://USER@HOST:PORT/DATABASE, without password (password from
    /// OSTMIG_MYSQL_PASSWORD). Default: OSTMIG_SOURCE_URL.
    #[arg(long, value_name = "URL")]
    pub source: Option<String>,
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub intercom: IntercomArg,
    /// Mapping settings (TOML); default ostmig.toml when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Re-read only what changed since the last snapshot (the cutover), then send only that.
    #[arg(long)]
    pub delta: bool,
    /// Load for real, then verify. Without it the run stops at the load plan.
    #[arg(long)]
    pub apply: bool,
    /// Rehearse with N tickets (see `ostmig load --sample`).
    #[arg(long, value_name = "N")]
    pub sample: Option<usize>,
    /// Skip the snapshot and split: re-run the mapping and the load on what is staged.
    #[arg(long)]
    pub skip_snapshot: bool,
    /// How long Intercom's search may lag behind a create (see `ostmig load --help`).
    #[arg(long, env = crate::settings::ENV_SEARCH_WINDOW, default_value_t = crate::load::DEFAULT_SEARCH_WINDOW, value_name = "SECONDS")]
    pub search_window: f64,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which workbooks: scope, thread-sample, reconciliation, sla-map, automation-inventory.
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    #[command(flatten)]
    pub db: DbArg,
    /// Folder to write the workbooks to (created if missing).
    #[arg(long, default_value = "reports-out", value_name = "DIR")]
    pub out: PathBuf,
    /// Also write NAME.md beside each workbook: its sheets as Markdown tables (50 rows each).
    #[arg(long)]
    pub markdown: bool,
    /// Print what was written as JSON (for scripts) instead of a summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the demo's files: the staging file, the private MariaDB, the reports.
    #[arg(long, default_value = "ostmig-demo", value_name = "DIR")]
    pub dir: PathBuf,
    /// Size of the generated osTicket help desk.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub tickets: u32,
    /// Go through a private MariaDB (the real snapshot path) and fail if its server programs
    /// are not installed. Without it the demo uses MariaDB when mariadbd is installed, and
    /// otherwise writes the generated help desk straight into the staging file.
    #[arg(long, conflicts_with = "no_mariadb")]
    pub mariadb: bool,
    /// Write the generated help desk straight into the staging file even where MariaDB is
    /// installed (quicker; the snapshot from a real database is then not exercised).
    #[arg(long)]
    pub no_mariadb: bool,
    /// Prepare everything, then stop before the load: the staging file is transformed and
    /// signed off, the local Intercom's state saved, and the commands to load it printed (to
    /// try `ostmig load` yourself, its options, or a benchmark).
    #[arg(long)]
    pub stop_before_load: bool,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Address to serve on; port 0 picks a free one (the address is printed on start).
    #[arg(long, default_value = "127.0.0.1:8750", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Allow an address other than loopback (a reviewer on another machine). Every request
    /// then needs the token in the address printed at start.
    #[arg(long)]
    pub allow_remote: bool,
    /// The name decisions are signed with until the reviewer types another (default: $USER).
    #[arg(long, value_name = "NAME")]
    pub reviewer: Option<String>,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on; port 0 picks a free one (the address is printed on start).
    #[arg(long, default_value = "127.0.0.1:4010", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Keep the workspace in this JSON file: loaded on start if present, saved while running.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// The admins and teams to start with (TOML or JSON: [[admins]] id, name, email;
    /// [[teams]] id, name, admin_emails). Intercom's API cannot create them. Default: one admin
    /// and a "Support" team.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Intercom's OpenAPI description (api.intercom.io.yaml) to judge by. Default:
    /// OSTMIG_INTERCOM_SPEC, else the 2.16 description built into ostmig.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Fail this fraction of requests with a random 500/502/503 (half of them after applying
    /// the change, as a lost answer would), to test retries and idempotency.
    #[arg(long, default_value_t = 0.0, value_name = "0..1")]
    pub fail_rate: f64,
    /// Cut the connection of this fraction of requests after applying the change (the client
    /// sees no answer), to test that lost answers never cause duplicates.
    #[arg(long, default_value_t = 0.0, value_name = "0..1")]
    pub drop_connections: f64,
    /// Add this much latency to every request.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency_ms: u64,
    /// Vary the latency evenly by up to this much either way (--latency-ms 250
    /// --latency-jitter-ms 100: 150 to 350 ms), as a real network does.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency_jitter_ms: u64,
    /// Leave this fraction of requests unanswered for --hang-seconds (half of them after
    /// applying the change), so the client's timeout fires (OSTMIG_INTERCOM_TIMEOUT, 60 s).
    #[arg(long, default_value_t = 0.0, value_name = "0..1")]
    pub timeout_rate: f64,
    /// How long an unanswered request hangs.
    #[arg(long, default_value_t = 90, value_name = "SECONDS")]
    pub hang_seconds: u64,
    /// Start a 429 storm on this fraction of requests: for the next 2 s every request is
    /// refused with 429 rate_limit_exceeded, whatever the budget says.
    #[arg(long, default_value_t = 0.0, value_name = "0..1")]
    pub storm_rate: f64,
    /// Requests allowed per window to each app (each access token), as Intercom counts them
    /// (10,000/min = 1666 per 10 s).
    #[arg(long, default_value = "1666/10s", value_name = "N/10s")]
    pub rate_limit: String,
    /// Requests allowed to all apps (access tokens) together, as Intercom limits a workspace
    /// (25,000 a minute, counted in the apps' windows: 4166 per 10 s); no header reports it,
    /// past it is a 429.
    #[arg(long, default_value = "25000/60s", value_name = "N/60s")]
    pub workspace_rate_limit: String,
    /// Search is eventually consistent, as Intercom's is: a contact or ticket younger than
    /// this is not found by POST /contacts/search or /tickets/search (GET by id finds it).
    /// Intercom documents "a few minutes" for contacts.
    #[arg(long, default_value_t = 0.0, value_name = "SECONDS")]
    pub search_lag: f64,
    /// Refuse ticket and conversation deletes with 403 api_plan_restricted, as Intercom does
    /// on plans without them.
    #[arg(long)]
    pub restrict_deletes: bool,
    /// Refuse to add participants to tickets (POST /conversations/{id}/customers with a
    /// ticket's id answers 404), as a live workspace might: `ostmig probe` finds out which.
    #[arg(long)]
    pub refuse_participants: bool,
    /// Store a reply dated before its ticket at the ticket's own time, as a workspace might:
    /// `ostmig probe` finds out which.
    #[arg(long)]
    pub clamp_backdated: bool,
    /// Keep the text of a contact's reply to a ticket through the conversations endpoint but
    /// drop its files, as a workspace might: `ostmig probe` finds out which.
    #[arg(long)]
    pub drop_contact_reply_files: bool,
    /// Answer 413 to any request whose body is larger than this many bytes, as the live API's
    /// undocumented limit would: `ostmig probe` measures it.
    #[arg(long, value_name = "BYTES")]
    pub max_request_bytes: Option<usize>,
    /// Refuse data attribute names with an underscore (400), as Intercom's error example words
    /// the rule: `ostmig probe` finds out which.
    #[arg(long)]
    pub refuse_underscore_names: bool,
    /// Store reply bodies exactly as sent. By default they are sanitized as Intercom does
    /// (plain text wrapped in <p>, wrapper and unknown tags dropped, whitespace reflowed).
    #[arg(long)]
    pub raw_bodies: bool,
    /// Lose the answer of the first N successful requests to an operation (applied, then the
    /// connection cut), e.g. "POST /tickets=1". Repeatable.
    #[arg(long, value_name = "OP=N")]
    pub lose_answers: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum MapCommand {
    /// Write the proposed mapping (after `ostmig transform`) to a TOML file to review and edit.
    ///
    /// Every status, priority, department (→ team inbox), help topic (→ tag), custom field
    /// (→ attribute name and type) and SLA plan in the snapshot, each with the rule that chose
    /// its destination, sample values, counts and what is lossy.
    Propose {
        #[command(flatten)]
        db: DbArg,
        /// Where to write the mapping.
        #[arg(long, default_value = "mapping.toml", value_name = "PATH")]
        file: PathBuf,
    },
    /// Validate the (edited) mapping file and record it as signed off, with who and when.
    ///
    /// Unknown keys, impossible types and two fields mapped to one attribute are errors naming
    /// the line. Edits take effect at the next `ostmig transform`.
    Confirm {
        #[command(flatten)]
        db: DbArg,
        /// The mapping file to confirm.
        #[arg(long, default_value = "mapping.toml", value_name = "PATH")]
        file: PathBuf,
        /// Who signs it off (default: $USER).
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
    /// What differs between the confirmed mapping and the current proposal (or --file).
    ///
    /// Exits 1 when something differs, for example after a delta snapshot brought new fields.
    Diff {
        #[command(flatten)]
        db: DbArg,
        /// Compare with this mapping file instead of the current proposal.
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum IntercomCommand {
    /// Where the live Intercom API differs from its OpenAPI description, with the evidence.
    ///
    /// The table ostmig's validator, loader and local Intercom are built on
    /// (src/intercom/errata.toml); "unconfirmed" rows are questions to settle on a sandbox.
    Errata {
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Fetch the workspace's admins, teams, data attributes and ticket types into the staging file.
    ///
    /// Admins and teams are what agents and departments are matched to (the same as saving
    /// GET /admins and GET /teams and importing them); the data attributes and each ticket
    /// type's states let `ostmig check` refuse a load Intercom would refuse half-way. The
    /// token is read from OSTMIG_INTERCOM_TOKEN (or the file named by OSTMIG_INTERCOM_TOKEN_FILE).
    Pull {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        intercom: IntercomArg,
    },
    /// Store Intercom's admin list from a saved GET /admins response (JSON) for agent matching.
    ///
    /// Agents are matched to these admins by e-mail (or by [admins.map] in ostmig.toml); run
    /// `ostmig transform` afterwards and see reports.rpt_unmatched_agents.
    ImportAdmins {
        #[command(flatten)]
        db: DbArg,
        /// The saved response body of GET /admins.
        file: PathBuf,
    },
    /// Store Intercom's team list from a saved GET /teams response (JSON) for department matching.
    ///
    /// Departments are matched to these teams by name (their path, or [teams.map] in
    /// ostmig.toml); see reports.rpt_missing_teams after `ostmig transform`.
    ImportTeams {
        #[command(flatten)]
        db: DbArg,
        /// The saved response body of GET /teams.
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Print JSON on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SqlArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// The query (DuckDB SQL), e.g. "select * from stage.review_queue".
    pub query: String,
    /// Print CSV instead of a table.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// Print a JSON array of rows instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FixtureArgs {
    /// Number of tickets to generate (about 7.5 thread entries each).
    #[arg(long, default_value_t = 200)]
    pub tickets: u32,
    /// Random seed: same seed and scale, same SQL.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Table prefix to generate.
    #[arg(long, default_value = "ost_")]
    pub prefix: String,
    /// Size of the one large attachment in bytes (osTicket's limit checks need one over 10 MB).
    #[arg(long, default_value_t = 10 * 1024 * 1024 + 4321)]
    pub large_attachment_bytes: u64,
    /// Write into this staging file's raw.* instead of printing SQL (no MariaDB needed).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
}

pub fn parse() -> Cli {
    Cli::parse()
}

#[cfg(test)]
mod tests {
    /// clap's own consistency checks over every command and flag (conflicts, value names,
    /// defaults of the right type), which would otherwise fail only when a user hits them.
    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    /// Every command's `--help` as a newcomer reads it, kept in a snapshot so a change to what
    /// users are told is a reviewed diff (`cargo insta review`), never an accident.
    #[test]
    fn every_help_page_is_as_reviewed() {
        use clap::CommandFactory;
        fn walk(cmd: &mut clap::Command, path: &str, out: &mut String) {
            // Values of OSTMIG_* set in the tester's environment are not part of the page.
            let mut cmd = cmd
                .clone()
                .term_width(100)
                .mut_args(|a| a.hide_env_values(true));
            out.push_str(&format!("===== {path} --help\n"));
            out.push_str(&cmd.render_long_help().to_string());
            out.push('\n');
            for sub in cmd.get_subcommands_mut() {
                let name = format!("{path} {}", sub.get_name());
                walk(sub, &name, out);
            }
        }
        let mut out = String::new();
        walk(&mut super::Cli::command(), "ostmig", &mut out);
        insta::assert_snapshot!("help", out);
    }
}
