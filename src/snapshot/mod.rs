//! **snapshot**: osTicket's MySQL database → `raw.*` in the DuckDB staging file.
//!
//! Reads: every table whose name starts with the osTicket prefix, inside one
//! `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` (a second session counts the rows
//! meanwhile; the counts recorded are settled in the copy's snapshot: see `count_beside`).
//! Writes: `raw.<table without prefix>`, `meta.snapshot`, `meta.snapshot_table`,
//! `meta.snapshot_column`, `meta.snapshot_issue`.
//! Guarantees: the source is never written; column lists come from `information_schema`;
//! rows stream in bounded Arrow batches (reader task → channel → DuckDB appender thread); the
//! whole replacement of `raw` happens in one DuckDB transaction, so a failed or killed snapshot
//! leaves the previous one intact; every value that had to be changed is listed.
pub mod charset;
pub mod convert;
pub mod csv;
pub mod delta;
pub mod fixture;
pub mod pages;
pub mod source;
pub mod typemap;
pub mod version;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use duckdb::Connection;
use futures::TryStreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use sqlx::{AssertSqlSafe, Executor, Row};

use crate::error::hinted;
use crate::settings::Source;
use crate::warehouse::{self, ident, literal};
use convert::{Builder, Issue, Note};
use source::{Table, Zone};

/// Rows per Arrow batch, and the byte size at which a batch is cut early (file chunks are
/// 500 KiB each, so a row cap alone would not bound memory).
const BATCH_ROWS: usize = 16_384;
const BATCH_BYTES: usize = 32 * 1024 * 1024;

/// How timestamps are passed to DuckDB as text (it takes at most microseconds).
const TS_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.6f";

/// Test hooks, not for users (see `settings`).
use crate::settings::{
    ENV_FAULT_PAUSE_AFTER_ROWS as FAULT_PAUSE_ENV,
    ENV_FAULT_PAUSE_BEFORE_TABLE as FAULT_BEFORE_TABLE_ENV,
    ENV_FAULT_RESUME_FILE as FAULT_RESUME_ENV,
};
/// `OSTMIG_FAULT_PAUSE_BEFORE_TABLE` value that pauses the side count (see [`count_beside`])
/// before its snapshot starts, so a test can commit a write between the two snapshots.
const FAULT_COUNTS: &str = "(counts)";

pub struct Options {
    pub source: Source,
    pub db: PathBuf,
    pub prefix: Option<String>,
    pub source_timezone: Option<String>,
    pub progress: bool,
    /// Re-read only what changed since the previous snapshot in this file (see [`delta`]).
    pub delta: bool,
}

/// What a snapshot did, for the terminal summary.
#[derive(Debug)]
pub struct Summary {
    pub snapshot_id: i32,
    pub osticket_version: String,
    pub mysql_version: String,
    pub prefix: String,
    pub time_zone: String,
    pub tables: Vec<TableStats>,
    pub warnings: Vec<String>,
    pub seconds: f64,
    /// `full`, or `delta` for a cutover re-read.
    pub kind: &'static str,
}

#[derive(Clone, Debug, Default)]
pub struct TableStats {
    pub raw: String,
    pub rows_counted: i64,
    pub rows_copied: i64,
    pub bytes: i64,
    pub zero_dates: i64,
    pub repaired: i64,
    pub issues: i64,
    pub max_watermark: Option<String>,
    /// In a delta: rows re-read (`rows_copied` is then the staged table's row count).
    pub delta_rows: Option<i64>,
}

enum Msg {
    Batch(usize, RecordBatch),
    /// The source's keys of a table read incrementally (to find deleted rows).
    Keys(usize, Vec<i64>),
    TableDone(usize, Vec<Issue>),
}

/// The side count's task, stopped when the snapshot leaves `run_async` by any path: the runtime
/// is the process's (`crate::block_on`) and outlives the snapshot.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub fn run(opts: Options) -> anyhow::Result<Summary> {
    crate::block_on(run_async(opts))
}

