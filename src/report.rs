//! Reports: the `reports.*` relations the transform builds, written out for people who do not
//! open the staging file.

use std::path::Path;

use anyhow::Context;

use crate::warehouse::{self, ident, literal};

/// One CSV (with a header row) per `reports.*` table or view into `dir`; returns how many.
pub fn export_csv(db: &Path, dir: &Path) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let duck = warehouse::open(db)?;
    let names: Vec<String> = {
        let mut stmt = duck.prepare(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'reports' ORDER BY 1",
        )?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    for name in &names {
        let file = dir.join(format!("{name}.csv"));
        duck.execute_batch(&format!(
            "COPY reports.{} TO {} (HEADER)",
            ident(name),
            literal(&file.to_string_lossy())
        ))
        .with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(names.len())
}
