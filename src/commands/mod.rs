//! One file per command: each turns its parsed arguments into a stage's options, runs the
//! stage and says what happened (the result on stdout through [`crate::ui`], the summary and
//! hints on stderr). `ostmig run` and `ostmig demo` are built from these same commands.
mod check;
mod fixture;
mod intercom;
mod load;
mod map;
mod probe;
mod report;
mod rollback;
mod sim;
mod snapshot;
mod split;
mod transform;

use crate::Outcome;
use crate::cli::{Cli, Command};

/// Dispatch a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    if cli.verbose {
        crate::set_verbose();
    }
    match cli.command {
        Command::Snapshot(args) => snapshot::run(args),
        Command::Discover(args) => crate::discover::run(&args.db.db, args.json),
        Command::Split(args) => split::run(args),
        Command::Transform(args) => transform::run(args),
        Command::Check(args) => check::run(args),
        Command::Intercom(command) => intercom::run(command),
        Command::Map(command) => map::run(command),
        Command::Sql(args) => sql(args),
        Command::Load(args) => load::run(args),
        Command::Verify(args) => load::verify(args),
        Command::Probe(args) => probe::run(args),
        Command::Rollback(args) => rollback::run(args),
        Command::Sim(args) => sim::run(args),
        Command::Report(args) => report::run(args),
        Command::Review(args) => review(args),
        Command::Run(args) => crate::pipeline::run(args),
        Command::Demo(args) => crate::demo::run(args),
        Command::Fixture(args) => fixture::run(args),
        Command::Completions(args) => completions(args),
    }
}

fn sql(args: crate::cli::SqlArgs) -> anyhow::Result<Outcome> {
    use crate::query::Output;
    let output = match (args.csv, args.json) {
        (true, _) => Output::Csv,
        (false, true) => Output::Json,
        (false, false) => Output::Table,
    };
    crate::query::run(&args.db.db, &args.query, output)?;
    Ok(Outcome::Ok)
}

fn review(args: crate::cli::ReviewArgs) -> anyhow::Result<Outcome> {
    crate::review::serve(crate::review::Options {
        db: args.db.db,
        listen: args.listen,
        allow_remote: args.allow_remote,
        reviewer: args.reviewer,
    })?;
    Ok(Outcome::Ok)
}

fn completions(args: crate::cli::CompletionsArgs) -> anyhow::Result<Outcome> {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "ostmig", &mut script);
    crate::ui::bytes(&script)?;
    Ok(Outcome::Ok)
}

/// The ledger a `--sample` flag of verify or rollback points at.
fn target_of(sample: bool) -> crate::load::Target {
    if sample {
        crate::load::Target::Sample
    } else {
        crate::load::Target::Main
    }
}

/// `Problems` when any of `items` needs a look.
fn problems_if<T>(items: &[T], bad: impl Fn(&T) -> bool) -> Outcome {
    if items.iter().any(bad) {
        Outcome::Problems
    } else {
        Outcome::Ok
    }
}
