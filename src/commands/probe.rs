//! `ostmig probe`: the experiments it would run, or with --apply their answers.
use crate::cli::ProbeArgs;
use crate::{Outcome, probe, ui};

pub fn run(args: ProbeArgs) -> anyhow::Result<Outcome> {
    if !args.apply {
        if args.json {
            ui::json(probe::QUESTIONS)?;
        } else {
            probe::print_plan();
        }
        eprintln!(
            "nothing created; add --apply to run them against {} (a sandbox: it creates and deletes contacts and a ticket)",
            args.intercom.intercom_url
        );
        return Ok(Outcome::Ok);
    }
    let out = probe::run(&probe::Options {
        db: args.db.db.clone(),
        url: args.intercom.intercom_url.clone(),
        max_lag: std::time::Duration::from_secs(args.max_lag),
    })?;
    if args.json {
        ui::json(&out)?;
    } else {
        probe::print(&out);
    }
    for left in &out.left {
        eprintln!("left in the workspace: {left}");
    }
    if out.removed > 0 {
        eprintln!("{} probe objects removed", out.removed);
    }
    Ok(if out.left.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Problems
    })
}
