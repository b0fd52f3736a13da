//! `snapshot --csv DIR`: no database to read. osTicket's staff panel exports tickets, users
//! and organizations as CSV (Tickets → Export, Users → Export, Organizations → Export); this
//! turns those files into the same `raw.*` tables the database path writes, so `split
//! --rendered`, `transform` and the rest run unchanged, and marks the snapshot `csv`.
//!
//! Reads: every `*.csv` in DIR, recognised by its header (any file name, any column order,
//! comma or semicolon: osTicket picks the delimiter from the locale), with DuckDB's CSV reader.
//! Writes: `raw_csv.tickets|users|organizations` (the exports as read, for analysts), every
//! `raw.*` table of the osTicket schema (empty where the exports say nothing), the rows
//! `sql/csv/*.sql` derive, and `meta.snapshot*` with kind `csv`. One transaction: a failed run
//! leaves the previous snapshot intact. What the exports cannot give is listed by
//! `reports.rpt_fallback_gaps`.
use std::path::{Path, PathBuf};

use anyhow::Context;
use duckdb::Connection;

use super::convert::to_utc;
use super::source::Zone;
use crate::error::{Hinted, hinted};
use crate::warehouse::{self, ident, literal};

/// The three exports, the headers that identify each, and the columns the SQL reads (a
/// missing one reads as empty, so an older osTicket's export works too).
const KINDS: &[(&str, &[&str], &[&str])] = &[
    (
        "tickets",
        &["Ticket Number"],
        &[
            "Ticket Number",
            "Date Created",
            "Subject",
            "From",
            "From Email",
            "Priority",
            "Department",
            "Help Topic",
            "Source",
            "Current Status",
            "Last Updated",
            "SLA Due Date",
            "Due Date",
            "Closed Date",
            "Overdue",
            "Answered",
            "Agent Assigned",
            "Team Assigned",
        ],
    ),
    (
        "users",
        &["Name", "Email"],
        &["Name", "Organization", "Email", "Phone Number"],
    ),
    ("organizations", &["Name"], &["Name"]),
];

/// The statements that fill `raw.*`, in order.
const STEPS: &[(&str, &str)] = &[
    (
        "sql/csv/01_organizations.sql",
        include_str!("../../sql/csv/01_organizations.sql"),
    ),
    (
        "sql/csv/02_users.sql",
        include_str!("../../sql/csv/02_users.sql"),
    ),
    (
        "sql/csv/03_tickets.sql",
        include_str!("../../sql/csv/03_tickets.sql"),
    ),
];

/// Local times the SQL read, turned into UTC here (DuckDB has no time zone data built in).
const TIMES: &[(&str, &[&str])] = &[
    (
        "ticket",
        &[
            "duedate",
            "est_duedate",
            "closed",
            "lastupdate",
            "created",
            "updated",
        ],
    ),
    ("thread", &["created"]),
    ("form_entry", &["created", "updated"]),
];

pub struct Options {
    pub dir: PathBuf,
    pub db: PathBuf,
    pub zone: Zone,
}

/// What the CSV snapshot read, for the terminal.
#[derive(Debug)]
pub struct Summary {
    pub snapshot_id: i32,
    /// (export, file, rows)
    pub files: Vec<(String, PathBuf, i64)>,
    /// (raw table, rows)
    pub tables: Vec<(String, i64)>,
    /// Columns of the exports that no staging table takes (custom fields by label, counts).
    pub unused_columns: Vec<String>,
}

/// Whether the staging file's latest snapshot read CSV exports (its tickets then carry ids of
/// ostmig's own, and downloaded files become the snapshot's files).
pub fn latest_is_csv(duck: &Connection) -> bool {
    duck.query_row(
        "SELECT kind = 'csv' FROM meta.snapshot ORDER BY snapshot_id DESC LIMIT 1",
        [],
        |r| r.get::<_, bool>(0),
    )
    .unwrap_or(false)
}

/// Each column of each table of the osTicket schema, typed as the database path types it.
fn schema_tables() -> Vec<(String, Vec<(String, String)>)> {
    super::fixture::schema()
        .into_iter()
        .map(|t| {
            let cols = t
                .columns
                .into_iter()
                .map(|c| (c.name, c.kind.duckdb()))
                .collect();
            (t.raw, cols)
        })
        .collect()
}

/// The header of a CSV file as DuckDB reads it.
fn header(duck: &Connection, file: &Path) -> anyhow::Result<Vec<String>> {
    let mut stmt = duck.prepare(&format!(
        "DESCRIBE SELECT * FROM read_csv({}, header = true, all_varchar = true)",
        literal(&file.to_string_lossy())
    ))?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(names)
}

