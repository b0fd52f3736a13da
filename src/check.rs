//! `ostmig check`: data tests on the staging file, dbt-style.
//!
//! Two kinds: generic tests declared next to the models in `sql/models/tests.toml` (unique,
//! not_null, accepted values, relationships), and `sql/checks/*.sql`, each a query returning the
//! failing rows with its severity in its header. An error-severity failure makes the command
//! exit 1; the accounting invariant (nothing lost between osTicket and the outboxes) is one of them.

use std::path::Path;

use anyhow::Context;
use duckdb::{AccessMode, Config, Connection};
use serde::{Deserialize, Serialize};

use crate::error::Hinted;
use crate::warehouse::ident;

/// The failing-row queries shipped with this binary.
pub const CHECKS: &[(&str, &str)] = &[
    (
        "accounting_attachments.sql",
        include_str!("../sql/checks/accounting_attachments.sql"),
    ),
    (
        "accounting_companies.sql",
        include_str!("../sql/checks/accounting_companies.sql"),
    ),
    (
        "accounting_contacts.sql",
        include_str!("../sql/checks/accounting_contacts.sql"),
    ),
    (
        "accounting_thread_entries.sql",
        include_str!("../sql/checks/accounting_thread_entries.sql"),
    ),
    (
        "accounting_ticket_parts.sql",
        include_str!("../sql/checks/accounting_ticket_parts.sql"),
    ),
    (
        "accounting_tickets.sql",
        include_str!("../sql/checks/accounting_tickets.sql"),
    ),
    (
        "agents_blocking.sql",
        include_str!("../sql/checks/agents_blocking.sql"),
    ),
    (
        "intercom_attribute_ceiling.sql",
        include_str!("../sql/checks/intercom_attribute_ceiling.sql"),
    ),
    (
        "intercom_attribute_clash.sql",
        include_str!("../sql/checks/intercom_attribute_clash.sql"),
    ),
    (
        "intercom_states_missing.sql",
        include_str!("../sql/checks/intercom_states_missing.sql"),
    ),
    (
        "intercom_workspace_unknown.sql",
        include_str!("../sql/checks/intercom_workspace_unknown.sql"),
    ),
    (
        "orphan_users_undecided.sql",
        include_str!("../sql/checks/orphan_users_undecided.sql"),
    ),
    (
        "parts_without_admin.sql",
        include_str!("../sql/checks/parts_without_admin.sql"),
    ),
    (
        "review_queue_open.sql",
        include_str!("../sql/checks/review_queue_open.sql"),
    ),
    (
        "teams_missing.sql",
        include_str!("../sql/checks/teams_missing.sql"),
    ),
    (
        "tickets_need_review.sql",
        include_str!("../sql/checks/tickets_need_review.sql"),
    ),
];

const GENERIC: &str = include_str!("../sql/models/tests.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    test: Vec<GenericTest>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericTest {
    relation: String,
    #[serde(default)]
    unique: Vec<String>,
    #[serde(default)]
    not_null: Vec<String>,
    column: Option<String>,
    #[serde(default)]
    values: Vec<String>,
    to: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub check: String,
    pub severity: String,
    pub failing_rows: i64,
    pub description: String,
}