async fn run_async(opts: Options) -> anyhow::Result<Summary> {
    let started = chrono::Utc::now().naive_utc();
    let clock = Instant::now();
    let src = &opts.source;
    let mut my = source::connect(src).await?;
    let Inspected {
        mysql_version,
        prefix,
        signature,
        osticket_version,
        zone,
        zone_origin,
        tables,
        mut warnings,
    } = inspect(&mut my, &opts).await?;

    // One consistent, read-only view of the source for every table and count below.
    hold_consistent_view(&mut my, src, &tables, &mut warnings).await?;
    // Counting every table costs the server seconds at scale: a second connection counts them
    // while this one copies, instead of before it (see `count_beside`).
    let counted = Arc::new(std::sync::Mutex::new(vec![None; tables.len()]));
    let counter = AbortOnDrop(tokio::spawn(count_beside(
        src.clone(),
        tables.iter().map(source::count_rows).collect(),
        counted.clone(),
    )));

    let duck = warehouse::open(&opts.db)?;
    let snapshot_id: i32 = duck.query_row(
        "SELECT COALESCE(MAX(snapshot_id), 0) + 1 FROM meta.snapshot",
        [],
        |r| r.get(0),
    )?;
    let (modes, previous) = begin_staging(&duck, &opts, &prefix, &tables)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Msg>(4);
    let writer = spawn_writer(duck, rx, &tables, modes.clone(), previous, snapshot_id);
    let (mut stats, read_error) =
        copy_all(&mut my, &opts, &tables, &modes, &zone, &tx, &counted).await;
    drop(tx);
    let written = writer
        .join()
        .map_err(|_| anyhow::anyhow!("the DuckDB writer thread panicked"));
    // A side count still running waits on something (a DDL queued behind this snapshot's
    // locks): the copying connection counts what it left.
    drop(counter);
    let checked = match (&read_error, &written) {
        (None, Ok(Ok((_, writer_stats)))) => {
            for (s, (w, staged)) in stats.iter_mut().zip(writer_stats) {
                s.max_watermark = w.clone();
                if let Some(staged) = staged {
                    // Incremental: what was read is the delta; what must match the count is the table.
                    s.delta_rows = Some(s.rows_copied);
                    s.rows_copied = *staged;
                }
            }
            let side = lock(&counted).clone();
            settle_counts(&mut my, src, &tables, &mut stats, &side).await
        }
        _ => Ok(()),
    };
    // Always end the read-only transaction; nothing was written, so COMMIT = ROLLBACK.
    let _ = my.execute("COMMIT").await;
    let (duck, _) = match (read_error, written?) {
        (Some(e), Ok((duck, _))) => {
            let _ = duck.execute_batch("ROLLBACK");
            return Err(e);
        }
        (_, Err(e)) => {
            return Err(
                e.context("writing to the staging file; the previous snapshot is unchanged")
            );
        }
        (None, Ok(pair)) => pair,
    };
    if let Err(e) = checked.and_then(|()| copied_all_counted(&stats, &tables)) {
        let _ = duck.execute_batch("ROLLBACK");
        return Err(e);
    }
    let summary = Summary {
        snapshot_id,
        osticket_version,
        mysql_version,
        prefix,
        time_zone: zone.name(),
        tables: stats,
        warnings,
        seconds: clock.elapsed().as_secs_f64(),
        kind: if opts.delta { "delta" } else { "full" },
    };
    if let Err(e) = record_meta(
        &duck,
        &opts,
        &summary,
        &tables,
        started,
        signature.as_deref(),
        &zone_origin,
    ) {
        let _ = duck.execute_batch("ROLLBACK");
        return Err(
            e.context("recording the snapshot in meta.*; the previous snapshot is unchanged")
        );
    }
    duck.execute_batch("COMMIT; CHECKPOINT;")
        .context("committing the snapshot")?;
    Ok(summary)
}

/// What the source is: its versions, table prefix, time zone and the tables to copy, with
/// warnings about what may make the copy less than it seems.
struct Inspected {
    mysql_version: String,
    prefix: String,
    signature: Option<String>,
    osticket_version: String,
    zone: Zone,
    zone_origin: String,
    tables: Vec<Table>,
    warnings: Vec<String>,
}

