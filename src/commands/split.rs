//! `ostmig split`: thread entries into conversation parts.
use std::io::IsTerminal;

use crate::cli::SplitArgs;
use crate::{Outcome, split};

pub fn run(args: SplitArgs) -> anyhow::Result<Outcome> {
    let summary = split::run(&split::Options {
        db: args.db.db.clone(),
        rendered: match (&args.rendered, args.pages) {
            (Some(dir), _) => Some(split::Pages::Folder(dir.clone())),
            (None, true) => Some(split::Pages::Stored),
            (None, false) => None,
        },
        sample: args.sample,
        progress: std::io::stderr().is_terminal(),
    })?;
    split::print_summary(&summary, args.json)?;
    // A non-empty review queue is listed, not lost: the command ran, someone must look.
    Ok(if summary.review_rows > 0 {
        Outcome::Problems
    } else {
        Outcome::Ok
    })
}
