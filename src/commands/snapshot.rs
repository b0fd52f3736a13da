//! `ostmig snapshot`: from the osTicket database, its CSV exports or its ticket pages.
use std::io::IsTerminal;

use crate::cli::SnapshotArgs;
use crate::{Outcome, discover, settings, snapshot};

pub fn run(args: SnapshotArgs) -> anyhow::Result<Outcome> {
    if args.csv.is_some() || args.pages.is_some() {
        return exports(args);
    }
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

/// The fallbacks without database access: CSV exports, then (or instead) ticket pages.
fn exports(args: SnapshotArgs) -> anyhow::Result<Outcome> {
    let zone = snapshot::source::zone_arg(args.source_timezone.as_deref().unwrap_or("UTC"))?;
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
    crate::out!(
        "{} of {} ticket pages and {} linked files stored (raw_pages.page, raw_pages.file) in {:.1} s; split them with `ostmig split --pages`",
        pages.pages,
        pages.tickets,
        pages.files,
        pages.seconds
    );
    for (number, why) in &pages.missing {
        crate::out!("  no page for ticket #{number}: {why}");
    }
    for (number, name, why) in &pages.missing_files {
        crate::out!("  file {name} of ticket #{number} not fetched: {why}");
    }
    Ok(
        if pages.missing.is_empty() && pages.missing_files.is_empty() {
            Outcome::Ok
        } else {
            Outcome::Problems
        },
    )
}