async fn inspect(
    my: &mut sqlx::mysql::MySqlConnection,
    opts: &Options,
) -> anyhow::Result<Inspected> {
    let src = &opts.source;
    let mysql_version = source::rows(my, "SELECT VERSION()")
        .await?
        .into_iter()
        .next()
        .and_then(|r| r[0].clone())
        .unwrap_or_default();
    let catalog = source::catalog(my).await?;
    let (prefix, signature) =
        source::detect_prefix(my, &catalog, opts.prefix.as_deref(), &src.database).await?;
    let mut warnings = Vec::new();
    let osticket_version = match signature.as_deref().and_then(version::release_line) {
        Some(line) if version::supported(line) => line.to_string(),
        Some(line) => {
            warnings.push(format!("osTicket {line} is older than the 1.14–1.18 range this tool is tested on; check the results closely"));
            line.to_string()
        }
        None => {
            warnings.push(format!(
                "unknown osTicket schema_signature {}; copying anyway, treat the result as unverified",
                signature.as_deref().unwrap_or("(none)")
            ));
            "unknown".to_string()
        }
    };
    let grants = source::write_grants(my, &src.database).await;
    if !grants.is_empty() {
        warnings.push(format!(
            "user '{}' may write to the source ({}); ostmig only reads, but a read-only user is safer: GRANT SELECT ON `{}`.* TO a dedicated user",
            src.user,
            grants.join("; "),
            src.database
        ));
    }
    let (zone, zone_origin) = match &opts.source_timezone {
        Some(name) => (source::zone_arg(name)?, "--source-timezone".to_string()),
        None => source::time_zone(my, &format!("{prefix}config")).await?,
    };
    let tables: Vec<Table> = catalog
        .into_iter()
        .filter(|t| t.source.starts_with(&prefix) && t.source.len() > prefix.len())
        .map(|mut t| {
            t.raw = t.source[prefix.len()..].to_string();
            t
        })
        .collect();

    Ok(Inspected {
        mysql_version,
        prefix,
        signature,
        osticket_version,
        zone,
        zone_origin,
        tables,
        warnings,
    })
}

/// Start the read-only consistent snapshot and open every table in it.
async fn hold_consistent_view(
    my: &mut sqlx::mysql::MySqlConnection,
    src: &Source,
    tables: &[Table],
    warnings: &mut Vec<String>,
) -> anyhow::Result<()> {
    my.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        .await
        .map_err(|e| source::explain(e, src))?;
    let non_transactional: Vec<String> = tables
        .iter()
        .filter(|t| {
            t.engine
                .as_deref()
                .is_some_and(|e| !e.eq_ignore_ascii_case("InnoDB"))
        })
        .map(|t| format!("{} ({})", t.source, t.engine.as_deref().unwrap_or("")))
        .collect();
    if !non_transactional.is_empty() {
        warnings.push(format!(
            "tables outside InnoDB are not covered by the consistent snapshot: {}",
            non_transactional.join(", ")
        ));
    }
    // Open every table once in this transaction: it then holds their metadata locks to the end,
    // so a DROP or ALTER waits for the snapshot instead of tearing it (or deadlocking with it).
    for t in tables {
        sqlx::raw_sql(AssertSqlSafe(format!("{} LIMIT 0", source::select_all(t))))
            .execute(&mut *my)
            .await
            .map_err(|e| source::explain(e, src))
            .with_context(|| format!("opening {}", t.source))?;
    }
    Ok(())
}

