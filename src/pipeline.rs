//! `ostmig run`: every stage in order, each exactly as its own command runs it, stopping at the
//! first that fails and before the load while a check blocks it.

use crate::cli::{
    CheckArgs, Command, DbArg, IntercomArg, IntercomCommand, LoadArgs, MapCommand, RunArgs,
    SnapshotArgs, SplitArgs, TransformArgs, VerifyArgs,
};
use crate::{Outcome, cli::Cli};
use std::path::PathBuf;

fn stage(name: &str) {
    eprintln!("\n── {name} ──");
}

fn step(command: Command) -> anyhow::Result<Outcome> {
    crate::run(Cli {
        command,
        verbose: false,
    })
}

/// Snapshot (or its delta) and split.
pub fn snapshot_and_split(source: Option<String>, db: &DbArg, delta: bool) -> anyhow::Result<()> {
    stage(if delta {
        "snapshot (delta)"
    } else {
        "snapshot"
    });
    step(Command::Snapshot(SnapshotArgs {
        source,
        csv: None,
        pages: None,
        agent: None,
        concurrency: 2,
        per_second: 4.0,
        db: db.clone(),
        prefix: None,
        source_timezone: None,
        delta,
        json: false,
    }))?;
    stage("split");
    // A non-empty review queue is reported, not fatal: those entries are listed, not lost.
    step(Command::Split(SplitArgs {
        db: db.clone(),
        sample: Some(50),
        rendered: None,
        pages: false,
        attachment_limit: 10 * 1024 * 1024,
        json: false,
    }))?;
    Ok(())
}

pub fn transform(db: &DbArg, config: Option<PathBuf>) -> anyhow::Result<()> {
    stage("transform");
    step(Command::Transform(TransformArgs {
        db: db.clone(),
        config,
        json: false,
    }))?;
    Ok(())
}

pub fn run(args: RunArgs) -> anyhow::Result<Outcome> {
    let db = DbArg {
        db: args.db.db.clone(),
    };
    let intercom = IntercomArg {
        intercom_url: args.intercom.intercom_url.clone(),
    };
    if !args.skip_snapshot {
        snapshot_and_split(args.source.clone(), &db, args.delta)?;
    }
    stage("Intercom admins and teams");
    step(Command::Intercom(IntercomCommand::Pull {
        db: db.clone(),
        intercom: intercom.clone(),
    }))?;
    transform(&db, args.config.clone())?;
    stage("check");
    if step(Command::Check(CheckArgs {
        db: db.clone(),
        json: false,
    }))? == Outcome::Problems
    {
        eprintln!(
            "\nstopped before the load: a check above failed. Fix it (the reports.* tables say what to do), then `ostmig run --skip-snapshot` again"
        );
        return Ok(Outcome::Problems);
    }
    if args.apply && args.sample.is_none() && crate::map::gate(&db.db).is_err() {
        // Nothing moves before the mapping is signed off: hand the user the proposal to review.
        let dir = db.db.parent().unwrap_or(std::path::Path::new("."));
        // Never over a mapping file the user may have edited.
        let file = if dir.join("mapping.toml").exists() {
            dir.join("mapping.proposed.toml")
        } else {
            dir.join("mapping.toml")
        };
        stage("mapping");
        step(Command::Map(MapCommand::Propose {
            db: db.clone(),
            file: file.clone(),
        }))?;
        eprintln!(
            "\nstopped before the load: the mapping is not confirmed (or the data would now be sent differently). Review {0}, run `ostmig map confirm --db {1} --file {0}`, then `ostmig run --skip-snapshot --apply` again",
            file.display(),
            db.db.display()
        );
        return Ok(Outcome::Problems);
    }
    stage(if args.apply { "load" } else { "load plan" });
    let load = step(Command::Load(LoadArgs {
        db: db.clone(),
        intercom: intercom.clone(),
        apply: args.apply,
        phase: None,
        continue_on_error: false,
        concurrency: 8,
        sample: args.sample,
        search_window: args.search_window,
        json: false,
    }))?;
    if !args.apply || load == Outcome::Problems {
        return Ok(load);
    }
    stage("verify");
    step(Command::Verify(VerifyArgs {
        db,
        intercom,
        sample: args.sample.is_some(),
        json: false,
    }))
}
