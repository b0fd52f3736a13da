//! `ostmig split`: osTicket thread entries → Intercom conversation parts.
//!
//! Reads `raw.*` (through the views in `sql/split/`) ticket window by ticket window, cleans each
//! body with [`clean`] on both cores, and replaces `stage.parts`, `stage.task_parts`,
//! `stage.part_attachment`, `stage.split_excluded` and `stage.review_queue` in one
//! transaction, so an interrupted run leaves the previous output. Every source entry ends up in
//! exactly one of: a part (of a ticket, or of a task's thread), an exclusion with its reason
//! (superseded edit), or the review queue.

mod articles;
pub mod clean;
pub mod rendered;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use arrow::array::{
    ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::record_batch::RecordBatch;
use chrono::NaiveDateTime;
use duckdb::Connection;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::error::hinted;
use crate::warehouse;
use clean::{Cleaned, Format, InlineFile, InlineFiles};

/// The views the split reads through, in order.
const VIEWS: &[&str] = &[
    include_str!("../../sql/split/01_entries.sql"),
    include_str!("../../sql/split/02_files.sql"),
];
const SAMPLE_SQL: &str = include_str!("../../sql/split/03_sample.sql");

/// Opens the transaction a split writes in: the previous output goes only if this one commits.
const BEGIN_REPLACING_OUTPUT: &str = "BEGIN TRANSACTION;
    DELETE FROM stage.parts; DELETE FROM stage.task_parts; DELETE FROM stage.part_attachment; DELETE FROM stage.part_image;
    DELETE FROM stage.split_excluded; DELETE FROM stage.split_sample;
    DELETE FROM stage.review_queue WHERE stage = 'split'; DELETE FROM stage.articles;";

/// osTicket's default `reply_separator` setting.
pub const DEFAULT_SEPARATOR: &str = "-- reply above this line --";

/// Tickets per read window: bounds memory to a few thousand bodies at a time.
const WINDOW_TICKETS: i64 = 2_000;

// thread_entry.flags bits (facts §2.3).
const FLAG_EDITED: i64 = 0x002;
const FLAG_HIDDEN: i64 = 0x004;
const FLAG_SYSTEM: i64 = 0x080;

/// Where `--rendered`/`--pages` take saved staff ticket pages from.
#[derive(Debug, Clone)]
pub enum Pages {
    /// `*.html` files in a folder.
    Folder(PathBuf),
    /// `raw_pages.page`, as `snapshot --pages` downloaded them.
    Stored,
}

pub struct Options {
    pub db: PathBuf,
    /// Split saved staff ticket pages instead of the snapshot's rows.
    pub rendered: Option<Pages>,
    /// Pick this many tickets into `stage.split_sample` after splitting.
    pub sample: Option<u32>,
    pub progress: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub entries: i64,
    pub parts: i64,
    /// Entries of task threads, written to `stage.task_parts`.
    pub task_parts: i64,
    pub excluded: i64,
    /// Entries that are only in the review queue (not parts).
    pub review_only: i64,
    pub review_rows: i64,
    pub html_bytes: i64,
    pub sampled_tickets: i64,
    /// FAQ answers cleaned into `stage.articles`.
    pub articles: i64,
    pub seconds: f64,
    pub problems: Vec<(String, i64)>,
    pub exclusions: Vec<(String, i64)>,
}

#[derive(Debug, Clone)]
struct Entry {
    entry_id: i64,
    thread_type: Option<String>,
    ticket_id: Option<i64>,
    /// The task whose thread holds the entry (thread type 'A'), split like a ticket's.
    task_id: Option<i64>,
    origin_ticket_id: Option<i64>,
    ticket_exists: bool,
    kind_code: String,
    flags: i64,
    format: String,
    poster: Option<String>,
    user_id: i64,
    staff_id: i64,
    title: Option<String>,
    body: Option<String>,
    created: NaiveDateTime,
}

#[derive(Debug, Clone)]
struct FileRow {
    attachment_id: i64,
    file_id: Option<i64>,
    name: String,
    mime_type: Option<String>,
    size: Option<i64>,
    inline: bool,
    key: Option<String>,
    storage: Option<String>,
    exists: bool,
    /// Inline file of the hidden original this edited entry replaced.
    inherited: bool,
}

/// What became of one entry.
enum Fate {
    Part(Box<Part>),
    Excluded(i64, &'static str, String),
    ReviewOnly(i64, Option<i64>, &'static str, String),
}

struct Part {
    entry: Entry,
    kind: &'static str,
    author_type: &'static str,
    body_origin: &'static str,
    cleaned: Cleaned,
    body_file: Option<i64>,
}

pub fn run(opts: &Options) -> anyhow::Result<Summary> {
    if let Some(from) = &opts.rendered {
        return run_rendered(opts, from);
    }
    let started = Instant::now();
    let started_at = chrono::Utc::now().naive_utc();
    let duck = warehouse::open(&opts.db)?;
    require_snapshot(&duck, &opts.db)?;
    for sql in VIEWS {
        duck.execute_batch(sql)
            .context("creating the split views")?;
    }
    let separator = reply_separator(&duck);
    let files = load_files(&duck)?;
    let total: i64 = duck.query_row("SELECT count(*) FROM raw.thread_entry", [], |r| r.get(0))?;
    let bar = progress_bar(opts.progress, total);

    // The view joins merges and threads over every entry; evaluate it once, in conversation
    // order, so each window below reads a contiguous, zone-map-pruned slice.
    duck.execute_batch(
        "CREATE OR REPLACE TEMP TABLE split_input AS
             SELECT * FROM stage.split_entries ORDER BY ticket_id, created, entry_id;",
    )
    .context("reading the thread entries")?;
    duck.execute_batch(BEGIN_REPLACING_OUTPUT)?;
    let result = (|| -> anyhow::Result<Summary> {
        let mut summary = Summary::default();
        let mut writer = Writer::default();
        let windows = windows(&duck)?;
        let mut seq: (i64, i32) = (i64::MIN, 0);
        let mut task_seq: HashMap<i64, i32> = HashMap::new();
        for (filter, params) in windows {
            let entries = read_entries(&duck, &filter, &params)
                .with_context(|| format!("reading thread entries ({filter})"))?;
            let bodies = offloaded_bodies(&duck, &entries, &files)
                .context("reading offloaded long bodies")?;
            let fates = decide_all(&entries, &files, &bodies, &separator);
            for fate in fates {
                summary.entries += 1;
                match fate {
                    Fate::Part(p) if p.entry.task_id.is_some() => {
                        let t = p.entry.task_id.unwrap_or_default();
                        let n = task_seq.entry(t).or_insert(0);
                        *n += 1;
                        summary.task_parts += 1;
                        writer.task_parts.push((p, *n));
                    }
                    Fate::Part(p) => {
                        let t = p.entry.ticket_id.unwrap_or_default();
                        if seq.0 != t {
                            seq = (t, 0);
                        }
                        seq.1 += 1;
                        summary.parts += 1;
                        summary.html_bytes += p.cleaned.html.len() as i64;
                        writer.part(p, seq.1, &files);
                    }
                    Fate::Excluded(id, reason, detail) => {
                        summary.excluded += 1;
                        writer.excluded.push((id, reason, detail));
                    }
                    Fate::ReviewOnly(id, ticket, reason, detail) => {
                        summary.review_only += 1;
                        writer
                            .review
                            .push(("thread_entry", id, ticket, reason, detail));
                    }
                }
            }
            writer.flush(&duck)?;
            bar.inc(entries.len() as u64);
        }
        bar.finish_and_clear();
        summary.review_rows = writer.review_total;
        summary.articles = articles::clean_all(&duck).context("cleaning the FAQ answers")?;
        if let Some(n) = opts.sample {
            duck.execute(SAMPLE_SQL, [n as i64])
                .context("picking the split sample")?;
            summary.sampled_tickets = duck.query_row(
                "SELECT count(DISTINCT ticket_id) FROM stage.split_sample",
                [],
                |r| r.get(0),
            )?;
        }
        Ok(summary)
    })();
    let mut summary = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = duck.execute_batch("ROLLBACK");
            return Err(e);
        }
    };
    if summary.entries != total {
        let _ = duck.execute_batch("ROLLBACK");
        anyhow::bail!(
            "split saw {} of {total} thread entries; nothing was written. This is a bug: please report it with `ostmig discover --json`",
            summary.entries
        );
    }
    summary.seconds = started.elapsed().as_secs_f64();
    record_run(&duck, started_at, &summary)?;
    duck.execute_batch("COMMIT; CHECKPOINT;")
        .context("committing the split")?;
    summary.problems = counts(
        &duck,
        "SELECT p, count(*) FROM (SELECT unnest(problems) AS p FROM stage.parts) GROUP BY p ORDER BY p",
    )?;
    summary.exclusions = counts(
        &duck,
        "SELECT reason, count(*) FROM stage.split_excluded GROUP BY reason ORDER BY reason",
    )?;
    Ok(summary)
}

fn require_snapshot(duck: &Connection, db: &std::path::Path) -> anyhow::Result<()> {
    let has_raw: i64 = duck.query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = 'thread_entry'",
        [],
        |r| r.get(0),
    )?;
    if has_raw == 0 {
        return hinted(
            format!(
                "{} holds no snapshot (raw.thread_entry is missing)",
                db.display()
            ),
            "run `ostmig snapshot` into this file first",
        );
    }
    Ok(())
}

