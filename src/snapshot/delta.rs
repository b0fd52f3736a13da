//! `snapshot --delta`: the cutover re-read. Only rows changed since the previous snapshot in the
//! same staging file are read again; the result must equal a full snapshot taken at the same
//! moment (tests/delta.rs proves it table by table).
//!
//! How a table is re-read:
//! - a table with a single integer primary key and an `updated` DATETIME column: rows whose
//!   `updated` is at or after the previous watermark (minus 15 hours, so no time-zone offset can
//!   hide a row), or whose key is above the previous maximum (rows written with a zero date);
//!   `thread_entry` also re-reads every merged entry, because a merge re-parents entries
//!   without touching `updated`;
//! - `thread_event` and `file_chunk`, which osTicket only ever inserts into: keys above the
//!   previous maximum;
//! - every other table, and any table whose columns changed (an osTicket upgrade between the
//!   snapshots): read whole.
//!
//! Deletions are found by reading the source's key list and dropping staged rows it lacks.

use std::collections::HashMap;

use duckdb::Connection;

use super::source::{Table, quote};
use crate::error::Hinted;
use crate::warehouse::{ident, literal};

/// Tables osTicket only inserts into (never updates), with the key that grows.
const APPEND_ONLY: &[(&str, &str)] = &[("thread_event", "id"), ("file_chunk", "file_id")];

/// How one table is read in a delta.
#[derive(Clone, Debug)]
pub enum Mode {
    /// Read every row, replacing the staged table.
    Full,
    /// Read the rows `filter` selects (a MySQL condition) and replace, by `key`, the staged rows
    /// with the same key; drop staged rows whose key the source no longer has.
    Incremental { key: String, filter: String },
}

/// What the previous snapshot left in the staging file.
pub struct Previous {
    pub snapshot_id: i32,
    pub database: String,
    pub prefix: String,
    tables: HashMap<String, PrevTable>,
}

struct PrevTable {
    columns: Vec<(String, String)>,
    watermark: Option<String>,
}

impl Previous {
    pub fn load(duck: &Connection) -> anyhow::Result<Previous> {
        let last: Option<(i32, String, String)> = duck
            .query_row(
                "SELECT snapshot_id, source_database, table_prefix FROM meta.snapshot
                 ORDER BY snapshot_id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .ok();
        let Some((snapshot_id, database, prefix)) = last else {
            return Err(Hinted::new(
                "--delta needs an earlier snapshot in this staging file, and there is none",
                "run `ostmig snapshot` without --delta first; --delta is for the cutover re-read",
            )
            .into());
        };
        let mut tables: HashMap<String, PrevTable> = HashMap::new();
        let mut stmt = duck.prepare(
            "SELECT table_name, column_name, duckdb_type FROM meta.snapshot_column
             WHERE snapshot_id = ? ORDER BY table_name, ordinal",
        )?;
        for row in stmt.query_map([snapshot_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })? {
            let (table, column, kind) = row?;
            tables
                .entry(table)
                .or_insert_with(|| PrevTable {
                    columns: Vec::new(),
                    watermark: None,
                })
                .columns
                .push((column, kind));
        }
        let mut stmt = duck.prepare(
            "SELECT table_name, strftime(max_watermark, '%Y-%m-%d %H:%M:%S')
             FROM meta.snapshot_table WHERE snapshot_id = ?",
        )?;
        for row in stmt.query_map([snapshot_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })? {
            let (table, watermark) = row?;
            if let Some(t) = tables.get_mut(&table) {
                t.watermark = watermark;
            }
        }
        Ok(Previous {
            snapshot_id,
            database,
            prefix,
            tables,
        })
    }

    /// How to read `t` in this delta. `merge_table` is the source's thread_entry_merge, if any.
    pub fn mode(&self, duck: &Connection, t: &Table, merge_table: Option<&str>) -> Mode {
        let Some(prev) = self.tables.get(&t.raw) else {
            return Mode::Full;
        };
        let same_columns = prev.columns.len() == t.columns.len()
            && prev
                .columns
                .iter()
                .zip(&t.columns)
                .all(|((n, k), c)| *n == c.name && *k == c.kind.duckdb());
        if !same_columns {
            return Mode::Full;
        }
        let max_of = |col: &str| -> Option<i64> {
            duck.query_row(
                &format!(
                    "SELECT max({})::BIGINT FROM raw.{}",
                    ident(col),
                    ident(&t.raw)
                ),
                [],
                |r| r.get(0),
            )
            .ok()
            .flatten()
        };
        let integer = |col: &str| {
            t.columns
                .iter()
                .any(|c| c.name == col && c.kind.duckdb().contains("INT"))
        };
        if let Some((_, key)) = APPEND_ONLY.iter().find(|(name, _)| *name == t.raw)
            && integer(key)
        {
            let above = max_of(key).unwrap_or(i64::MIN);
            return Mode::Incremental {
                key: key.to_string(),
                filter: format!("{} > {above}", quote(key)),
            };
        }
        let pk: Vec<&str> = t
            .columns
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| c.name.as_str())
            .collect();
        let (&[pk], Some(watermark)) = (pk.as_slice(), prev.watermark.as_deref()) else {
            return Mode::Full;
        };
        if !integer(pk) || !t.columns.iter().any(|c| c.name == "updated") {
            return Mode::Full;
        }
        let above = max_of(pk).unwrap_or(i64::MIN);
        let mut filter = format!(
            "`updated` >= DATE_SUB({}, INTERVAL 15 HOUR) OR {} > {above}",
            literal(watermark),
            quote(pk)
        );
        if t.raw == "thread_entry"
            && let Some(merges) = merge_table
        {
            filter.push_str(&format!(
                " OR {} IN (SELECT `thread_entry_id` FROM {})",
                quote(pk),
                quote(merges)
            ));
        }
        Mode::Incremental {
            key: pk.to_string(),
            filter,
        }
    }
}

/// The staging table a delta appends the re-read rows to, and the one holding the source's keys.
pub fn work_tables(raw: &str) -> (String, String) {
    (format!("_delta_{raw}"), format!("_delta_keys_{raw}"))
}

/// Replace the staged rows of `raw` by the re-read ones, drop rows the source no longer has, and
/// carry forward the previous snapshot's listed values for rows not re-read. Runs inside the
/// snapshot's transaction.
pub fn merge(
    duck: &Connection,
    raw: &str,
    key: &str,
    previous: i32,
    snapshot_id: i32,
) -> anyhow::Result<()> {
    let (rows, keys) = work_tables(raw);
    let (t, rows, keys, k) = (ident(raw), ident(&rows), ident(&keys), ident(key));
    duck.execute_batch(&format!(
        "INSERT INTO meta.snapshot_issue
           SELECT {snapshot_id}, table_name, row_key, column_name, problem, detail
           FROM meta.snapshot_issue
           WHERE snapshot_id = {previous} AND table_name = {name}
             AND split_part(row_key, ',', 1) NOT IN (SELECT {prefix} || {k} FROM raw.{rows})
             AND split_part(row_key, ',', 1) IN (SELECT {prefix} || k FROM raw.{keys});
         DELETE FROM raw.{t} WHERE {k} IN (SELECT {k} FROM raw.{rows})
                              OR {k} NOT IN (SELECT k FROM raw.{keys});
         INSERT INTO raw.{t} SELECT * FROM raw.{rows};
         DROP TABLE raw.{rows};
         DROP TABLE raw.{keys};",
        name = literal(raw),
        prefix = literal(&format!("{key}=")),
    ))?;
    Ok(())
}
