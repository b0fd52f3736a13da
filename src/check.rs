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
        "accounting_knowledge_base.sql",
        include_str!("../sql/checks/accounting_knowledge_base.sql"),
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
        "notes_visibility_unconfirmed.sql",
        include_str!("../sql/checks/notes_visibility_unconfirmed.sql"),
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
        "probe_answers_changed.sql",
        include_str!("../sql/checks/probe_answers_changed.sql"),
    ),
    (
        "probe_attribute_names_refused.sql",
        include_str!("../sql/checks/probe_attribute_names_refused.sql"),
    ),
    (
        "probe_participants_refused.sql",
        include_str!("../sql/checks/probe_participants_refused.sql"),
    ),
    (
        "probe_unanswered.sql",
        include_str!("../sql/checks/probe_unanswered.sql"),
    ),
    (
        "review_queue_open.sql",
        include_str!("../sql/checks/review_queue_open.sql"),
    ),
    (
        "review_signoff_open.sql",
        include_str!("../sql/checks/review_signoff_open.sql"),
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
    /// What a failure means and where to look (the check's `-- Why:` line).
    pub why: String,
}

/// `text` broken into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        let n = word.chars().count();
        if line > 0 && line + 1 + n > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += n;
    }
    out
}

/// A check file's `-- Why:` paragraph: the line and the comment lines that continue it.
fn why_of(sql: &str) -> String {
    let mut lines = sql.lines().skip_while(|l| !l.starts_with("-- Why:"));
    let Some(first) = lines.next() else {
        return String::new();
    };
    let mut why = first.trim_start_matches("-- Why:").trim().to_string();
    for l in lines.map_while(|l| l.strip_prefix("--")) {
        why.push(' ');
        why.push_str(l.trim());
    }
    why.trim().to_string()
}

/// What a failing generic test means: the models broke a promise they make.
const GENERIC_WHY: &str = "a model broke its own contract (sql/models/tests.toml): run `ostmig transform` again; if it stays, report it with the failing rows";

/// One test as (name, severity, description, why, failing-row query).
type Query = (String, String, String, String, String);

fn all_queries() -> anyhow::Result<Vec<Query>> {
    let mut out = Vec::new();
    let file: TestFile = toml::from_str(GENERIC).context("sql/models/tests.toml")?;
    for t in file.test {
        let rel = t.relation.as_str();
        for c in &t.unique {
            out.push((
                format!("unique {rel}.{c}"),
                "error".into(),
                format!("{c} identifies one row of {rel}"),
                GENERIC_WHY.into(),
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
                GENERIC_WHY.into(),
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
                GENERIC_WHY.into(),
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
                GENERIC_WHY.into(),
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
            why_of(sql),
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
    for (check, severity, description, why, sql) in all_queries()? {
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
            why,
        });
    }
    Ok(outcomes)
}

/// Print the outcomes; true when an error-severity check failed. By default only what fails
/// or warns, errors first, each with what it means, then one line for the rest; `verbose`
/// prints every check.
pub fn print(outcomes: &[Outcome], json: bool, verbose: bool) -> anyhow::Result<bool> {
    let failed = outcomes
        .iter()
        .any(|o| o.severity == "error" && o.failing_rows > 0);
    if json {
        crate::ui::json(outcomes)?;
        return Ok(failed);
    }
    let mut shown: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| verbose || o.failing_rows > 0)
        .collect();
    // Errors that fail first, then warnings, then (verbose) the rest, each in file order.
    shown.sort_by_key(|o| (o.failing_rows == 0, o.severity != "error"));
    if !shown.is_empty() {
        let mut table = crate::ui::table(["check", "severity", "failing rows", "what it means"]);
        for o in &shown {
            let meaning = if o.failing_rows > 0 && !o.why.is_empty() {
                format!("{}\n{}", o.description, wrap(&format!("→ {}", o.why), 80))
            } else {
                o.description.clone()
            };
            table.add_row(vec![
                comfy_table::Cell::new(&o.check),
                comfy_table::Cell::new(&o.severity),
                comfy_table::Cell::new(o.failing_rows)
                    .set_alignment(comfy_table::CellAlignment::Right),
                comfy_table::Cell::new(meaning),
            ]);
        }
        crate::out!("{table}");
    }
    let passed = outcomes.iter().filter(|o| o.failing_rows == 0).count();
    let errors = outcomes
        .iter()
        .filter(|o| o.severity == "error" && o.failing_rows > 0)
        .count();
    let warnings = outcomes
        .iter()
        .filter(|o| o.severity != "error" && o.failing_rows > 0)
        .count();
    crate::out!(
        "{passed} of {} checks passed{}{}{}",
        outcomes.len(),
        if errors > 0 {
            format!(", {errors} failed (the load refuses to start until they pass)")
        } else {
            String::new()
        },
        if warnings > 0 {
            format!(", {warnings} warn")
        } else {
            String::new()
        },
        if verbose {
            ""
        } else {
            " (--verbose lists every check)"
        }
    );
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
