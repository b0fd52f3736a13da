//! `ostmig map propose | confirm | diff`: the customer's sign-off of where everything goes.
use crate::cli::MapCommand;
use crate::{Outcome, map};

pub fn run(command: MapCommand) -> anyhow::Result<Outcome> {
    match command {
        MapCommand::Propose { db, file } => {
            let entries = map::propose(&db.db, &file)?;
            let mut counts: Vec<(String, usize)> = Vec::new();
            for e in &entries {
                match counts.iter_mut().find(|(c, _)| *c == e.class) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((e.class.clone(), 1)),
                }
            }
            let counts: Vec<String> = counts.iter().map(|(c, n)| format!("{n} {c}")).collect();
            eprintln!(
                "mapping proposed in {}: {}",
                file.display(),
                counts.join(" · ")
            );
            eprintln!(
                "review it, then: ostmig map confirm --db {} --file {}",
                db.db.display(),
                file.display()
            );
            Ok(Outcome::Ok)
        }
        MapCommand::Confirm { db, file, by } => {
            let by = by
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "unknown".into());
            let c = map::confirm(&db.db, &file, &by)?;
            eprintln!(
                "mapping confirmed by {by}: {} destinations, {} edited, sha256 {}",
                c.entries, c.edits, c.checksum
            );
            if c.edits > 0 {
                eprintln!("run `ostmig transform` to apply the edits before loading");
            }
            Ok(Outcome::Ok)
        }
        MapCommand::Diff { db, file } => {
            let changes = map::diff(&db.db, file.as_deref())?;
            for c in &changes {
                crate::out!("{}", map::describe(c));
            }
            eprintln!("{} difference(s) from the confirmed mapping", changes.len());
            Ok(super::problems_if(&changes, |_| true))
        }
    }
}