pub fn run(opts: Options) -> anyhow::Result<Summary> {
    let started = chrono::Utc::now().naive_utc();
    let duck = warehouse::open(&opts.db)?;
    let found = exports(&duck, &opts.dir)?;
    let snapshot_id: i32 = duck.query_row(
        "SELECT COALESCE(MAX(snapshot_id), 0) + 1 FROM meta.snapshot",
        [],
        |r| r.get(0),
    )?;
    let tables = schema_tables();
    create_raw_tables(&duck, &tables)?;
    let result = (|| -> anyhow::Result<Summary> {
        let mut summary = Summary {
            snapshot_id,
            files: Vec::new(),
            tables: Vec::new(),
            unused_columns: Vec::new(),
        };
        for (kind, _, wanted) in KINDS {
            stage_export(&duck, kind, wanted, &found, &mut summary)?;
        }
        for (name, sql) in STEPS {
            duck.execute_batch(sql)
                .with_context(|| format!("{name} failed"))?;
        }
        if !opts.zone.is_utc() {
            to_utc_in_place(&duck, &opts.zone)?;
        }
        for (name, _) in &tables {
            let rows: i64 = duck.query_row(
                &format!("SELECT count(*) FROM raw.{}", ident(name)),
                [],
                |r| r.get(0),
            )?;
            summary.tables.push((name.clone(), rows));
        }
        record(&duck, &opts, &summary, &tables, started)?;
        Ok(summary)
    })();
    match result {
        Ok(summary) => {
            duck.execute_batch("COMMIT; CHECKPOINT;")
                .context("committing the CSV snapshot")?;
            Ok(summary)
        }
        Err(e) => {
            let _ = duck.execute_batch("ROLLBACK");
            Err(e.context("the CSV snapshot was rolled back; the previous snapshot is unchanged"))
        }
    }
}

/// The exports in `dir`, each recognised by its header: (kind, file, columns). One of each
/// kind at most, and a ticket export is required.
fn exports(duck: &Connection, dir: &Path) -> anyhow::Result<Vec<Export>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            Hinted::new(
                format!("cannot read {}: {e}", dir.display()),
                "point --csv at the folder holding the staff panel's CSV exports",
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
        .collect();
    files.sort();
    let mut found: Vec<Export> = Vec::new();
    for file in &files {
        let cols = header(duck, file)
            .with_context(|| format!("reading the header of {}", file.display()))?;
        // Most specific first: a users export also has "Name".
        let kind = KINDS
            .iter()
            .find(|(_, needs, _)| needs.iter().all(|n| cols.iter().any(|c| c == n)))
            .map(|(k, _, _)| *k);
        match kind {
            Some(k) if found.iter().any(|(f, _, _)| *f == k) => {
                return hinted(
                    format!("two {k} exports in {}", dir.display()),
                    "keep one export of each kind in the folder (the newest)",
                );
            }
            Some(k) => found.push((k, file.clone(), cols)),
            None => eprintln!(
                "note: {} is not a ticket, user or organization export; skipped",
                file.display()
            ),
        }
    }
    if !found.iter().any(|(k, _, _)| *k == "tickets") {
        return hinted(
            format!(
                "no ticket export in {} (a CSV whose header has \"Ticket Number\")",
                dir.display()
            ),
            "export the tickets from the staff panel (Tickets → a queue → Export) into that folder",
        );
    }
    Ok(found)
}