/// One test as (name, severity, description, failing-row query).
fn all_queries() -> anyhow::Result<Vec<(String, String, String, String)>> {
    let mut out = Vec::new();
    let file: TestFile = toml::from_str(GENERIC).context("sql/models/tests.toml")?;
    for t in file.test {
        let rel = t.relation.as_str();
        for c in &t.unique {
            out.push((
                format!("unique {rel}.{c}"),
                "error".into(),
                format!("{c} identifies one row of {rel}"),
                format!(
                    "SELECT {c}, count(*) AS n FROM {rel} WHERE {c} IS NOT NULL GROUP BY {c} HAVING count(*) > 1",
                    c = ident(c)
                ),
            ));
        }
        for c in &t.not_null {
            out.push((
                format!("not_null {rel}.{c}"),
                "error".into(),
                format!("{c} is always set in {rel}"),
                format!("SELECT * FROM {rel} WHERE {} IS NULL", ident(c)),
            ));
        }
        if let (Some(c), false) = (&t.column, t.values.is_empty()) {
            let list: Vec<String> = t
                .values
                .iter()
                .map(|v| crate::warehouse::literal(v))
                .collect();
            out.push((
                format!("accepted_values {rel}.{c}"),
                "error".into(),
                format!("{c} is one of {}", t.values.join(", ")),
                format!(
                    "SELECT {c}, count(*) AS n FROM {rel} WHERE {c} NOT IN ({}) GROUP BY {c}",
                    list.join(", "),
                    c = ident(c)
                ),
            ));
        }
        if let (Some(c), Some(to)) = (&t.column, &t.to) {
            let (to_rel, to_col) = to
                .rsplit_once('.')
                .context("a relationship's `to` is relation.column")?;
            out.push((
                format!("relationship {rel}.{c} → {to}"),
                "error".into(),
                format!("every {c} exists in {to}"),
                format!(
                    "SELECT {c} FROM {rel} WHERE {c} IS NOT NULL AND {c} NOT IN (SELECT {tc} FROM {to_rel})",
                    c = ident(c),
                    tc = ident(to_col)
                ),
            ));
        }
    }
    for (name, sql) in CHECKS {
        let header = |key: &str| {
            sql.lines()
                .find_map(|l| l.strip_prefix(&format!("-- {key}:")))
                .map(|v| v.trim().to_string())
        };
        out.push((
            name.trim_end_matches(".sql").to_string(),
            header("severity").unwrap_or_else(|| "error".into()),
            header("check").unwrap_or_default(),
            sql.trim().trim_end_matches(';').to_string(),
        ));
    }
    Ok(out)
}

pub fn run(db: &Path) -> anyhow::Result<Vec<Outcome>> {
    if !db.exists() {
        return Err(Hinted::new(
            format!("the staging file {} does not exist", db.display()),
            "run `ostmig snapshot`, `ostmig split` and `ostmig transform` first",
        )
        .into());
    }
    let conn =
        Connection::open_with_flags(db, Config::default().access_mode(AccessMode::ReadOnly)?)
            .with_context(|| format!("opening {} read-only", db.display()))?;
    let mut outcomes = Vec::new();
    for (check, severity, description, sql) in all_queries()? {
        let failing: i64 = conn
            .query_row(&format!("SELECT count(*) FROM ({sql})"), [], |r| r.get(0))
            .map_err(|e| {
                Hinted::new(
                    format!("check `{check}` could not run: {e}"),
                    "run `ostmig transform` (and `ostmig split`) so the relations it reads exist",
                )
            })?;
        outcomes.push(Outcome {
            check,
            severity,
            failing_rows: failing,
            description,
        });
    }
    Ok(outcomes)
}

/// Print the outcomes; true when an error-severity check failed.
pub fn print(outcomes: &[Outcome], json: bool) -> anyhow::Result<bool> {
    let failed = outcomes
        .iter()
        .any(|o| o.severity == "error" && o.failing_rows > 0);
    if json {
        println!("{}", serde_json::to_string_pretty(outcomes)?);
        return Ok(failed);
    }
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(["check", "severity", "failing rows", "what it means"]);
    for o in outcomes {
        table.add_row(vec![
            comfy_table::Cell::new(&o.check),
            comfy_table::Cell::new(&o.severity),
            comfy_table::Cell::new(o.failing_rows).set_alignment(comfy_table::CellAlignment::Right),
            comfy_table::Cell::new(&o.description),
        ]);
    }
    println!("{table}");
    Ok(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_file_is_listed_with_a_severity() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/checks");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let listed: Vec<String> = CHECKS.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(listed, on_disk);
        for (name, sql) in CHECKS {
            assert!(
                sql.contains("-- severity: error") || sql.contains("-- severity: warn"),
                "{name} must state its severity"
            );
        }
        assert!(all_queries().unwrap().len() > CHECKS.len());
    }
}
