//! `ostmig fixture --db FILE`, and `ostmig demo` where MariaDB is not installed: the generated
//! help desk written straight into the staging file's `raw.*` tables, with no database between.
//!
//! The rows are the ones `ostmig fixture` writes as SQL (same seed and scale, same help desk),
//! and they go through the snapshot's own conversion: the same schema (`fixtures/schema/`) typed
//! by the same type map, DATETIMEs read as osTicket's `db_timezone` and stored as UTC, zero
//! dates NULL and counted, double-encoded UTF-8 repaired and counted. What MariaDB would add on
//! insert is added here too: a column a row leaves out gets its `DEFAULT` (or MariaDB's implicit
//! one for `NOT NULL`), an `auto_increment` key its next number. The snapshot is recorded in
//! `meta.snapshot` with kind `fixture`, so every later stage runs unchanged and says where its
//! data came from.
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use duckdb::Connection;

use super::convert::{Builder, Note};
use super::source::{Column, Table, Zone, parse_zone};
use super::typemap::kind_for;
use crate::fixture::sql::Value;
use crate::warehouse::{self, ident};

/// A column of the fixture schema with what MariaDB fills in when a row leaves it out.
struct Declared {
    column: Column,
    /// The value MariaDB stores for an omitted column (None: NULL).
    default: Option<String>,
    auto_increment: bool,
}

/// What one fixture snapshot wrote, for the terminal summary.
#[derive(Debug)]
pub struct Summary {
    pub snapshot_id: i32,
    pub tables: usize,
    pub rows: i64,
    pub zero_dates: i64,
    pub repaired: i64,
    pub time_zone: String,
    pub seconds: f64,
}

/// The tables of `fixtures/schema/osticket-1.18.sql`, typed as the snapshot types a real
/// database's (the CSV fallback creates the same tables).
pub(super) fn schema() -> Vec<Table> {
    declared().into_iter().map(|(t, _)| t).collect()
}

fn declared() -> Vec<(Table, Vec<Declared>)> {
    let mut tables = Vec::new();
    let mut current: Option<(String, Vec<Declared>)> = None;
    for line in crate::fixture::SCHEMA.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("CREATE TABLE `%TABLE_PREFIX%") {
            let name = rest.split('`').next().unwrap_or_default().to_string();
            current = Some((name, Vec::new()));
        } else if line.starts_with(')') {
            if let Some((name, cols)) = current.take() {
                let table = Table {
                    source: format!("ost_{name}"),
                    raw: name,
                    engine: None,
                    source_bytes: None,
                    estimated_rows: 0,
                    columns: cols.iter().map(|d| d.column.clone()).collect(),
                };
                tables.push((table, cols));
            }
        } else if let (Some((_, cols)), Some(rest)) = (current.as_mut(), line.strip_prefix('`')) {
            // Some lines declare several columns: `email` mediumtext, `name` mediumtext, …
            for one in rest.split(", `") {
                let (name, def) = one.split_once('`').unwrap_or((one, ""));
                cols.push(declare(name, def));
            }
        } else if let (Some((_, cols)), Some(keys)) =
            (current.as_mut(), line.strip_prefix("PRIMARY KEY ("))
        {
            let keys = keys.split(')').next().unwrap_or_default();
            for key in keys.split(',').map(|k| k.trim().trim_matches('`')) {
                if let Some(d) = cols.iter_mut().find(|d| d.column.name == key) {
                    d.column.primary_key = true;
                }
            }
        }
    }
    tables
}

