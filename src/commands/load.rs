//! `ostmig load` (the plan, or with --apply the load itself) and `ostmig verify`.
use crate::cli::{LoadArgs, VerifyArgs};
use crate::{Outcome, load, ui, verify};

pub fn run(args: LoadArgs) -> anyhow::Result<Outcome> {
    let target = match args.sample {
        Some(n) => {
            let strata = load::build_sample(&args.db.db, n)?;
            let parts: Vec<String> = strata.iter().map(|(s, n)| format!("{n} {s}")).collect();
            eprintln!(
                "sample of {} tickets: {}",
                strata.iter().map(|s| s.1).sum::<i64>(),
                parts.join(" · ")
            );
            load::Target::Sample
        }
        None => load::Target::Main,
    };
    if !args.apply {
        return plan(&args, target);
    }
    let results = load::run(&load::Options {
        db: args.db.db.clone(),
        url: args.intercom.intercom_url.clone(),
        apply: true,
        phase: args.phase,
        continue_on_error: args.continue_on_error,
        concurrency: args.concurrency,
        workspace_limit: args.workspace_limit,
        target,
        search_window: search_window(&args)?,
    })?;
    if args.json {
        ui::json(&results)?;
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
    Ok(super::problems_if(&results, |r| {
        r.failed > 0 || r.unknown > 0
    }))
}

/// Without --apply: what the load would send, and whether a check blocks it.
fn plan(args: &LoadArgs, target: load::Target) -> anyhow::Result<Outcome> {
    // The apps the tokens name (one when none is set yet), each at Intercom's documented
    // limit, together within the workspace's.
    let apps = crate::settings::intercom_tokens().map_or(1, |t| t.len()) as u64;
    let per_minute = (apps * crate::intercom::pace::APP_LIMIT_PER_MINUTE).min(args.workspace_limit);
    let plan = load::plan(&args.db.db, target, per_minute)?;
    if args.json {
        ui::json(&plan)?;
    } else {
        load::print(&plan, true);
        eprintln!(
            "time at {per_minute} calls/min ({apps} app{} at Intercom's 10,000/min each, within --workspace-limit {})",
            if apps == 1 { "" } else { "s" },
            args.workspace_limit
        );
        // How it meets what Intercom does not document: probed, or the safe choice.
        let strategy = load::strategy(&args.db.db)?;
        if !strategy.is_empty() {
            load::print_strategy(&strategy);
        }
    }
    let blockers = load::blocking(&args.db.db, args.phase)?;
    if blockers.is_empty() {
        eprintln!("nothing sent; add --apply to load");
        return Ok(Outcome::Ok);
    }
    eprintln!("blocking: {} (see `ostmig check`)", blockers.join(", "));
    Ok(Outcome::Problems)
}

pub fn verify(args: VerifyArgs) -> anyhow::Result<Outcome> {
    let checked = verify::run(
        &args.db.db,
        &args.intercom.intercom_url,
        super::target_of(args.sample),
    )?;
    if args.json {
        ui::json(&checked)?;
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

/// The search window: as given, or longer when `ostmig probe` measured a lag that calls for it
/// (3 × the lag): a window shorter than the lag would send a lost ticket twice.
fn search_window(args: &LoadArgs) -> anyhow::Result<std::time::Duration> {
    let given = std::time::Duration::from_secs_f64(args.search_window.max(0.0));
    Ok(match crate::probe::search_window(&args.db.db)? {
        Some(probed) if probed > given => {
            eprintln!(
                "search window {} s (ostmig probe measured a search lag of {} s; 3 × that is the least that is safe)",
                probed.as_secs(),
                probed.as_secs() / 3
            );
            probed
        }
        _ => given,
    })
}