/// Open the staging file's transaction: raw.* replaced, or for a delta each table's mode (the
/// previous snapshot must be of the same database and prefix).
fn begin_staging(
    duck: &Connection,
    opts: &Options,
    prefix: &str,
    tables: &[Table],
) -> anyhow::Result<(Vec<delta::Mode>, Option<i32>)> {
    let src = &opts.source;
    Ok(if opts.delta {
        let prev = delta::Previous::load(duck)?;
        if prev.database != src.database || prev.prefix != prefix {
            return hinted(
                format!(
                    "this staging file holds a snapshot of database '{}' (prefix '{}'), not '{}' (prefix '{prefix}')",
                    prev.database, prev.prefix, src.database
                ),
                "a delta re-reads the same osTicket database: check --source, or use a new --db for a different one",
            );
        }
        let merges = tables
            .iter()
            .find(|t| t.raw == "thread_entry_merge")
            .map(|t| t.source.clone());
        let modes: Vec<delta::Mode> = tables
            .iter()
            .map(|t| prev.mode(duck, t, merges.as_deref()))
            .collect();
        begin_delta(duck, tables, &modes)?;
        (modes, Some(prev.snapshot_id))
    } else {
        begin_replace_raw(duck, tables)?;
        (vec![delta::Mode::Full; tables.len()], None)
    })
}

/// The DuckDB writer on its own thread, fed the batches through `rx`.
fn spawn_writer(
    duck: Connection,
    rx: tokio::sync::mpsc::Receiver<Msg>,
    tables: &[Table],
    writer_modes: Vec<delta::Mode>,
    previous: Option<i32>,
    snapshot_id: i32,
) -> std::thread::JoinHandle<WriterResult> {
    let raw_names: Vec<String> = tables.iter().map(|t| t.raw.clone()).collect();
    let has_updated: Vec<bool> = tables
        .iter()
        .map(|t| {
            t.columns.iter().any(|c| {
                c.name == "updated"
                    && matches!(
                        c.kind,
                        typemap::Kind::LocalDateTime | typemap::Kind::UtcTimestamp
                    )
            })
        })
        .collect();
    std::thread::spawn(move || {
        write_batches(
            duck,
            rx,
            Targets {
                raw_names,
                has_updated,
                modes: writer_modes,
                previous,
            },
            snapshot_id,
        )
    })
}

/// Copy every table in turn, a progress bar each; stops at the first read error.
async fn copy_all(
    my: &mut sqlx::mysql::MySqlConnection,
    opts: &Options,
    tables: &[Table],
    modes: &[delta::Mode],
    zone: &Zone,
    tx: &tokio::sync::mpsc::Sender<Msg>,
    counted: &std::sync::Mutex<Vec<Option<i64>>>,
) -> (Vec<TableStats>, Option<anyhow::Error>) {
    let src = &opts.source;
    let bars = MultiProgress::with_draw_target(if opts.progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let mut stats = Vec::with_capacity(tables.len());
    let mut read_error = None;
    for (i, t) in tables.iter().enumerate() {
        let known = lock(counted)[i];
        let bar = bars.add(ProgressBar::new(
            known.unwrap_or(t.estimated_rows).max(0) as u64
        ));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>24} {bar:30} {pos}/{len} rows {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(t.raw.clone());
        fault_pause_before(&t.raw).await;
        match copy_table(my, src, i, t, &modes[i], zone, tx, &bar).await {
            Ok(s) => {
                bar.finish_and_clear();
                stats.push(s);
            }
            Err(e) => {
                bar.abandon();
                read_error = Some(e.context(format!("copying table {}", t.source)));
                break;
            }
        }
    }
    (stats, read_error)
}

/// A transactional table whose copy and count differ was not copied whole.
fn copied_all_counted(stats: &[TableStats], tables: &[Table]) -> anyhow::Result<()> {
    for (s, t) in stats.iter().zip(tables) {
        if s.rows_copied != s.rows_counted
            && t.engine
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case("InnoDB"))
        {
            return hinted(
                format!(
                    "table {} counted {} rows but copied {}",
                    t.source, s.rows_counted, s.rows_copied
                ),
                "the snapshot was rolled back; retry, and report this if it repeats",
            );
        }
    }
    Ok(())
}