/// One column definition (`int(11) unsigned NOT NULL default '0',`).
fn declare(name: &str, def: &str) -> Declared {
    let def = def.trim().trim_end_matches(',');
    let column_type = def.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let data_type = column_type
        .split(|c: char| c == '(' || c == ',' || c.is_whitespace())
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let charset = def.contains("CHARACTER SET binary").then_some("binary");
    let kind = kind_for(&data_type, &column_type, charset);
    let lower = def.to_ascii_lowercase();
    let default = match lower.find(" default ") {
        Some(at) => {
            let rest = def[at + " default ".len()..].trim_start();
            if let Some(quoted) = rest.strip_prefix('\'') {
                Some(quoted.split('\'').next().unwrap_or_default().to_string())
            } else {
                let word = rest.split([' ', ',']).next().unwrap_or_default();
                match word.to_ascii_uppercase().as_str() {
                    "NULL" => None,
                    "CURRENT_TIMESTAMP" => Some(
                        chrono::Utc::now()
                            .naive_utc()
                            .format("%Y-%m-%d %H:%M:%S")
                            .to_string(),
                    ),
                    _ => Some(word.to_string()),
                }
            }
        }
        // MariaDB's implicit default for NOT NULL without one (sql_mode '', as osTicket runs).
        None if lower.contains("not null") => Some(
            match data_type.as_str() {
                "datetime" | "timestamp" => "0000-00-00 00:00:00",
                "date" => "0000-00-00",
                "varchar" | "char" | "text" | "mediumtext" | "longtext" | "tinytext" | "enum"
                | "set" | "blob" | "mediumblob" | "longblob" | "varbinary" | "binary" => "",
                _ => "0",
            }
            .to_string(),
        ),
        None => None,
    };
    Declared {
        column: Column {
            name: name.to_string(),
            mysql_type: column_type,
            character_set: charset.map(String::from),
            kind,
            primary_key: false,
        },
        default,
        auto_increment: lower.contains("auto_increment"),
    }
}

/// Generate the help desk `spec` describes into the staging file `db`, replacing its `raw.*`
/// in one transaction (a failure leaves the previous snapshot as it was).
pub fn run(db: &Path, spec: &crate::fixture::Spec) -> anyhow::Result<Summary> {
    let started = std::time::Instant::now();
    let started_at = chrono::Utc::now().naive_utc();
    let captured = crate::fixture::capture(spec)?;
    // osTicket records the zone its DATETIMEs are written in; the generator writes it too.
    let zone_name = captured
        .tables
        .get("config")
        .and_then(|t| {
            let at = |c: &str| t.columns.iter().position(|x| x == c);
            let (ns, key, value) = (at("namespace")?, at("key")?, at("value")?);
            t.rows
                .iter()
                .find_map(|r| match (&r[ns], &r[key], &r[value]) {
                    (Value::Text(n), Value::Text(k), Value::Text(v))
                        if n == "core" && k == "db_timezone" =>
                    {
                        Some(v.clone())
                    }
                    _ => None,
                })
        })
        .unwrap_or_else(|| "UTC".into());
    let zone: Zone = parse_zone(&zone_name)
        .with_context(|| format!("the generated db_timezone {zone_name:?} is not a zone"))?;
    let duck = warehouse::open(db)?;
    let tables = declared();
    let plain: Vec<Table> = tables.iter().map(|(t, _)| t.clone()).collect();
    super::begin_replace_raw(&duck, &plain)?;
    let result = (|| -> anyhow::Result<Summary> {
        let snapshot_id: i32 = duck.query_row(
            "SELECT COALESCE(MAX(snapshot_id), 0) + 1 FROM meta.snapshot",
            [],
            |r| r.get(0),
        )?;
        let mut summary = Summary {
            snapshot_id,
            tables: tables.len(),
            rows: 0,
            zero_dates: 0,
            repaired: 0,
            time_zone: zone.name(),
            seconds: 0.0,
        };
        let mut per_table = Vec::new();
        for (table, cols) in &tables {
            let (rows, zero, repaired) = match captured.tables.get(table.raw.as_str()) {
                Some(t) => {
                    let (rows, zero, repairs) = write_table(&duck, table, cols, t, &zone)?;
                    // Every repair is listed, as the snapshot lists them.
                    let mut app = duck.appender_to_db("snapshot_issue", "meta")?;
                    for (key, column, detail) in &repairs {
                        app.append_row(duckdb::params![
                            snapshot_id,
                            table.raw,
                            key,
                            column,
                            "mojibake_repaired",
                            detail
                        ])?;
                    }
                    app.flush()?;
                    (rows, zero, repairs.len() as i64)
                }
                None => (0, 0, 0),
            };
            summary.rows += rows;
            summary.zero_dates += zero;
            summary.repaired += repaired;
            per_table.push((table.raw.clone(), rows, zero, repaired));
        }
        for f in &captured.set_flags {
            duck.execute(
                &format!(
                    "UPDATE raw.{} SET flags = flags | ? WHERE {} = ?",
                    ident(f.table),
                    ident(f.key)
                ),
                duckdb::params![f.bits, f.id],
            )?;
        }
        summary.seconds = started.elapsed().as_secs_f64();
        record(&duck, spec, &summary, &plain, &per_table, started_at)?;
        Ok(summary)
    })();
    match result {
        Ok(summary) => {
            duck.execute_batch("COMMIT; CHECKPOINT;")
                .context("committing the generated help desk")?;
            Ok(summary)
        }
        Err(e) => {
            let _ = duck.execute_batch("ROLLBACK");
            Err(e.context(
                "the generated help desk was rolled back; the previous snapshot is unchanged",
            ))
        }
    }
}

