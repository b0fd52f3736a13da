//! `ostmig sql "select …"`: the analyst's quick look at the staging file, read-only.

use std::path::Path;

use anyhow::Context;
use duckdb::{AccessMode, Config, Connection};

use crate::error::Hinted;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Output {
    Table,
    Csv,
    Json,
}

pub fn run(db: &Path, query: &str, output: Output) -> anyhow::Result<()> {
    if !db.exists() {
        return Err(Hinted::new(
            format!("the staging file {} does not exist", db.display()),
            "run `ostmig snapshot` first, or point --db at the migration's file",
        )
        .into());
    }
    // Read-only: a mistyped UPDATE cannot touch the migration.
    let conn =
        Connection::open_with_flags(db, Config::default().access_mode(AccessMode::ReadOnly)?)
            .with_context(|| format!("opening {} read-only", db.display()))?;
    let query = query.trim().trim_end_matches(';');
    let explain = |e: duckdb::Error| {
        anyhow::Error::from(Hinted::new(
            format!("the query failed: {e}"),
            "check the relation names with: ostmig sql \"select table_schema, table_name from information_schema.tables\"",
        ))
    };
    match output {
        Output::Json => {
            let sql =
                format!("SELECT coalesce(json_group_array(to_json(q)), '[]') FROM ({query}) q");
            let json: String = conn.query_row(&sql, [], |r| r.get(0)).map_err(explain)?;
            crate::out!("{json}");
        }
        Output::Table | Output::Csv => {
            // Every column as text, keeping its name: DuckDB formats its own types best.
            let sql = format!("SELECT COLUMNS(*)::VARCHAR FROM ({query})");
            let mut stmt = conn.prepare(&sql).map_err(explain)?;
            let mut rows = stmt.query([]).map_err(explain)?;
            let mut data: Vec<Vec<Option<String>>> = Vec::new();
            let names: Vec<String> = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
            while let Some(row) = rows.next().map_err(explain)? {
                data.push(
                    (0..names.len())
                        .map(|i| row.get::<_, Option<String>>(i))
                        .collect::<Result<_, _>>()?,
                );
            }
            if output == Output::Csv {
                crate::out!(
                    "{}",
                    names
                        .iter()
                        .map(|n| csv_field(n))
                        .collect::<Vec<_>>()
                        .join(",")
                );
                for row in &data {
                    let fields: Vec<String> = row
                        .iter()
                        .map(|v| v.as_deref().map(csv_field).unwrap_or_default())
                        .collect();
                    crate::out!("{}", fields.join(","));
                }
            } else {
                let mut table = crate::ui::table(names);
                for row in data.iter() {
                    table.add_row(
                        row.iter()
                            .map(|v| v.clone().unwrap_or_else(|| "NULL".into())),
                    );
                }
                crate::out!("{table}");
                eprintln!("{} rows", data.len());
            }
        }
    }
    Ok(())
}

fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}
