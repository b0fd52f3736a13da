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
pub mod check;
pub mod cli;
pub mod config;
pub mod demo;
pub mod discover;
pub mod error;
pub mod fixture;
pub mod intercom;
pub mod load;
pub mod map;
pub mod pipeline;
pub mod query;
pub mod report;
pub mod rollback;
pub mod settings;
pub mod sim;
pub mod snapshot;
pub mod split;
pub mod tls;
pub mod transform;
pub mod verify;
pub mod warehouse;

use std::io::IsTerminal;

use cli::{Cli, Command};

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

pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OSTMIG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// `--verbose` anywhere in this process (a stage `ostmig run` starts inherits it).
static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether the user asked for the full tables (`--verbose`).
pub fn verbose() -> bool {
    VERBOSE.load(std::sync::atomic::Ordering::Relaxed)
}

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    if cli.verbose {
        VERBOSE.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    match cli.command {
        Command::Snapshot(args) if args.csv.is_some() || args.pages.is_some() => {
            let zone =
                snapshot::source::zone_arg(args.source_timezone.as_deref().unwrap_or("UTC"))?;
            if let Some(dir) = args.csv.clone() {
                eprintln!(
                    "snapshot of the CSV exports in {} into {}",
                    dir.display(),
                    args.db.db.display()
                );
                let summary = snapshot::csv::run(snapshot::csv::Options {
                    dir,
                    db: args.db.db.clone(),
                    zone,
                })?;
                discover::print_csv_summary(&summary, args.json)?;
            }
            let Some(url) = args.pages.clone() else {
                return Ok(Outcome::Ok);
            };
            eprintln!("ticket pages from {url} into {}", args.db.db.display());
            let pages = snapshot::pages::run(snapshot::pages::Options {
                url,
                db: args.db.db.clone(),
                agent: args.agent.clone(),
                concurrency: args.concurrency,
                per_second: args.per_second,
                progress: std::io::stderr().is_terminal(),
            })?;
            println!(
                "{} of {} ticket pages and {} linked files stored (raw_pages.page, raw_pages.file) in {:.1} s; split them with `ostmig split --pages`",
                pages.pages, pages.tickets, pages.files, pages.seconds
            );
            for (number, why) in &pages.missing {
                println!("  no page for ticket #{number}: {why}");
            }
            for (number, name, why) in &pages.missing_files {
                println!("  file {name} of ticket #{number} not fetched: {why}");
            }
            Ok(
                if pages.missing.is_empty() && pages.missing_files.is_empty() {
                    Outcome::Ok
                } else {
                    Outcome::Problems
                },
            )
        }
        Command::Snapshot(args) => {
            let source = settings::Source::resolve(
                args.source.as_deref(),
                std::env::var(settings::ENV_SOURCE_URL).ok(),
                std::env::var(settings::ENV_MYSQL_PASSWORD).ok(),
            )?;
            eprintln!(
                "snapshot of {} into {}",
                source.redacted(),
                args.db.db.display()
            );
            let summary = snapshot::run(snapshot::Options {
                source,
                db: args.db.db.clone(),
                prefix: args.prefix,
                source_timezone: args.source_timezone,
                progress: std::io::stderr().is_terminal(),
                delta: args.delta,
            })?;
            for w in &summary.warnings {
                eprintln!("warning: {w}");
            }
            discover::print_snapshot_summary(&summary, args.json)?;
            Ok(Outcome::Ok)
        }
        Command::Discover(args) => discover::run(&args.db.db, args.json),
        Command::Transform(args) => {
            let (path, explicit) = match &args.config {
                Some(p) => (p.clone(), true),
                None => (std::path::PathBuf::from("ostmig.toml"), false),
            };
            let config = config::Config::load(&path, explicit)?;
            let runs = transform::run(&transform::Options {
                db: args.db.db.clone(),
                config,
            })?;
            transform::print(&runs, args.json)?;
            Ok(Outcome::Ok)
        }
        Command::Check(args) => {
            let outcomes = check::run(&args.db.db)?;
            Ok(if check::print(&outcomes, args.json, verbose())? {
                Outcome::Problems
            } else {
                Outcome::Ok
            })
        }
        Command::Intercom(cli::IntercomCommand::Errata { json }) => {
            if json {
                println!("{}", serde_json::to_string_pretty(intercom::errata::all())?);
            } else {
                intercom::errata::print();
            }
            Ok(Outcome::Ok)
        }
        Command::Intercom(cli::IntercomCommand::Pull { db, intercom }) => {
            let intercom_url = intercom.intercom_url;
            let (admins, teams) = intercom::pull(&db.db, &intercom_url)?;
            eprintln!(
                "{admins} admins and {teams} teams from {intercom_url} stored in raw_intercom"
            );
            Ok(Outcome::Ok)
        }
        Command::Load(args) => {
            let target = if let Some(n) = args.sample {
                let strata = load::build_sample(&args.db.db, n)?;
                eprintln!(
                    "sample of {} tickets: {}",
                    strata.iter().map(|s| s.1).sum::<i64>(),
                    strata
                        .iter()
                        .map(|(s, n)| format!("{n} {s}"))
                        .collect::<Vec<_>>()
                        .join(" · ")
                );
                load::Target::Sample
            } else {
                load::Target::Main
            };
            if !args.apply {
                let plan = load::plan(&args.db.db, target)?;
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&plan)?);
                } else {
                    load::print(&plan, true);
                }
                let blockers = load::blocking(&args.db.db)?;
                if blockers.is_empty() {
                    eprintln!("nothing sent; add --apply to load");
                    return Ok(Outcome::Ok);
                }
                eprintln!("blocking: {} (see `ostmig check`)", blockers.join(", "));
                return Ok(Outcome::Problems);
            }
            let results = load::run(&load::Options {
                db: args.db.db.clone(),
                url: args.intercom.intercom_url.clone(),
                apply: true,
                phase: args.phase,
                continue_on_error: args.continue_on_error,
                concurrency: args.concurrency,
                target,
                search_window: std::time::Duration::from_secs_f64(args.search_window.max(0.0)),
            })?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&results)?);
            } else {
                load::print(&results, false);
            }
            for f in load::failures(&args.db.db, 20, target)? {
                eprintln!("failed: {f}");
            }
            let parked: i64 = results.iter().map(|r| r.unknown).sum();
            if parked > 0 {
                eprintln!(
                    "{parked} tickets were sent but their answer was lost and search has not found them yet (load.ledger status 'unknown'); run the load again once Intercom's search has caught up: it finds them, or sends them if they are still absent"
                );
            }
            Ok(if results.iter().any(|r| r.failed > 0 || r.unknown > 0) {
                Outcome::Problems
            } else {
                Outcome::Ok
            })
        }
        Command::Verify(args) => {
            let checked = verify::run(
                &args.db.db,
                &args.intercom.intercom_url,
                target_of(args.sample),
            )?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&checked)?);
            } else {
                verify::print(&checked);
            }
            if checked.iter().any(|c| c.mismatched > 0) {
                eprintln!(
                    "differences: duckdb {} -c \"select * from load.verify_mismatch\"",
                    args.db.db.display()
                );
                return Ok(Outcome::Problems);
            }
            Ok(Outcome::Ok)
        }
        Command::Rollback(args) => {
            if args.phase == Some(load::Phase::States) {
                return Err(error::Hinted::new(
                    "--phase states has nothing of its own to undo: a ticket's state goes with the ticket",
                    "use --phase tickets (or schema, companies, contacts)",
                )
                .into());
            }
            if !args.apply {
                let plan = rollback::plan(&args.db.db, args.phase, target_of(args.sample))?;
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&plan)?);
                } else {
                    rollback::print(&plan, true);
                }
                eprintln!("nothing undone; add --apply to roll back");
                return Ok(Outcome::Ok);
            }
            let undone = rollback::run(
                &args.db.db,
                &args.intercom.intercom_url,
                args.phase,
                target_of(args.sample),
            )?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&undone)?);
            } else {
                rollback::print(&undone, false);
            }
            Ok(if undone.iter().any(|u| u.failed > 0 || u.kept > 0) {
                Outcome::Problems
            } else {
                Outcome::Ok
            })
        }
        Command::Sim(args) => {
            sim::run(sim::Options {
                listen: args.listen,
                state: args.state,
                seed: args.seed,
                spec: args.spec,
                fail_rate: args.fail_rate,
                latency_ms: args.latency_ms,
                drop_connections: args.drop_connections,
                timeout_rate: args.timeout_rate,
                hang_seconds: args.hang_seconds,
                storm_rate: args.storm_rate,
                rate_limit: sim::parse_rate(&args.rate_limit)
                    .map_err(|e| error::Hinted::new(e, "for example --rate-limit 1666/10s"))?,
                behaviour: sim::workspace::Behaviour {
                    search_lag: args.search_lag.max(0.0),
                    restrict_deletes: args.restrict_deletes,
                    raw_bodies: args.raw_bodies,
                },
                lose_answers: args
                    .lose_answers
                    .iter()
                    .map(|l| sim::parse_lose(l))
                    .collect::<Result<_, _>>()
                    .map_err(|e| {
                        error::Hinted::new(e, "for example --lose-answers \"POST /tickets=1\"")
                    })?,
            })?;
            Ok(Outcome::Ok)
        }
        Command::Intercom(cli::IntercomCommand::ImportAdmins { db, file }) => {
            let n = intercom::admins::import(&db.db, &file)?;
            eprintln!("{n} Intercom admins stored in raw_intercom.admin");
            Ok(Outcome::Ok)
        }
        Command::Intercom(cli::IntercomCommand::ImportTeams { db, file }) => {
            let n = intercom::teams::import(&db.db, &file)?;
            eprintln!("{n} Intercom teams stored in raw_intercom.team");
            Ok(Outcome::Ok)
        }
        Command::Map(cli::MapCommand::Propose { db, file }) => {
            let entries = map::propose(&db.db, &file)?;
            let mut counts: Vec<(String, usize)> = Vec::new();
            for e in &entries {
                match counts.iter_mut().find(|(c, _)| *c == e.class) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((e.class.clone(), 1)),
                }
            }
            eprintln!(
                "mapping proposed in {}: {}",
                file.display(),
                counts
                    .iter()
                    .map(|(c, n)| format!("{n} {c}"))
                    .collect::<Vec<_>>()
                    .join(" · ")
            );
            eprintln!(
                "review it, then: ostmig map confirm --db {} --file {}",
                db.db.display(),
                file.display()
            );
            Ok(Outcome::Ok)
        }
        Command::Map(cli::MapCommand::Confirm { db, file, by }) => {
            let by = by
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "unknown".into());
            let c = map::confirm(&db.db, &file, &by)?;
            eprintln!(
                "mapping confirmed by {by}: {} destinations, {} edited, sha256 {}",
                c.entries, c.edits, c.checksum
            );
            if c.edits > 0 {
                eprintln!("run `ostmig transform` to apply the edits before loading");
            }
            Ok(Outcome::Ok)
        }
        Command::Map(cli::MapCommand::Diff { db, file }) => {
            let changes = map::diff(&db.db, file.as_deref())?;
            for c in &changes {
                println!("{}", map::describe(c));
            }
            eprintln!("{} difference(s) from the confirmed mapping", changes.len());
            Ok(if changes.is_empty() {
                Outcome::Ok
            } else {
                Outcome::Problems
            })
        }
        Command::Sql(args) => {
            let output = if args.csv {
                query::Output::Csv
            } else if args.json {
                query::Output::Json
            } else {
                query::Output::Table
            };
            query::run(&args.db.db, &args.query, output)?;
            Ok(Outcome::Ok)
        }
        Command::Split(args) => {
            let summary = split::run(&split::Options {
                db: args.db.db.clone(),
                rendered: match (&args.rendered, args.pages) {
                    (Some(dir), _) => Some(split::Pages::Folder(dir.clone())),
                    (None, true) => Some(split::Pages::Stored),
                    (None, false) => None,
                },
                sample: args.sample,
                attachment_limit: args.attachment_limit,
                progress: std::io::stderr().is_terminal(),
            })?;
            split::print_summary(&summary, args.json)?;
            Ok(if summary.review_rows > 0 {
                Outcome::Problems
            } else {
                Outcome::Ok
            })
        }
        Command::Report(args) => {
            let written = report::run(&report::Options {
                db: args.db.db.clone(),
                out: args.out.clone(),
                names: args.names.clone(),
                markdown: args.markdown,
            })?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&written)?);
            } else {
                report::print(&written, &args.out);
            }
            Ok(if written.iter().any(|w| w.note.is_some()) {
                Outcome::Problems
            } else {
                Outcome::Ok
            })
        }
        Command::Completions(args) => {
            use clap::CommandFactory;
            clap_complete::generate(
                args.shell,
                &mut Cli::command(),
                "ostmig",
                &mut std::io::stdout(),
            );
            Ok(Outcome::Ok)
        }
        Command::Run(args) => pipeline::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Fixture(args) => {
            let spec = fixture::Spec {
                tickets: args.tickets,
                seed: args.seed,
                prefix: args.prefix,
                large_attachment_bytes: args.large_attachment_bytes,
            };
            if let Some(db) = &args.db {
                let s = snapshot::fixture::run(db, &spec)?;
                eprintln!(
                    "generated help desk written to {} as snapshot {} (kind fixture): {} rows in {} tables, {} zero dates, {} repaired values, times from {} in {:.1} s",
                    db.display(),
                    s.snapshot_id,
                    s.rows,
                    s.tables,
                    s.zero_dates,
                    s.repaired,
                    s.time_zone,
                    s.seconds
                );
                return Ok(Outcome::Ok);
            }
            let stdout = std::io::stdout().lock();
            fixture::generate(&spec, std::io::BufWriter::with_capacity(1 << 20, stdout))?;
            Ok(Outcome::Ok)
        }
    }
}

fn target_of(sample: bool) -> load::Target {
    if sample {
        load::Target::Sample
    } else {
        load::Target::Main
    }
}