/// A repaired value: (row key as `col=value,…`, column, what was stored).
type Repair = (String, String, String);

/// Append one table's rows as the snapshot would have read them; (rows, zero dates, repairs).
fn write_table(
    duck: &Connection,
    table: &Table,
    cols: &[Declared],
    rows: &crate::fixture::sql::Table,
    zone: &Zone,
) -> anyhow::Result<(i64, i64, Vec<Repair>)> {
    let given: HashMap<&str, usize> = rows
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    if let Some(unknown) = rows
        .columns
        .iter()
        .find(|c| !cols.iter().any(|d| d.column.name == **c))
    {
        anyhow::bail!(
            "the generator writes {}.{unknown}, which the fixture schema does not declare",
            table.raw
        );
    }
    let mut zero = 0;
    let mut repairs = Vec::new();
    // The row key as the snapshot writes it: the primary key's columns, `col=value,…`.
    let key_of = |row: &[Value]| {
        cols.iter()
            .filter(|d| d.column.primary_key)
            .map(|d| {
                let v = given.get(d.column.name.as_str()).map(|&i| &row[i]);
                let text = match v {
                    Some(Value::Int(i)) => i.to_string(),
                    Some(Value::UInt(u)) => u.to_string(),
                    Some(Value::Text(t)) => t.clone(),
                    _ => "NULL".to_string(),
                };
                format!("{}={text}", d.column.name)
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut arrays = Vec::with_capacity(cols.len());
    for d in cols {
        let mut b = Builder::new(d.column.kind);
        let at = given.get(d.column.name.as_str()).copied();
        for (n, row) in rows.rows.iter().enumerate() {
            let value = match at.map(|i| &row[i]) {
                Some(v) => v.clone(),
                None if d.auto_increment => Value::Int(n as i64 + 1),
                None => d.default.clone().map_or(Value::Null, Value::Text),
            };
            let note = match &value {
                Value::Null => {
                    b.append_null();
                    Note::Clean
                }
                Value::Int(i) => b.append(i.to_string().as_bytes(), zone),
                Value::UInt(u) => b.append(u.to_string().as_bytes(), zone),
                Value::Text(t) => b.append(t.as_bytes(), zone),
                Value::Bytes(bytes) => b.append(bytes, zone),
            };
            match note {
                Note::ZeroDate => zero += 1,
                Note::Repaired(detail) => {
                    repairs.push((key_of(row), d.column.name.clone(), detail));
                }
                Note::Problem(problem, detail) => anyhow::bail!(
                    "the generator wrote {}.{} = {detail:?}, which the snapshot cannot read ({problem})",
                    table.raw,
                    d.column.name
                ),
                Note::Clean => {}
            }
        }
        arrays.push(b.finish());
    }
    let schema = Arc::new(Schema::new(
        cols.iter()
            .map(|d| Field::new(&d.column.name, d.column.kind.arrow(), true))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema, arrays)
        .with_context(|| format!("building raw.{}", table.raw))?;
    let mut app = duck.appender_to_db(&table.raw, "raw")?;
    app.append_record_batch(batch)
        .with_context(|| format!("appending to raw.{}", table.raw))?;
    app.flush()?;
    Ok((rows.rows.len() as i64, zero, repairs))
}

fn record(
    duck: &Connection,
    spec: &crate::fixture::Spec,
    s: &Summary,
    tables: &[Table],
    per_table: &[(String, i64, i64, i64)],
    started: chrono::NaiveDateTime,
) -> anyhow::Result<()> {
    let source = format!(
        "fixture:{} tickets, seed {} (ostmig fixture, no database)",
        spec.tickets, spec.seed
    );
    duck.execute(
        "INSERT INTO meta.snapshot (snapshot_id, started_at, finished_at, source, source_host, source_database,
             mysql_version, table_prefix, schema_signature, osticket_version, source_time_zone, time_zone_origin,
             tables, rows_copied, bytes, zero_dates, repaired_values, issues, warnings, ostmig_version, kind)
         VALUES (?, ?, now()::TIMESTAMP, ?, '', 'fixture', 'none (generated)', ?, NULL, '1.18', ?,
                 'config db_timezone', ?, ?, 0, ?, ?, 0, []::VARCHAR[], ?, 'fixture')",
        duckdb::params![
            s.snapshot_id,
            started,
            source,
            spec.prefix,
            s.time_zone,
            tables.len() as i32,
            s.rows,
            s.zero_dates,
            s.repaired,
            env!("CARGO_PKG_VERSION"),
        ],
    )?;
    let mut insert = duck.prepare(
        "INSERT INTO meta.snapshot_table (snapshot_id, table_name, source_table, source_engine, rows_counted,
             rows_copied, bytes, source_bytes, zero_dates, repaired_values, issues, watermark_column, max_watermark)
         VALUES (?, ?, ?, 'generated', ?, ?, 0, NULL, ?, ?, 0, NULL, NULL)",
    )?;
    for (name, rows, zero, repaired) in per_table {
        insert.execute(duckdb::params![
            s.snapshot_id,
            name,
            format!("{}{name}", spec.prefix),
            rows,
            rows,
            zero,
            repaired
        ])?;
    }
    super::record_columns(duck, s.snapshot_id, tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_get_what_mariadb_fills_in() {
        let d = declare("user_id", "int(11) unsigned NOT NULL default '0',");
        assert_eq!(d.default.as_deref(), Some("0"));
        let d = declare("ip_address", "varchar(64) NOT NULL,");
        assert_eq!(d.default.as_deref(), Some(""));
        let d = declare("closed", "datetime default NULL,");
        assert_eq!(d.default, None);
        let d = declare("id", "int(11) unsigned NOT NULL auto_increment,");
        assert!(d.auto_increment);
        let d = declare(
            "source",
            "enum('Web','Other') CHARACTER SET latin1 NOT NULL default 'Other',",
        );
        assert_eq!(d.default.as_deref(), Some("Other"));
        // Every table of the schema parses, with its primary key.
        let tables = schema();
        assert_eq!(
            tables.len(),
            crate::fixture::SCHEMA.matches("CREATE TABLE").count()
        );
        let ticket = tables.iter().find(|t| t.raw == "ticket").unwrap();
        assert!(
            ticket
                .columns
                .iter()
                .any(|c| c.name == "ticket_id" && c.primary_key)
        );
        // A line holding several columns declares each.
        let cdata = tables.iter().find(|t| t.raw == "user__cdata").unwrap();
        let names: Vec<&str> = cdata.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["user_id", "email", "name", "phone", "notes"]);
    }
}