/// Count every table on a second connection with its own consistent snapshot, publishing each
/// count as it lands (the progress bars use them), while the first connection copies. Gives up
/// quietly when a second connection is refused (`max_user_connections`) or lost: whatever is
/// missing is counted by [`settle_counts`] on the copying connection.
async fn count_beside(
    src: Source,
    queries: Vec<String>,
    counted: Arc<std::sync::Mutex<Vec<Option<i64>>>>,
) {
    let Ok(mut conn) = source::connect(&src).await else {
        return;
    };
    fault_pause_before(FAULT_COUNTS).await;
    if conn
        .execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        .await
        .is_err()
    {
        return;
    }
    for (i, sql) in queries.into_iter().enumerate() {
        let Ok(n) = count(&mut conn, sql).await else {
            return;
        };
        lock(&counted)[i] = Some(n);
    }
    // Release its metadata locks at once: the copying connection holds its own.
    let _ = conn.execute("COMMIT").await;
}

async fn count(conn: &mut sqlx::mysql::MySqlConnection, sql: String) -> Result<i64, sqlx::Error> {
    Ok(sqlx::raw_sql(AssertSqlSafe(sql))
        .fetch_one(conn)
        .await?
        .try_get_unchecked::<Option<&[u8]>, _>(0)?
        .and_then(|b| std::str::from_utf8(b).ok()?.parse().ok())
        .unwrap_or(0))
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Fill in `rows_counted`. The side count ran in a snapshot started a moment after the copy's,
/// so a write committed in between can make it differ: every count that is missing or
/// disagrees is taken again on the copying connection, inside the copy's own snapshot, and
/// only that count decides.
async fn settle_counts(
    my: &mut sqlx::mysql::MySqlConnection,
    src: &Source,
    tables: &[Table],
    stats: &mut [TableStats],
    side: &[Option<i64>],
) -> anyhow::Result<()> {
    for ((s, t), side) in stats.iter_mut().zip(tables).zip(side) {
        s.rows_counted = match side {
            Some(n) if *n == s.rows_copied => *n,
            _ => count(my, source::count_rows(t))
                .await
                .map_err(|e| source::explain(e, src))
                .with_context(|| format!("counting rows of {}", t.source))?,
        };
    }
    Ok(())
}

/// The reader-side test hook (see [`FAULT_BEFORE_TABLE_ENV`]).
async fn fault_pause_before(raw: &str) {
    if std::env::var(FAULT_BEFORE_TABLE_ENV).ok().as_deref() != Some(raw) {
        return;
    }
    let Some(resume) = std::env::var_os(FAULT_RESUME_ENV).map(PathBuf::from) else {
        return;
    };
    eprintln!("ostmig: fault hook: reader paused before {raw}");
    while !resume.exists() {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn begin_replace_raw(duck: &Connection, tables: &[Table]) -> anyhow::Result<()> {
    let mut ddl = String::from(
        "BEGIN TRANSACTION;\nDROP SCHEMA IF EXISTS raw CASCADE;\nCREATE SCHEMA raw;\n",
    );
    for t in tables {
        ddl.push_str(&format!(
            "CREATE TABLE raw.{} ({});\n",
            ident(&t.raw),
            columns_ddl(t)
        ));
    }
    duck.execute_batch(&ddl).context("creating the raw tables")
}

/// `name TYPE, …` of a raw table, as typed by the type map.
fn columns_ddl(t: &Table) -> String {
    t.columns
        .iter()
        .map(|c| format!("{} {}", ident(&c.name), c.kind.duckdb()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inside one transaction: tables read whole are emptied (or re-created when their columns
/// changed or they are new), incremental ones get their work tables, vanished ones are dropped.
fn begin_delta(duck: &Connection, tables: &[Table], modes: &[delta::Mode]) -> anyhow::Result<()> {
    let existing: Vec<String> = {
        let mut stmt = duck.prepare(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'",
        )?;
        stmt.query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<_, _>>()?
    };
    let mut ddl = String::from("BEGIN TRANSACTION;\n");
    for name in &existing {
        if !tables.iter().any(|t| t.raw == *name) {
            ddl.push_str(&format!("DROP TABLE raw.{};\n", ident(name)));
        }
    }
    for (t, mode) in tables.iter().zip(modes) {
        let cols = columns_ddl(t);
        match mode {
            delta::Mode::Full => ddl.push_str(&format!(
                "DROP TABLE IF EXISTS raw.{0};\nCREATE TABLE raw.{0} ({1});\n",
                ident(&t.raw),
                cols
            )),
            delta::Mode::Incremental { key, .. } => {
                let (rows, keys) = delta::work_tables(&t.raw);
                let kind = t
                    .columns
                    .iter()
                    .find(|c| c.name == *key)
                    .map(|c| c.kind.duckdb())
                    .unwrap_or_else(|| "BIGINT".into());
                ddl.push_str(&format!(
                    "CREATE TABLE raw.{} ({});\nCREATE TABLE raw.{} (k {kind});\n",
                    ident(&rows),
                    cols,
                    ident(&keys)
                ));
            }
        }
    }
    duck.execute_batch(&ddl)
        .context("preparing the raw tables for a delta")
}

fn schema_of(t: &Table) -> SchemaRef {
    Arc::new(Schema::new(
        t.columns
            .iter()
            .map(|c| Field::new(&c.name, c.kind.arrow(), true))
            .collect::<Vec<_>>(),
    ))
}

/// Stream one table into Arrow batches and hand them to the writer.
#[allow(clippy::too_many_arguments)]
async fn copy_table(
    my: &mut sqlx::mysql::MySqlConnection,
    src: &Source,
    index: usize,
    t: &Table,
    mode: &delta::Mode,
    zone: &Zone,
    tx: &tokio::sync::mpsc::Sender<Msg>,
    bar: &ProgressBar,
) -> anyhow::Result<TableStats> {
    let schema = schema_of(t);
    let pk: Vec<usize> = t
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.primary_key)
        .map(|(i, _)| i)
        .collect();
    let mut builders: Vec<Builder> = t.columns.iter().map(|c| Builder::new(c.kind)).collect();
    let mut stats = TableStats {
        raw: t.raw.clone(),
        ..Default::default()
    };
    let mut issues = Vec::new();
    let (mut rows, mut bytes) = (0usize, 0usize);
    let sql = match mode {
        delta::Mode::Full => source::select_all(t),
        delta::Mode::Incremental { filter, .. } => {
            format!("{} WHERE {filter}", source::select_all(t))
        }
    };
    let mut stream = sqlx::raw_sql(AssertSqlSafe(sql)).fetch(&mut *my);
    while let Some(row) = stream
        .try_next()
        .await
        .map_err(|e| source::explain_mid_copy(e, src, &t.source, stats.rows_copied + rows as i64))?
    {
        for (i, b) in builders.iter_mut().enumerate() {
            let value: Option<&[u8]> = row.try_get_unchecked(i)?;
            let Some(v) = value else {
                b.append_null();
                continue;
            };
            bytes += v.len();
            match b.append(v, zone) {
                Note::Clean => {}
                Note::ZeroDate => stats.zero_dates += 1,
                Note::Repaired(before) => {
                    stats.repaired += 1;
                    issues.push(Issue {
                        column: t.columns[i].name.clone(),
                        row_key: row_key(&row, &pk, t),
                        problem: "mojibake_repaired",
                        detail: before,
                    });
                }
                Note::Problem(problem, detail) => issues.push(Issue {
                    column: t.columns[i].name.clone(),
                    row_key: row_key(&row, &pk, t),
                    problem,
                    detail,
                }),
            }
        }
        rows += 1;
        if rows == BATCH_ROWS || bytes >= BATCH_BYTES {
            flush(&schema, &mut builders, index, tx, &mut stats, rows, bytes).await?;
            bar.inc(rows as u64);
            (rows, bytes) = (0, 0);
        }
    }
    drop(stream);
    if rows > 0 || stats.rows_copied == 0 {
        flush(&schema, &mut builders, index, tx, &mut stats, rows, bytes).await?;
        bar.inc(rows as u64);
    }
    stats.issues = issues.len() as i64;
    if let delta::Mode::Incremental { key, .. } = mode {
        let sql = format!(
            "SELECT DISTINCT {} FROM {}",
            source::quote(key),
            source::quote(&t.source)
        );
        let keys: Vec<i64> = sqlx::raw_sql(AssertSqlSafe(sql))
            .fetch(&mut *my)
            .map_ok(|row| {
                source::text(&row, 0)
                    .and_then(|k| k.parse().ok())
                    .unwrap_or(i64::MIN)
            })
            .try_collect()
            .await?;
        tx.send(Msg::Keys(index, keys))
            .await
            .map_err(|_| anyhow::anyhow!("the DuckDB writer stopped"))?;
    }
    tx.send(Msg::TableDone(index, issues))
        .await
        .map_err(|_| anyhow::anyhow!("the DuckDB writer stopped"))?;
    Ok(stats)
}

async fn flush(
    schema: &SchemaRef,
    builders: &mut [Builder],
    index: usize,
    tx: &tokio::sync::mpsc::Sender<Msg>,
    stats: &mut TableStats,
    rows: usize,
    bytes: usize,
) -> anyhow::Result<()> {
    let columns = builders.iter_mut().map(|b| b.finish()).collect();
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    stats.rows_copied += rows as i64;
    stats.bytes += bytes as i64;
    if rows > 0 {
        tx.send(Msg::Batch(index, batch))
            .await
            .map_err(|_| anyhow::anyhow!("the DuckDB writer stopped"))?;
    }
    Ok(())
}

fn row_key(row: &sqlx::mysql::MySqlRow, pk: &[usize], t: &Table) -> String {
    pk.iter()
        .map(|&i| {
            let v = source::text(row, i).unwrap_or_else(|| "NULL".into());
            format!("{}={}", t.columns[i].name, v)
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Per table: its watermark, and (read incrementally) its staged row count after the merge.
type WriterResult = anyhow::Result<(Connection, Vec<(Option<String>, Option<i64>)>)>;

/// Where the writer puts each table's rows.
struct Targets {
    raw_names: Vec<String>,
    has_updated: Vec<bool>,
    modes: Vec<delta::Mode>,
    /// The snapshot a delta builds on.
    previous: Option<i32>,
}

/// The DuckDB side: runs on its own thread so that parsing and appending use both cores.
fn write_batches(
    duck: Connection,
    mut rx: tokio::sync::mpsc::Receiver<Msg>,
    targets: Targets,
    snapshot_id: i32,
) -> WriterResult {
    let Targets {
        raw_names,
        has_updated,
        modes,
        previous,
    } = targets;
    // Incremental tables are appended to their work table, then merged.
    let append_names: Vec<String> = raw_names
        .iter()
        .zip(&modes)
        .map(|(n, m)| match m {
            delta::Mode::Full => n.clone(),
            delta::Mode::Incremental { .. } => delta::work_tables(n).0,
        })
        .collect();
    let mut staged = vec![None; raw_names.len()];
    let pause_after: Option<u64> = std::env::var(FAULT_PAUSE_ENV)
        .ok()
        .and_then(|v| v.parse().ok());
    let mut total: u64 = 0;
    let mut watermarks = vec![None; raw_names.len()];
    let result: anyhow::Result<()> = (|| {
        let mut current: Option<(usize, duckdb::Appender<'_>)> = None;
        while let Some(msg) = rx.blocking_recv() {
            match msg {
                Msg::Batch(i, batch) => {
                    if current.as_ref().map(|c| c.0) != Some(i) {
                        current = Some((i, duck.appender_to_db(&append_names[i], "raw")?));
                    }
                    let n = batch.num_rows() as u64;
                    if let Some((_, app)) = current.as_mut() {
                        app.append_record_batch(batch)
                            .with_context(|| format!("appending to raw.{}", raw_names[i]))?;
                    }
                    total += n;
                    if pause_after.is_some_and(|p| total >= p) {
                        eprintln!("ostmig: fault hook: writer paused after {total} rows");
                        loop {
                            std::thread::park();
                        }
                    }
                }
                Msg::Keys(i, keys) => {
                    if let Some((_, mut app)) = current.take() {
                        app.flush()?;
                    }
                    let mut app =
                        duck.appender_to_db(&delta::work_tables(&raw_names[i]).1, "raw")?;
                    for k in keys {
                        app.append_row([k])?;
                    }
                    app.flush()?;
                }
                Msg::TableDone(i, issues) => {
                    if let Some((_, mut app)) = current.take() {
                        app.flush()?;
                    }
                    if let (delta::Mode::Incremental { key, .. }, Some(prev)) =
                        (&modes[i], previous)
                    {
                        delta::merge(&duck, &raw_names[i], key, prev, snapshot_id).with_context(
                            || format!("merging the re-read rows into raw.{}", raw_names[i]),
                        )?;
                        staged[i] = Some(duck.query_row(
                            &format!("SELECT count(*) FROM raw.{}", ident(&raw_names[i])),
                            [],
                            |r| r.get::<_, i64>(0),
                        )?);
                    }
                    if has_updated[i] {
                        watermarks[i] = duck.query_row(
                            &format!(
                                "SELECT CAST(MAX(updated) AS VARCHAR) FROM raw.{}",
                                ident(&raw_names[i])
                            ),
                            [],
                            |r| r.get::<_, Option<String>>(0),
                        )?;
                    }
                    if !issues.is_empty() {
                        let mut app = duck.appender_to_db("snapshot_issue", "meta")?;
                        for is in issues {
                            app.append_row(duckdb::params![
                                snapshot_id,
                                raw_names[i],
                                is.row_key,
                                is.column,
                                is.problem,
                                is.detail
                            ])?;
                        }
                        app.flush()?;
                    }
                }
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok((duck, watermarks.into_iter().zip(staged).collect())),
        Err(e) => {
            let _ = duck.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn record_meta(
    duck: &Connection,
    opts: &Options,
    s: &Summary,
    tables: &[Table],
    started: chrono::NaiveDateTime,
    signature: Option<&str>,
    zone_origin: &str,
) -> anyhow::Result<()> {
    let sum = |f: fn(&TableStats) -> i64| s.tables.iter().map(f).sum::<i64>();
    let warnings: Vec<String> = s.warnings.iter().map(|w| literal(w)).collect();
    duck.execute(
        &format!(
            "INSERT INTO meta.snapshot VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, [{}]::VARCHAR[], ?, ?)",
            warnings.join(",")
        ),
        duckdb::params![
            s.snapshot_id,
            started.format(TS_FORMAT).to_string(),
            chrono::Utc::now().naive_utc().format(TS_FORMAT).to_string(),
            opts.source.redacted(),
            opts.source.host,
            opts.source.database,
            s.mysql_version,
            s.prefix,
            signature,
            s.osticket_version,
            s.time_zone,
            zone_origin,
            s.tables.len() as i32,
            sum(|t| t.rows_copied),
            sum(|t| t.bytes),
            sum(|t| t.zero_dates),
            sum(|t| t.repaired),
            sum(|t| t.issues),
            env!("CARGO_PKG_VERSION"),
            s.kind,
        ],
    )?;
    let mut insert = duck.prepare(
        "INSERT INTO meta.snapshot_table VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), ?)",
    )?;
    for (st, t) in s.tables.iter().zip(tables) {
        insert.execute(duckdb::params![
            s.snapshot_id,
            st.raw,
            t.source,
            t.engine,
            st.rows_counted,
            st.rows_copied,
            st.bytes,
            t.source_bytes,
            st.zero_dates,
            st.repaired,
            st.issues,
            st.max_watermark.as_ref().map(|_| "updated"),
            st.max_watermark,
            st.delta_rows,
        ])?;
    }
    record_columns(duck, s.snapshot_id, tables)
}

/// `meta.snapshot_column`: how each column of each copied table was typed.
fn record_columns(duck: &Connection, snapshot_id: i32, tables: &[Table]) -> anyhow::Result<()> {
    let mut insert =
        duck.prepare("INSERT INTO meta.snapshot_column VALUES (?, ?, ?, ?, ?, ?, ?, ?)")?;
    for t in tables {
        for (i, c) in t.columns.iter().enumerate() {
            insert.execute(duckdb::params![
                snapshot_id,
                t.raw,
                i as i32 + 1,
                c.name,
                c.mysql_type,
                c.character_set,
                c.kind.duckdb(),
                c.primary_key,
            ])?;
        }
    }
    Ok(())
}
