//! `ostmig rollback`: the plan of what the ledger says was created, or with --apply its undoing.
use crate::cli::RollbackArgs;
use crate::error::Hinted;
use crate::{Outcome, load, rollback, ui};

pub fn run(args: RollbackArgs) -> anyhow::Result<Outcome> {
    if args.phase == Some(load::Phase::States) {
        return Err(Hinted::new(
            "--phase states has nothing of its own to undo: a ticket's state goes with the ticket",
            "use --phase tickets (or schema, companies, contacts, tasks)",
        )
        .into());
    }
    let target = super::target_of(args.sample);
    if !args.apply {
        let plan = rollback::plan(&args.db.db, args.phase, target)?;
        if args.json {
            ui::json(&plan)?;
        } else {
            rollback::print(&plan, true);
        }
        eprintln!("nothing undone; add --apply to roll back");
        return Ok(Outcome::Ok);
    }
    let undone = rollback::run(&args.db.db, &args.intercom.intercom_url, args.phase, target)?;
    if args.json {
        ui::json(&undone)?;
    } else {
        rollback::print(&undone, false);
    }
    Ok(super::problems_if(&undone, |u| u.failed > 0 || u.kept > 0))
}