/// A recognised export: its kind (a KINDS name), file and header columns.
type Export = (&'static str, PathBuf, Vec<String>);

/// Replace raw.* (and raw_csv.*) by the empty tables of the osTicket schema, in the open
/// transaction.
fn create_raw_tables(
    duck: &Connection,
    tables: &[(String, Vec<(String, String)>)],
) -> anyhow::Result<()> {
    let mut ddl = String::from(
        "BEGIN TRANSACTION;\nDROP SCHEMA IF EXISTS raw CASCADE;\nCREATE SCHEMA raw;\nDROP SCHEMA IF EXISTS raw_csv CASCADE;\nCREATE SCHEMA raw_csv;\n",
    );
    for (name, cols) in tables {
        let cols: Vec<String> = cols
            .iter()
            .map(|(c, t)| format!("{} {t}", ident(c)))
            .collect();
        ddl.push_str(&format!(
            "CREATE TABLE raw.{} ({});\n",
            ident(name),
            cols.join(", ")
        ));
    }
    duck.execute_batch(&ddl)
        .context("creating the raw tables")?;
    Ok(())
}

/// One export read as raw_csv.KIND, with every column the steps need (empty when the export
/// lacks it, or the whole table when there is no such export); unused columns are listed.
fn stage_export(
    duck: &Connection,
    kind: &str,
    wanted: &[&str],
    found: &[Export],
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let table = format!("raw_csv.{kind}");
    match found.iter().find(|(k, _, _)| *k == kind) {
        Some((_, file, cols)) => {
            duck.execute_batch(&format!(
                "CREATE TABLE {table} AS SELECT * FROM read_csv({}, header = true, all_varchar = true)",
                literal(&file.to_string_lossy())
            ))
            .with_context(|| format!("reading {}", file.display()))?;
            for c in cols.iter().filter(|c| !wanted.contains(&c.as_str())) {
                summary.unused_columns.push(format!("{kind}: {c}"));
            }
            for w in wanted.iter().filter(|w| !cols.iter().any(|c| c == *w)) {
                duck.execute_batch(&format!(
                    "ALTER TABLE {table} ADD COLUMN {} VARCHAR",
                    ident(w)
                ))?;
            }
            let rows: i64 =
                duck.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            summary.files.push((kind.to_string(), file.clone(), rows));
        }
        None => {
            let cols: Vec<String> = wanted
                .iter()
                .map(|w| format!("{} VARCHAR", ident(w)))
                .collect();
            duck.execute_batch(&format!("CREATE TABLE {table} ({})", cols.join(", ")))?;
        }
    }
    Ok(())
}

/// Rewrite the exported local times as UTC, one distinct value at a time.
fn to_utc_in_place(duck: &Connection, zone: &Zone) -> anyhow::Result<()> {
    duck.execute_batch(
        "CREATE OR REPLACE TEMP TABLE csv_zone_map (local TIMESTAMP, utc TIMESTAMP)",
    )?;
    let mut locals: Vec<chrono::NaiveDateTime> = Vec::new();
    for (table, cols) in TIMES {
        for col in *cols {
            let mut stmt = duck.prepare(&format!(
                "SELECT DISTINCT {} FROM raw.{} WHERE {0} IS NOT NULL",
                ident(col),
                ident(table)
            ))?;
            let rows = stmt.query_map([], |r| r.get::<_, chrono::NaiveDateTime>(0))?;
            for r in rows {
                locals.push(r?);
            }
        }
    }
    locals.sort();
    locals.dedup();
    let mut app = duck.appender("csv_zone_map")?;
    for local in locals {
        app.append_row(duckdb::params![local, to_utc(local, zone)])?;
    }
    app.flush()?;
    drop(app);
    for (table, cols) in TIMES {
        for col in *cols {
            duck.execute_batch(&format!(
                "UPDATE raw.{t} SET {c} = m.utc FROM csv_zone_map m WHERE raw.{t}.{c} = m.local",
                t = ident(table),
                c = ident(col)
            ))?;
        }
    }
    Ok(())
}

fn record(
    duck: &Connection,
    opts: &Options,
    s: &Summary,
    tables: &[(String, Vec<(String, String)>)],
    started: chrono::NaiveDateTime,
) -> anyhow::Result<()> {
    let dir = opts.dir.to_string_lossy().to_string();
    let rows: i64 = s.tables.iter().map(|(_, n)| n).sum();
    duck.execute(
        "INSERT INTO meta.snapshot (snapshot_id, started_at, finished_at, source, source_host, source_database,
             mysql_version, table_prefix, schema_signature, osticket_version, source_time_zone, time_zone_origin,
             tables, rows_copied, bytes, zero_dates, repaired_values, issues, warnings, ostmig_version, kind)
         VALUES (?, ?, now()::TIMESTAMP, ?, '', ?, 'none (CSV exports)', '', NULL, 'unknown', ?, ?, ?, ?, 0, 0, 0, 0, ?::VARCHAR[], ?, 'csv')",
        duckdb::params![
            s.snapshot_id,
            started,
            format!("csv:{dir}"),
            dir,
            opts.zone.name(),
            "--source-timezone (CSV exports carry no zone; default UTC)",
            tables.len() as i32,
            rows,
            format!(
                "[{}]",
                s.unused_columns
                    .iter()
                    .map(|c| format!("'export column not imported: {}'", c.replace('\'', "''")))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            env!("CARGO_PKG_VERSION"),
        ],
    )?;
    let mut insert = duck.prepare(
        "INSERT INTO meta.snapshot_table (snapshot_id, table_name, source_table, source_engine, rows_counted,
             rows_copied, bytes, source_bytes, zero_dates, repaired_values, issues, watermark_column, max_watermark)
         VALUES (?, ?, ?, 'CSV', ?, ?, 0, NULL, 0, 0, 0, NULL, NULL)",
    )?;
    for (name, rows) in &s.tables {
        insert.execute(duckdb::params![
            s.snapshot_id,
            name,
            format!("(from the CSV exports) {name}"),
            rows,
            rows
        ])?;
    }
    let mut insert =
        duck.prepare("INSERT INTO meta.snapshot_column VALUES (?, ?, ?, ?, ?, NULL, ?, false)")?;
    for (name, cols) in tables {
        for (i, (c, t)) in cols.iter().enumerate() {
            insert.execute(duckdb::params![
                s.snapshot_id,
                name,
                i as i32 + 1,
                c,
                "csv",
                t
            ])?;
        }
    }
    Ok(())
}
