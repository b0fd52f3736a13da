//! `ostmig check`: every check in `sql/checks/`, failures first.
use crate::cli::CheckArgs;
use crate::{Outcome, check};

pub fn run(args: CheckArgs) -> anyhow::Result<Outcome> {
    let outcomes = check::run(&args.db.db)?;
    Ok(if check::print(&outcomes, args.json, crate::verbose())? {
        Outcome::Problems
    } else {
        Outcome::Ok
    })
}
