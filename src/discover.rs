//! **discover**: the scope audit, read from the latest snapshot by the view
//! `reports.rpt_scope_audit` (`sql/models/reports/rpt_scope_audit.sql`). Reads `raw.*` (through
//! the `staging.base_*` views, which it creates) and `meta.snapshot*`; writes only those views.
use std::path::Path;

use comfy_table::{Cell, CellAlignment};
use serde::Serialize;

use crate::Outcome;
use crate::error::hinted;
use crate::snapshot::Summary;
use crate::warehouse;

/// The view `reports.rpt_scope_audit` (also a transform model, so reports can show it).
pub const SCOPE_SQL: &str = include_str!("../sql/models/reports/rpt_scope_audit.sql");

#[derive(Debug, Serialize)]
pub struct Line {
    pub section: String,
    pub item: String,
    pub n: Option<i64>,
    pub detail: Option<String>,
}

/// Run the scope query; errors when the file holds no snapshot yet.
pub fn scope(db: &Path) -> anyhow::Result<Vec<Line>> {
    if !db.exists() {
        return hinted(
            format!("the staging file {} does not exist", db.display()),
            "run `ostmig snapshot` first, or point --db at the migration's file",
        );
    }
    let conn = warehouse::open(db)?;
    let snapshots: i64 = conn.query_row("SELECT count(*) FROM meta.snapshot", [], |r| r.get(0))?;
    if snapshots == 0 {
        return hinted(
            format!("{} holds no snapshot yet", db.display()),
            "run `ostmig snapshot` first",
        );
    }
    crate::transform::create_base_views(&conn)?;
    conn.execute_batch(SCOPE_SQL)?;
    let mut stmt = conn.prepare("SELECT section, item, n, detail FROM reports.rpt_scope_audit")?;
    let rows = stmt.query_map([], |r| {
        Ok(Line {
            section: r.get(0)?,
            item: r.get(1)?,
            n: r.get(2)?,
            detail: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn run(db: &Path, json: bool) -> anyhow::Result<Outcome> {
    let lines = scope(db)?;
    if json {
        crate::ui::json(&lines)?;
    } else {
        let mut table = crate::ui::table(vec!["section", "item", "count", "detail"]);
        for l in &lines {
            table.add_row(vec![
                Cell::new(&l.section),
                Cell::new(&l.item),
                Cell::new(l.n.map(group_digits).unwrap_or_default())
                    .set_alignment(CellAlignment::Right),
                Cell::new(l.detail.as_deref().unwrap_or("")),
            ]);
        }
        crate::out!("{table}");
    }
    Ok(Outcome::Ok)
}

fn group_digits(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// What `ostmig snapshot` prints when it is done.
pub fn print_snapshot_summary(s: &Summary, json: bool) -> anyhow::Result<()> {
    let rows: i64 = s.tables.iter().map(|t| t.rows_copied).sum();
    let bytes: i64 = s.tables.iter().map(|t| t.bytes).sum();
    if json {
        let v = serde_json::json!({
            "snapshot_id": s.snapshot_id,
            "kind": s.kind,
            "osticket_version": s.osticket_version,
            "mysql_version": s.mysql_version,
            "prefix": s.prefix,
            "time_zone": s.time_zone,
            "tables": s.tables.len(),
            "rows": rows,
            "bytes": bytes,
            "zero_dates": s.tables.iter().map(|t| t.zero_dates).sum::<i64>(),
            "repaired_values": s.tables.iter().map(|t| t.repaired).sum::<i64>(),
            "issues": s.tables.iter().map(|t| t.issues).sum::<i64>(),
            "warnings": s.warnings,
            "seconds": s.seconds,
        });
        crate::ui::json(&v)?;
        return Ok(());
    }
    let mut table = crate::ui::styled();
    let delta = s.kind == "delta";
    if crate::verbose() || delta {
        let mut header = vec!["table", "rows", "bytes", "zero dates", "listed values"];
        if delta {
            header.insert(2, "re-read");
        }
        table.set_header(header);
        let right = |n: i64| Cell::new(group_digits(n)).set_alignment(CellAlignment::Right);
        for t in s.tables.iter().filter(|t| t.rows_copied > 0) {
            let mut row = vec![
                Cell::new(&t.raw),
                right(t.rows_copied),
                right(t.bytes),
                right(t.zero_dates),
                right(t.issues),
            ];
            if delta {
                row.insert(
                    2,
                    t.delta_rows
                        .map_or_else(|| Cell::new("all"), right)
                        .set_alignment(CellAlignment::Right),
                );
            }
            table.add_row(row);
        }
        crate::out!("{table}");
    }
    crate::out!(
        "{} snapshot {}: osTicket {} on MySQL {}, prefix '{}', {} tables, {} rows, {} bytes read in {:.1} s",
        s.kind,
        s.snapshot_id,
        s.osticket_version,
        s.mysql_version,
        s.prefix,
        s.tables.len(),
        group_digits(rows),
        group_digits(bytes),
        s.seconds
    );
    Ok(())
}

/// The terminal summary of `snapshot --csv`: the exports read and the tables they filled.
pub fn print_csv_summary(s: &crate::snapshot::csv::Summary, json: bool) -> anyhow::Result<()> {
    if json {
        let v = serde_json::json!({
            "snapshot_id": s.snapshot_id,
            "kind": "csv",
            "files": s.files.iter().map(|(k, f, n)| serde_json::json!({"export": k, "file": f, "rows": n})).collect::<Vec<_>>(),
            "tables": s.tables.iter().filter(|(_, n)| *n > 0).map(|(t, n)| serde_json::json!({"table": t, "rows": n})).collect::<Vec<_>>(),
            "unused_columns": s.unused_columns,
        });
        crate::ui::json(&v)?;
        return Ok(());
    }
    let mut table = crate::ui::table(vec!["export", "file", "rows"]);
    for (kind, file, rows) in &s.files {
        table.add_row(vec![
            Cell::new(kind),
            Cell::new(file.display()),
            Cell::new(group_digits(*rows)).set_alignment(CellAlignment::Right),
        ]);
    }
    crate::out!("{table}");
    let filled: Vec<String> = s
        .tables
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(t, n)| format!("raw.{t} {}", group_digits(*n)))
        .collect();
    crate::out!("csv snapshot {}: {}", s.snapshot_id, filled.join(", "));
    if !s.unused_columns.is_empty() {
        crate::out!(
            "not imported (custom fields and counts): {}",
            s.unused_columns.join("; ")
        );
    }
    crate::out!(
        "what CSV exports cannot carry: ostmig transform, then ostmig sql \"select * from reports.rpt_fallback_gaps\""
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits_group() {
        assert_eq!(super::group_digits(1234567), "1,234,567");
        assert_eq!(super::group_digits(-1000), "-1,000");
        assert_eq!(super::group_digits(12), "12");
    }
}
