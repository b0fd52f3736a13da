//! `ostmig probe`: the experiments it would run, or with --apply their answers.
use crate::cli::ProbeArgs;
use crate::{Outcome, probe, ui};

pub fn run(args: ProbeArgs) -> anyhow::Result<Outcome> {
    if !args.answer.is_empty() {
        let answers = probe::record_by_hand(
            &args.db.db,
            &args.intercom.intercom_url,
            &args.answer,
            args.by.as_deref().unwrap_or_default(),
        )?;
        let out = probe::Outcome {
            answers,
            ..Default::default()
        };
        if args.json {
            ui::json(&out)?;
        } else {
            probe::print(&out);
        }
        return Ok(Outcome::Ok);
    }
    if !args.apply {
        if args.json {
            ui::json(probe::QUESTIONS)?;
        } else {
            probe::print_plan();
        }
        eprintln!(
            "nothing created; add --apply to run them against {} (a sandbox: it creates and deletes two contacts and a ticket)",
            args.intercom.intercom_url
        );
        return Ok(Outcome::Ok);
    }
    let out = probe::run(&probe::Options {
        db: args.db.db.clone(),
        url: args.intercom.intercom_url.clone(),
        max_lag: std::time::Duration::from_secs(args.max_lag),
        max_request_bytes: args.max_request_mb.max(1) * 1024 * 1024,
    })?;
    if args.json {
        ui::json(&out)?;
    } else {
        probe::print(&out);
    }
    for archived in &out.archived {
        eprintln!("archived (Intercom cannot delete it; later probes reuse it): {archived}");
    }
    for left in &out.left {
        eprintln!("left in the workspace: {left}");
    }
    if out.removed > 0 {
        eprintln!("{} probe objects removed", out.removed);
    }
    eprintln!(
        "next: `ostmig transform` so the outbox follows these answers (until then `ostmig check` fails probe_answers_changed where they changed); `ostmig load` without --apply shows the strategy"
    );
    Ok(if out.left.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Problems
    })
}
