//! `ostmig report`: the workbooks in `reports/*.toml`.
use crate::cli::ReportArgs;
use crate::{Outcome, report};

pub fn run(args: ReportArgs) -> anyhow::Result<Outcome> {
    let written = report::run(&report::Options {
        db: args.db.db.clone(),
        out: args.out.clone(),
        names: args.names.clone(),
        markdown: args.markdown,
    })?;
    if args.json {
        crate::ui::json(&written)?;
    } else {
        report::print(&written, &args.out);
    }
    Ok(super::problems_if(&written, |w| w.note.is_some()))
}
