//! `ostmig fixture`: a generated osTicket help desk, as SQL on stdout or straight into a
//! staging file.
use crate::cli::FixtureArgs;
use crate::{Outcome, fixture, snapshot};

pub fn run(args: FixtureArgs) -> anyhow::Result<Outcome> {
    let spec = fixture::Spec {
        tickets: args.tickets,
        seed: args.seed,
        prefix: args.prefix,
        large_attachment_bytes: args.large_attachment_bytes,
    };
    let Some(db) = &args.db else {
        // The SQL dump is the command's output: large, so written through one buffer.
        let stdout = std::io::stdout().lock();
        fixture::generate(&spec, std::io::BufWriter::with_capacity(1 << 20, stdout))?;
        return Ok(Outcome::Ok);
    };
    let s = snapshot::fixture::run(db, &spec)?;
    eprintln!(
        "generated help desk written to {} as snapshot {} (kind fixture): {} rows in {} tables, {} zero dates, {} repaired values, times from {} in {:.1} s",
        db.display(),
        s.snapshot_id,
        s.rows,
        s.tables,
        s.zero_dates,
        s.repaired,
        s.time_zone,
        s.seconds
    );
    Ok(Outcome::Ok)
}
