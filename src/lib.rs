//! # ostmig: osTicket → Intercom, through one DuckDB file
//!
//! ```text
//!  osTicket MySQL ──snapshot──▶ raw.*            (read-only, consistent, typed, repaired)
//!                               │
//!                               ├─discover──▶ scope audit (terminal / JSON)
//!                               ▼
//!                   split ──▶ stage.parts       (thread entries → conversation parts)
//!                               ▼
//!                   transform ─▶ sql/models/*    (mapping, orphans, companies, reconciliation)
//!                               ▼
//!                   load ─────▶ Intercom API     (ledger: load.ledger) ──▶ verify / rollback
//!                               ▼
//!                   report ───▶ .xlsx            (reports/*.toml)
//! ```
//! Stages talk only through tables in the staging file, so each can be re-run alone and
//! tested from fixtures. Book-keeping lives in `meta.*`, created by `sql/migrations/`.
#![deny(clippy::print_stdout)]
pub mod check;
pub mod cli;
mod commands;
pub mod config;
pub mod demo;
pub mod discover;
pub mod error;
pub mod fixture;
pub mod intercom;
pub mod load;
pub mod map;
pub mod pipeline;
pub mod probe;
pub mod query;
pub mod report;
pub mod review;
pub mod rollback;
pub mod settings;
pub mod sim;
pub mod snapshot;
pub mod split;
pub mod tls;
pub mod transform;
pub mod ui;
pub mod verify;
pub mod warehouse;

use cli::Cli;

/// How a command ended when it did not fail outright.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok = 0,
    /// Ran to the end but found problems the user must look at.
    Problems = 1,
}

/// Every file ostmig creates — the staging file and its WAL, DuckDB's spill files, workbooks,
/// CSV, Markdown, mapping files, the simulator's state — holds customer data: owner-only
/// (0600, folders 0700), whatever the shell's umask. `chmod` them to share.
pub fn keep_files_private() {
    rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o077));
}

/// Write `bytes` to `path` so that a reader (or a crash at any moment) sees the old file or
/// the whole new one, never half of it: a temporary file beside it, synced, then renamed.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Run `future` on the process's one tokio runtime, built on first use. Every stage that talks
/// over the network (snapshot, pages, the workspace pull, load, verify, rollback, the
/// simulator) runs on it, so `ostmig run` chaining stages builds one runtime, not one per stage.
/// Tasks a stage spawns must end (or be aborted) with it: the runtime outlives the stage.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("the operating system refused the threads of ostmig's async runtime")
        })
        .block_on(future)
}

pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env(settings::ENV_LOG)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// `--verbose` anywhere in this process (a stage `ostmig run` starts inherits it).
static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--verbose` was given.
pub(crate) fn set_verbose() {
    VERBOSE.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether the user asked for the full tables (`--verbose`).
pub fn verbose() -> bool {
    VERBOSE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Run a parsed command line (see [`commands`]).
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    commands::run(cli)
}
