//! `ostmig run`: every stage in order, each exactly as its own command runs it, stopping at the
//! first that fails and before the load while a check blocks it.
//!
//! A stage is written as the command line a user would type, parsed by the same parser and run
//! by the same command code in this process: the defaults are the commands' own, never copies.

use crate::Outcome;
use crate::cli::{Cli, RunArgs};
use std::path::Path;

fn stage(name: &str) {
    eprintln!("\n── {name} ──");
}

/// Run `ostmig ARGS` in this process.
fn step(args: &[&str]) -> anyhow::Result<Outcome> {
    use clap::Parser;
    let cli = Cli::try_parse_from(std::iter::once("ostmig").chain(args.iter().copied()))
        // Only a bug here can build a command line the parser refuses.
        .map_err(|e| anyhow::anyhow!("internal: `ostmig {}`: {e}", args.join(" ")))?;
    crate::commands::run(cli)
}

fn text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

pub fn run(args: RunArgs) -> anyhow::Result<Outcome> {
    let db = text(&args.db.db);
    let url = args.intercom.intercom_url.clone();
    if !args.skip_snapshot {
        stage(if args.delta {
            "snapshot (delta)"
        } else {
            "snapshot"
        });
        let mut snapshot = vec!["snapshot", "--db", &db];
        if let Some(source) = &args.source {
            snapshot.extend(["--source", source]);
        }
        if args.delta {
            snapshot.push("--delta");
        }
        step(&snapshot)?;
        stage("split");
        // A non-empty review queue is reported, not fatal: those entries are listed, not lost.
        step(&["split", "--db", &db, "--sample", "50"])?;
    }
    stage("Intercom admins and teams");
    step(&["intercom", "pull", "--db", &db, "--intercom-url", &url])?;
    stage("transform");
    let config = args.config.as_deref().map(text);
    let mut transform = vec!["transform", "--db", &db];
    if let Some(config) = &config {
        transform.extend(["--config", config]);
    }
    step(&transform)?;
    stage("check");
    if step(&["check", "--db", &db])? == Outcome::Problems {
        eprintln!(
            "\nstopped before the load: a check above failed. Fix it (the reports.* tables say what to do), then `ostmig run --skip-snapshot` again"
        );
        return Ok(Outcome::Problems);
    }
    if args.apply && args.sample.is_none() && crate::map::gate(&args.db.db).is_err() {
        return propose_mapping(&args.db.db);
    }
    stage(if args.apply { "load" } else { "load plan" });
    let window = args.search_window.to_string();
    let sample = args.sample.map(|n| n.to_string());
    let mut load = vec![
        "load",
        "--db",
        &db,
        "--intercom-url",
        &url,
        "--search-window",
        &window,
    ];
    if let Some(n) = &sample {
        load.extend(["--sample", n]);
    }
    if args.apply {
        load.push("--apply");
    }
    let loaded = step(&load)?;
    if !args.apply || loaded == Outcome::Problems {
        return Ok(loaded);
    }
    stage("verify");
    let mut verify = vec!["verify", "--db", &db, "--intercom-url", &url];
    if sample.is_some() {
        verify.push("--sample");
    }
    step(&verify)
}

/// Nothing moves before the mapping is signed off: hand the user the proposal to review.
fn propose_mapping(db: &Path) -> anyhow::Result<Outcome> {
    let dir = db.parent().unwrap_or(Path::new("."));
    // Never over a mapping file the user may have edited.
    let file = if dir.join("mapping.toml").exists() {
        dir.join("mapping.proposed.toml")
    } else {
        dir.join("mapping.toml")
    };
    stage("mapping");
    step(&["map", "propose", "--db", &text(db), "--file", &text(&file)])?;
    eprintln!(
        "\nstopped before the load: the mapping is not confirmed (or the data would now be sent differently). Review {0}, run `ostmig map confirm --db {1} --file {0}`, then `ostmig run --skip-snapshot --apply` again",
        file.display(),
        db.display()
    );
    Ok(Outcome::Problems)
}