fn progress_bar(shown: bool, entries: i64) -> ProgressBar {
    if !shown {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(entries as u64);
    bar.set_style(
        ProgressStyle::with_template("split {bar:40} {pos}/{len} entries {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// osTicket's reply separator (Settings → Emails), or its default.
fn reply_separator(duck: &Connection) -> String {
    duck.query_row(
        "SELECT value FROM raw.config WHERE namespace = 'core' AND \"key\" = 'reply_separator'",
        [],
        |r| r.get::<_, Option<String>>(0),
    )
    .ok()
    .flatten()
    .filter(|s| !s.trim().is_empty())
    .unwrap_or_else(|| DEFAULT_SEPARATOR.to_string())
}

/// The slices of `split_input` to split in turn: windows of WINDOW_TICKETS tickets, in
/// conversation order, then the entries of no existing ticket (tasks' threads among them).
fn windows(duck: &Connection) -> anyhow::Result<Vec<(String, Vec<i64>)>> {
    let (lo, hi): (Option<i64>, Option<i64>) = duck
        .query_row(
            "SELECT min(ticket_id), max(ticket_id) FROM split_input WHERE ticket_exists",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .context("finding the ticket range")?;
    let mut windows: Vec<(String, Vec<i64>)> = Vec::new();
    if let (Some(lo), Some(hi)) = (lo, hi) {
        let mut from = lo;
        while from <= hi {
            windows.push((
                "ticket_exists AND ticket_id BETWEEN ? AND ? ORDER BY ticket_id, created, entry_id"
                    .into(),
                vec![from, from + WINDOW_TICKETS - 1],
            ));
            from += WINDOW_TICKETS;
        }
    }
    windows.push((
        // Task threads among them, each in its own order (its parts' seq).
        "NOT ticket_exists OR ticket_id IS NULL ORDER BY task_id NULLS FIRST, created, entry_id"
            .into(),
        vec![],
    ));
    Ok(windows)
}

/// Record the run in meta.split_run (inside the split's transaction).
fn record_run(
    duck: &Connection,
    started_at: chrono::NaiveDateTime,
    summary: &Summary,
) -> anyhow::Result<()> {
    let snapshot_id: Option<i32> = duck
        .query_row("SELECT max(snapshot_id) FROM meta.snapshot", [], |r| {
            r.get(0)
        })
        .context("reading the snapshot id")?;
    duck.execute(
        "INSERT INTO meta.split_run VALUES ((SELECT coalesce(max(id), 0) + 1 FROM meta.split_run), ?, CAST(? AS TIMESTAMP), CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?)",
        duckdb::params![
            snapshot_id,
            started_at.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
            chrono::Utc::now().naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
            summary.entries,
            summary.parts,
            summary.excluded,
            summary.review_only,
            summary.html_bytes
        ],
    )
    .context("recording the split run")?;
    Ok(())
}

/// The pages to split, each with a name for messages: files of a folder, or the stored ones.
fn page_sources(duck: &Connection, from: &Pages) -> anyhow::Result<Vec<(String, String)>> {
    match from {
        Pages::Folder(dir) => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| {
                    crate::error::Hinted::new(
                        format!("cannot read the page folder {}: {e}", dir.display()),
                        "point --rendered at the folder holding the saved ticket pages (*.html)",
                    )
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension().is_some_and(|x| {
                        x.eq_ignore_ascii_case("html") || x.eq_ignore_ascii_case("htm")
                    })
                })
                .collect();
            files.sort();
            files
                .into_iter()
                .map(|p| {
                    let bytes =
                        std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
                    Ok((
                        p.display().to_string(),
                        String::from_utf8_lossy(&bytes).into_owned(),
                    ))
                })
                .collect()
        }
        Pages::Stored => {
            let mut stmt = duck
                .prepare("SELECT url, html FROM raw_pages.page WHERE html IS NOT NULL ORDER BY number")
                .map_err(|_| {
                    crate::error::Hinted::new(
                        "no downloaded ticket pages in this staging file",
                        "run `ostmig snapshot --pages URL --agent NAME` first, or split a folder with --rendered DIR",
                    )
                })?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        }
    }
}

/// `--rendered DIR` / `--pages`: the same tables, from saved staff ticket pages (no database
/// access).
fn run_rendered(opts: &Options, from: &Pages) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let duck = warehouse::open(&opts.db)?;
    let pages = page_sources(&duck, from)?;
    // attachment id → (file id, size, type) of the files `snapshot --pages` fetched.
    let fetched: HashMap<i64, (i64, i64, String)> = duck
        .prepare(
            "SELECT attachment_id, file_id, size, content_type FROM raw_pages.file
             WHERE file_id IS NOT NULL AND file_id IN (SELECT id FROM raw.file)",
        )
        .and_then(|mut stmt| {
            stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?
                .collect::<Result<HashMap<_, _>, _>>()
        })
        .unwrap_or_default();
    // After `snapshot --csv` the tickets have ids of ostmig's own: a page joins its ticket by
    // the number it shows.
    let by_number: Option<HashMap<String, i64>> = {
        if crate::snapshot::csv::latest_is_csv(&duck) {
            let mut stmt = duck.prepare("SELECT number, ticket_id::BIGINT FROM raw.ticket")?;
            let map = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<Result<HashMap<_, _>, _>>()?;
            Some(map)
        } else {
            None
        }
    };
    let mut summary = warehouse::in_transaction(
        &duck,
        BEGIN_REPLACING_OUTPUT,
        "the split",
        || {
            let mut summary = Summary::default();
            let mut writer = Writer::default();
            for (path, html) in &pages {
                let Some(page) = rendered::parse_page(html) else {
                    summary.review_only += 1;
                    writer.review.push((
                        "page",
                        0,
                        None,
                        "not_a_ticket_page",
                        format!("{} has no thread entries of a staff ticket view", path),
                    ));
                    continue;
                };
                let mut page = page;
                if let Some(map) = &by_number {
                    match page.number.as_ref().and_then(|n| map.get(n)) {
                        Some(id) => page.ticket_id = *id,
                        None => {
                            summary.review_only += 1;
                            writer.review.push((
                                "page",
                                page.ticket_id,
                                None,
                                "not_in_export",
                                format!(
                                    "{} shows ticket #{}, which the ticket export does not list: export it too, or leave the page out",
                                    path,
                                    page.number.as_deref().unwrap_or("?")
                                ),
                            ));
                            continue;
                        }
                    }
                }
                let mut files: HashMap<i64, Vec<FileRow>> = HashMap::new();
                for (seq, pe) in page.entries.iter().enumerate() {
                    let mut rows: Vec<FileRow> = pe
                        .attachments
                        .iter()
                        .map(|(id, name)| page_file(*id, name, false, None, &fetched))
                        .collect();
                    rows.extend(pe.images.iter().map(|(key, (id, name))| {
                        page_file(*id, name, true, Some(key.clone()), &fetched)
                    }));
                    let part = page_part(pe, page.ticket_id, &rows, path)?;
                    files.insert(pe.entry_id, rows);
                    summary.entries += 1;
                    summary.parts += 1;
                    summary.html_bytes += part.cleaned.html.len() as i64;
                    writer.part(part, seq as i32 + 1, &files);
                }
                writer.flush(&duck)?;
            }
            writer.flush(&duck)?;
            summary.review_rows = writer.review_total;
            summary.articles = articles::clean_all(&duck).context("cleaning the FAQ answers")?;
            Ok(summary)
        },
    )?;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.problems = counts(
        &duck,
        "SELECT p, count(*) FROM (SELECT unnest(problems) AS p FROM stage.parts) GROUP BY p ORDER BY p",
    )?;
    Ok(summary)
}

/// One entry of a saved ticket page as a part: the page names people but not their ids, so
/// authorship comes from the entry's class.
fn page_part(
    pe: &rendered::PageEntry,
    ticket_id: i64,
    rows: &Vec<FileRow>,
    path: &str,
) -> anyhow::Result<Box<Part>> {
    // `system` replaces the type on the page; treat it as osTicket's system notes
    // (internal), the safe reading when a customer-facing message cannot be told apart.
    let (kind_code, flags) = match pe.class.as_str() {
        "message" => ("M", 0),
        "response" => ("R", 0),
        "note" => ("N", 0),
        _ => ("N", FLAG_SYSTEM),
    };
    let entry = Entry {
        entry_id: pe.entry_id,
        thread_type: Some("T".into()),
        ticket_id: Some(ticket_id),
        task_id: None,
        origin_ticket_id: Some(ticket_id),
        ticket_exists: true,
        kind_code: kind_code.into(),
        flags: flags | if pe.edited { FLAG_EDITED } else { 0 },
        format: if pe.text_format { "text" } else { "html" }.into(),
        poster: Some(pe.poster.clone()),
        user_id: 0,
        staff_id: 0,
        title: pe.title.clone(),
        body: Some(pe.body.clone()),
        created: pe.created_at,
    };
    let Fate::Part(mut part) = decide(&entry, Some(rows), None, DEFAULT_SEPARATOR) else {
        anyhow::bail!("entry {} of {} could not be split", pe.entry_id, path);
    };
    // The page names people but not their ids: authorship comes from the class.
    part.author_type = match (kind_code, flags) {
        ("M", _) => "contact",
        (_, 0) => "admin",
        _ => "system",
    };
    part.kind = match pe.class.as_str() {
        "message" => "message",
        "response" => "response",
        "note" => "note",
        _ => "system",
    };
    part.body_origin = "page";
    part.cleaned.problems.retain(|p| *p != "unknown_author");
    Ok(part)
}

/// A file known only from a page link: its id there is the attachment's, not the file's.
/// A file a page links to: only linked (`storage = 'page'`), or — when `snapshot --pages`
/// fetched it after a CSV snapshot — a file of the snapshot, uploaded like a database's.
fn page_file(
    id: Option<i64>,
    name: &str,
    inline: bool,
    key: Option<String>,
    fetched: &HashMap<i64, (i64, i64, String)>,
) -> FileRow {
    let got = id.and_then(|i| fetched.get(&i));
    FileRow {
        attachment_id: id.unwrap_or(0),
        file_id: Some(got.map_or(id.unwrap_or(0), |g| g.0)),
        name: name.to_string(),
        mime_type: got.map(|g| g.2.clone()),
        size: got.map(|g| g.1),
        inline,
        key,
        storage: Some(if got.is_some() { "D" } else { "page" }.into()),
        exists: true,
        inherited: false,
    }
}

fn counts(duck: &Connection, sql: &str) -> anyhow::Result<Vec<(String, i64)>> {
    let mut stmt = duck.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn read_entries(duck: &Connection, filter: &str, params: &[i64]) -> anyhow::Result<Vec<Entry>> {
    let sql = format!(
        "SELECT entry_id::BIGINT, thread_type, ticket_id::BIGINT, origin_ticket_id::BIGINT, coalesce(ticket_exists, false),
                type, flags::BIGINT, format, poster, user_id::BIGINT, staff_id::BIGINT, title, body, created,
                task_id::BIGINT
         FROM split_input WHERE {filter}"
    );
    let mut stmt = duck.prepare(&sql)?;
    let rows = stmt.query_map(duckdb::params_from_iter(params.iter()), |r| {
        Ok(Entry {
            entry_id: r.get(0)?,
            thread_type: r.get(1)?,
            ticket_id: r.get(2)?,
            origin_ticket_id: r.get(3)?,
            ticket_exists: r.get(4)?,
            kind_code: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            flags: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
            format: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
            poster: r.get(8)?,
            user_id: r.get::<_, Option<i64>>(9)?.unwrap_or(0),
            staff_id: r.get::<_, Option<i64>>(10)?.unwrap_or(0),
            title: r.get(11)?,
            body: r.get(12)?,
            created: r
                .get::<_, Option<NaiveDateTime>>(13)?
                .unwrap_or(NaiveDateTime::MIN),
            task_id: r.get(14)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn load_files(duck: &Connection) -> anyhow::Result<HashMap<i64, Vec<FileRow>>> {
    let mut stmt = duck.prepare(
        "SELECT entry_id::BIGINT, attachment_id::BIGINT, file_id::BIGINT, name, mime_type, size::BIGINT, inline, file_key, storage, file_exists, inherited
         FROM stage.split_files ORDER BY entry_id, attachment_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            FileRow {
                attachment_id: r.get(1)?,
                file_id: r.get(2)?,
                name: r.get(3)?,
                mime_type: r.get(4)?,
                size: r.get(5)?,
                inline: r.get(6)?,
                key: r.get(7)?,
                storage: r.get(8)?,
                exists: r.get(9)?,
                inherited: r.get(10)?,
            },
        ))
    })?;
    let mut map: HashMap<i64, Vec<FileRow>> = HashMap::new();
    for row in rows {
        let (entry, file) = row?;
        map.entry(entry).or_default().push(file);
    }
    Ok(map)
}

fn is_text_file(f: &FileRow) -> bool {
    f.inline
        && f.exists
        && f.mime_type
            .as_deref()
            .is_some_and(|m| m.starts_with("text/html") || m.starts_with("text/plain"))
}

fn body_missing(e: &Entry) -> bool {
    e.body.as_deref().is_none_or(|b| b.trim().is_empty())
}

/// Long bodies (≥ 65,000 characters) are stored as inline text files with an empty body
/// (facts §3.1); read those files' bytes for the entries in this window.
fn offloaded_bodies(
    duck: &Connection,
    entries: &[Entry],
    files: &HashMap<i64, Vec<FileRow>>,
) -> anyhow::Result<HashMap<i64, (i64, String)>> {
    let mut out = HashMap::new();
    let mut stmt =
        duck.prepare("SELECT filedata FROM raw.file_chunk WHERE file_id = ? ORDER BY chunk_id")?;
    for e in entries.iter().filter(|e| body_missing(e)) {
        let Some(f) = files
            .get(&e.entry_id)
            .and_then(|fs| fs.iter().find(|f| is_text_file(f)))
        else {
            continue;
        };
        let Some(file_id) = f.file_id else { continue };
        let mut bytes = Vec::new();
        let rows = stmt.query_map([file_id], |r| r.get::<_, Vec<u8>>(0))?;
        for chunk in rows {
            bytes.extend_from_slice(&chunk?);
        }
        out.insert(
            e.entry_id,
            (file_id, String::from_utf8_lossy(&bytes).into_owned()),
        );
    }
    Ok(out)
}

/// Decide every entry of a window, cleaning bodies on all cores; order is kept.
fn decide_all(
    entries: &[Entry],
    files: &HashMap<i64, Vec<FileRow>>,
    bodies: &HashMap<i64, (i64, String)>,
    separator: &str,
) -> Vec<Fate> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .max(1);
    let per = entries.len().div_ceil(workers).max(64);
    std::thread::scope(|s| {
        let handles: Vec<_> = entries
            .chunks(per)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|e| {
                            decide(
                                e,
                                files.get(&e.entry_id),
                                bodies.get(&e.entry_id),
                                separator,
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a split worker panicked"))
            .collect()
    })
}

fn decide(
    e: &Entry,
    files: Option<&Vec<FileRow>>,
    offloaded: Option<&(i64, String)>,
    separator: &str,
) -> Fate {
    // A task's thread is split like a ticket's: it becomes the notes of a back-office ticket.
    if e.task_id.is_none() && (!e.ticket_exists || e.ticket_id.is_none()) {
        return Fate::ReviewOnly(
            e.entry_id,
            e.ticket_id,
            "orphan_entry",
            format!(
                "entry {} is on {}, which belongs to no existing ticket",
                e.entry_id,
                match e.thread_type.as_deref() {
                    Some(t) => format!("a thread of type {t}"),
                    None => "a thread that does not exist".to_string(),
                }
            ),
        );
    }
    if e.flags & FLAG_HIDDEN != 0 {
        return Fate::Excluded(
            e.entry_id,
            "superseded_edit",
            "original of an edited entry; the edited text migrates".into(),
        );
    }
    let system = e.flags & FLAG_SYSTEM != 0;
    let kind = match e.kind_code.as_str() {
        "M" => "message",
        "R" => "response",
        "N" if system || (e.staff_id == 0 && e.user_id == 0) => "system",
        "N" => "note",
        other => {
            return Fate::ReviewOnly(
                e.entry_id,
                e.ticket_id,
                "unknown_entry_type",
                format!("type '{other}' is none of M, R, N"),
            );
        }
    };
    let author_type = if e.user_id > 0 {
        "contact"
    } else if e.staff_id > 0 {
        "admin"
    } else if kind == "system" {
        "system"
    } else {
        "unknown"
    };
    let inline: InlineFiles = files
        .into_iter()
        .flatten()
        .filter(|f| f.inline && f.exists)
        .filter_map(|f| {
            Some((
                f.key.clone()?,
                InlineFile {
                    file_id: f.file_id?,
                    name: f.name.clone(),
                },
            ))
        })
        .collect();
    let format = if e.format.eq_ignore_ascii_case("text") {
        Format::Text
    } else {
        Format::Html
    };
    let (body, body_origin, body_file) = match (e.body.as_deref(), offloaded) {
        (_, Some((file_id, text))) if body_missing(e) => {
            (text.as_str(), "attachment", Some(*file_id))
        }
        (Some(b), _) if b.trim() == "-" => ("", "empty", None),
        (Some(b), _) if !b.trim().is_empty() => (b, "column", None),
        _ => ("", "empty", None),
    };
    let mut cleaned = clean::clean_body(body, format, separator, &inline);
    if body_origin == "empty" {
        let code = if e.body.as_deref().is_some_and(|b| b.trim() == "-") {
            "empty_body"
        } else {
            "missing_body"
        };
        cleaned.problems.push(code);
    }
    if author_type == "unknown" {
        cleaned.problems.push("unknown_author");
    }
    cleaned.problems.sort_unstable();
    cleaned.problems.dedup();
    Fate::Part(Box::new(Part {
        entry: e.clone(),
        kind,
        author_type,
        body_origin,
        cleaned,
        body_file,
    }))
}

/// Problems that need a person, with what to tell them.
fn review_reason(code: &str) -> Option<&'static str> {
    Some(match code {
        "unresolved_cid" => "an inline image (cid:) matches no attachment of the entry",
        "unknown_author" => "neither a user nor an agent wrote it; decide who it is posted as",
        "malformed_html" => "the HTML could not be parsed; the part carries its text only",
        "empty_after_cleaning" => "the body had content but nothing Intercom shows is left",
        "undecodable_data_image" => {
            "a pasted image (data: URI) does not decode; its place shows [image missing]"
        }
        "missing_body" => "the body is empty and no offloaded text file was found",
        _ => return None,
    })
}

/// Rows waiting to be appended, flushed per window.
#[derive(Default)]
struct Writer {
    parts: Vec<(Box<Part>, i32)>,
    /// Entries of task threads: their files stay behind (listed with the task).
    task_parts: Vec<(Box<Part>, i32)>,
    attachments: Vec<AttachmentRow>,
    /// Pasted images: (entry, n, image).
    images: Vec<(i64, i32, clean::DataImage)>,
    excluded: Vec<(i64, &'static str, String)>,
    review: Vec<(&'static str, i64, Option<i64>, &'static str, String)>,
    review_total: i64,
}

struct AttachmentRow {
    entry_id: i64,
    file: FileRow,
    role: &'static str,
    cid_resolved: bool,
}

impl Writer {
    fn part(&mut self, p: Box<Part>, seq: i32, files: &HashMap<i64, Vec<FileRow>>) {
        let e = &p.entry;
        for f in files.get(&e.entry_id).into_iter().flatten() {
            let resolved = f.file_id.is_some_and(|id| p.cleaned.resolved.contains(&id));
            if f.inherited && !resolved {
                // An image of the superseded text that the edited text no longer shows.
                continue;
            }
            let role = if p.body_file.is_some() && p.body_file == f.file_id {
                "body"
            } else if resolved {
                "inline_image"
            } else {
                "attachment"
            };
            if !f.exists {
                self.review.push((
                    "attachment",
                    f.attachment_id,
                    e.ticket_id,
                    "missing_file",
                    format!(
                        "entry {} links file {}, which does not exist",
                        e.entry_id,
                        f.file_id.map_or("(none)".to_string(), |id| id.to_string())
                    ),
                ));
            } else if f.storage.as_deref() == Some("page") {
                self.review.push((
                    "attachment",
                    f.attachment_id,
                    e.ticket_id,
                    "file_only_linked",
                    format!(
                        "'{}' is only linked from the saved page; save the file beside the page or export it from osTicket",
                        f.name
                    ),
                ));
            } else if f.storage.as_deref().is_some_and(|b| b != "D") && role != "body" {
                self.review.push((
                    "attachment",
                    f.attachment_id,
                    e.ticket_id,
                    "file_outside_database",
                    format!(
                        "'{}' is kept by storage backend '{}', not in the database; copy it from the server's upload folder",
                        f.name,
                        f.storage.as_deref().unwrap_or("")
                    ),
                ));
            }
            self.attachments.push(AttachmentRow {
                entry_id: e.entry_id,
                file: f.clone(),
                role,
                cid_resolved: resolved,
            });
        }
        for (i, image) in p.cleaned.images.iter().enumerate() {
            // Whether a file is over attachments.limit_bytes is decided in SQL, where the
            // setting is, so the limit a report states is the one applied.
            self.images.push((e.entry_id, i as i32 + 1, image.clone()));
        }
        for code in &p.cleaned.problems {
            if let Some(why) = review_reason(code) {
                let detail = match *code {
                    "unresolved_cid" => format!("{why}: {}", p.cleaned.unresolved.join(", ")),
                    "unknown_author" => {
                        format!("{why} (poster: {})", e.poster.as_deref().unwrap_or(""))
                    }
                    _ => why.to_string(),
                };
                self.review
                    .push(("thread_entry", e.entry_id, e.ticket_id, code, detail));
            }
        }
        self.parts.push((p, seq));
    }

    fn flush(&mut self, duck: &Connection) -> anyhow::Result<()> {
        if !self.parts.is_empty() {
            let batch = parts_batch(&self.parts)?;
            let mut app = duck.appender_to_db("parts", "stage")?;
            app.append_record_batch(batch)
                .context("appending stage.parts")?;
            app.flush().context("writing stage.parts")?;
        }
        if !self.task_parts.is_empty() {
            // The same shape as stage.parts, the task in the ticket's place.
            let batch = parts_batch(&self.task_parts)?;
            let mut app = duck.appender_to_db("task_parts", "stage")?;
            app.append_record_batch(batch)
                .context("appending stage.task_parts")?;
            app.flush().context("writing stage.task_parts")?;
        }
        if !self.attachments.is_empty() {
            let mut app = duck.appender_to_db("part_attachment", "stage")?;
            for a in &self.attachments {
                app.append_row(duckdb::params![
                    a.entry_id,
                    a.file.attachment_id,
                    a.file.file_id.unwrap_or(0),
                    a.file.name,
                    a.file.mime_type,
                    a.file.size,
                    a.file.inline,
                    a.role,
                    a.cid_resolved,
                    a.file.storage
                ])?;
            }
            app.flush().context("writing stage.part_attachment")?;
        }
        if !self.images.is_empty() {
            let mut app = duck.appender_to_db("part_image", "stage")?;
            for (entry, n, image) in &self.images {
                app.append_row(duckdb::params![
                    entry,
                    n,
                    image.name,
                    image.mime_type,
                    image.data.len() as i64,
                    image.data
                ])?;
            }
            app.flush().context("writing stage.part_image")?;
        }
        if !self.excluded.is_empty() {
            let mut app = duck.appender_to_db("split_excluded", "stage")?;
            for (id, reason, detail) in &self.excluded {
                app.append_row(duckdb::params![id, reason, detail])?;
            }
            app.flush().context("writing stage.split_excluded")?;
        }
        if !self.review.is_empty() {
            let mut app = duck.appender_to_db("review_queue", "stage")?;
            for (ty, id, ticket, reason, detail) in &self.review {
                app.append_row(duckdb::params![ty, id, ticket, "split", reason, detail])?;
            }
            app.flush().context("writing stage.review_queue")?;
        }
        self.review_total += self.review.len() as i64;
        self.parts.clear();
        self.task_parts.clear();
        self.attachments.clear();
        self.images.clear();
        self.excluded.clear();
        self.review.clear();
        Ok(())
    }
}

fn parts_batch(parts: &[(Box<Part>, i32)]) -> anyhow::Result<RecordBatch> {
    let n = parts.len();
    let mut ticket = Int64Builder::with_capacity(n);
    let mut origin = Int64Builder::with_capacity(n);
    let mut entry = Int64Builder::with_capacity(n);
    let mut seq = Int32Builder::with_capacity(n);
    let mut kind = StringBuilder::new();
    let mut author = StringBuilder::new();
    let mut user = Int64Builder::with_capacity(n);
    let mut staff = Int64Builder::with_capacity(n);
    let mut poster = StringBuilder::new();
    let mut created = TimestampMicrosecondBuilder::with_capacity(n);
    let mut internal = BooleanBuilder::with_capacity(n);
    let mut edited = BooleanBuilder::with_capacity(n);
    let mut format = StringBuilder::new();
    let mut title = StringBuilder::new();
    let mut html = StringBuilder::new();
    let mut text = StringBuilder::new();
    let mut quoted = StringBuilder::new();
    let mut origin_body = StringBuilder::new();
    let mut problems = ListBuilder::new(StringBuilder::new());
    for (p, s) in parts {
        let e = &p.entry;
        let t = e.task_id.or(e.ticket_id).unwrap_or_default();
        ticket.append_value(t);
        origin.append_value(e.origin_ticket_id.unwrap_or(t));
        entry.append_value(e.entry_id);
        seq.append_value(*s);
        kind.append_value(p.kind);
        author.append_value(p.author_type);
        user.append_option((e.user_id > 0).then_some(e.user_id));
        staff.append_option((e.staff_id > 0).then_some(e.staff_id));
        poster.append_option(e.poster.as_deref());
        created.append_value(e.created.and_utc().timestamp_micros());
        internal.append_value(e.kind_code == "N");
        edited.append_value(e.flags & FLAG_EDITED != 0);
        format.append_value(if e.format.eq_ignore_ascii_case("text") {
            "text"
        } else {
            "html"
        });
        title.append_option(e.title.as_deref());
        html.append_value(&p.cleaned.html);
        text.append_value(&p.cleaned.text);
        quoted.append_option(p.cleaned.quoted_html.as_deref());
        origin_body.append_value(p.body_origin);
        for code in &p.cleaned.problems {
            problems.values().append_value(code);
        }
        problems.append(true);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(ticket.finish()),
        Arc::new(origin.finish()),
        Arc::new(entry.finish()),
        Arc::new(seq.finish()),
        Arc::new(kind.finish()),
        Arc::new(author.finish()),
        Arc::new(user.finish()),
        Arc::new(staff.finish()),
        Arc::new(poster.finish()),
        Arc::new(created.finish()),
        Arc::new(internal.finish()),
        Arc::new(edited.finish()),
        Arc::new(format.finish()),
        Arc::new(title.finish()),
        Arc::new(html.finish()),
        Arc::new(text.finish()),
        Arc::new(quoted.finish()),
        Arc::new(origin_body.finish()),
        Arc::new(problems.finish()),
    ];
    Ok(RecordBatch::try_from_iter(
        [
            "ticket_id",
            "origin_ticket_id",
            "entry_id",
            "seq",
            "kind",
            "author_type",
            "user_id",
            "staff_id",
            "poster",
            "created_at",
            "internal",
            "edited",
            "source_format",
            "title",
            "body_html",
            "body_text",
            "quoted_html",
            "body_origin",
            "problems",
        ]
        .into_iter()
        .zip(columns),
    )?)
}

pub fn print_summary(s: &Summary, json: bool) -> anyhow::Result<()> {
    if json {
        crate::ui::json(s)?;
        return Ok(());
    }
    if !crate::verbose() {
        crate::out!(
            "{} thread entries → {} parts, {} task entries, {} excluded, {} review only; {:.2} MB of cleaned HTML in {:.1} s",
            s.entries,
            s.parts,
            s.task_parts,
            s.excluded,
            s.review_only,
            s.html_bytes as f64 / 1e6,
            s.seconds
        );
        if s.articles > 0 {
            crate::out!("{} FAQ answers → stage.articles", s.articles);
        }
    } else {
        print_table(s);
    }
    if s.review_rows > 0 {
        eprintln!(
            "note: {} rows need a person: duckdb <file> -c \"select * from stage.review_queue\"",
            s.review_rows
        );
    }
    Ok(())
}

/// The split's counts in full (`--verbose`).
fn print_table(s: &Summary) {
    let mut table = crate::ui::table(["split", "count"]);
    let mut row = |k: String, v: i64| {
        table.add_row(vec![
            comfy_table::Cell::new(k),
            comfy_table::Cell::new(v).set_alignment(comfy_table::CellAlignment::Right),
        ]);
    };
    row("thread entries in the snapshot".into(), s.entries);
    row("→ conversation parts (stage.parts)".into(), s.parts);
    row("→ task entries (stage.task_parts)".into(), s.task_parts);
    row("→ excluded (stage.split_excluded)".into(), s.excluded);
    for (reason, n) in &s.exclusions {
        row(format!("    {reason}"), *n);
    }
    row("→ review only, not a part".into(), s.review_only);
    row(
        "review queue rows (stage.review_queue)".into(),
        s.review_rows,
    );
    for (code, n) in &s.problems {
        row(format!("parts with problem {code}"), *n);
    }
    if s.sampled_tickets > 0 {
        row("tickets in stage.split_sample".into(), s.sampled_tickets);
    }
    row("FAQ answers (stage.articles)".into(), s.articles);
    crate::out!("{table}");
    crate::out!(
        "{:.2} MB of cleaned HTML in {:.1} s",
        s.html_bytes as f64 / 1e6,
        s.seconds
    );
}
