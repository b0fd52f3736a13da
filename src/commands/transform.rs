//! `ostmig transform`: the SQL models, in layer order.
use crate::cli::TransformArgs;
use crate::{Outcome, config, transform};

pub fn run(args: TransformArgs) -> anyhow::Result<Outcome> {
    // Without --config, ./ostmig.toml is read when it exists and the defaults apply when not.
    let (path, explicit) = match &args.config {
        Some(p) => (p.clone(), true),
        None => (std::path::PathBuf::from("ostmig.toml"), false),
    };
    let config = config::Config::load(&path, explicit)?;
    let runs = transform::run(&transform::Options {
        db: args.db.db.clone(),
        config,
    })?;
    transform::print(&runs, args.json)?;
    Ok(Outcome::Ok)
}
