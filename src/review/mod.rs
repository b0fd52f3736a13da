//! `ostmig review`: a person reads each sampled thread as osTicket showed it beside what
//! Intercom will hold, and approves or flags it; the decisions land in the staging file
//! (review.decision) and gate the load.
//!
//! The page is served from the binary (templates, style and the one script are compiled in),
//! on loopback unless told otherwise, and holds the staging file only while it answers a
//! request, so `ostmig load` and the `duckdb` shell can use the file while a review is open.
//! Every body is shown inside a sandboxed frame that runs no script, under a content security
//! policy that fetches nothing from anywhere but this server.

mod pages;
mod server;

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::error::Hinted;

pub use server::serve;

/// What `ostmig review` is asked to serve.
#[derive(Debug, Clone)]
pub struct Options {
    pub db: PathBuf,
    pub listen: SocketAddr,
    /// Listening on an address other than loopback: every request then carries the token
    /// printed at start.
    pub allow_remote: bool,
    /// The name decisions are recorded under until the reviewer types another.
    pub reviewer: Option<String>,
}

/// The verdicts a reviewer gives.
pub const VERDICTS: &[&str] = &["approved", "flagged"];

/// Record one decision on a ticket: who, when, what they saw (its digest) and which side.
pub fn decide(
    duck: &duckdb::Connection,
    number: &str,
    verdict: &str,
    comment: &str,
    reviewer: &str,
    seen_sha256: &str,
    shown: &str,
) -> anyhow::Result<()> {
    if !VERDICTS.contains(&verdict) {
        return Err(Hinted::new(
            format!("{verdict:?} is not a decision"),
            "approve or flag the ticket",
        )
        .into());
    }
    if reviewer.trim().is_empty() {
        return Err(Hinted::new(
            "a decision needs the reviewer's name",
            "type your name in the form: the sign-off records who decided",
        )
        .into());
    }
    if verdict == "flagged" && comment.trim().is_empty() {
        return Err(Hinted::new(
            format!("ticket #{number} is flagged without a comment"),
            "say in the comment what is wrong, so that someone can mend it",
        )
        .into());
    }
    let Some(ticket_id) = pages::ticket_id(duck, number)? else {
        return Err(Hinted::new(
            format!("osTicket has no ticket #{number} in this staging file"),
            "open a ticket from the list, or type a number osTicket shows",
        )
        .into());
    };
    duck.execute(
        "INSERT INTO review.decision (ticket_id, number, verdict, comment, reviewer, decided_at, payload_sha256, shown)
         VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?)",
        duckdb::params![
            ticket_id,
            number,
            verdict,
            comment.trim(),
            reviewer.trim(),
            seen_sha256,
            shown
        ],
    )?;
    Ok(())
}

/// What the review says about a real load: approvals of payloads that have changed since (the
/// load refuses), and tickets still flagged (the load warns).
#[derive(Debug, Default)]
pub struct Standing {
    pub changed: Vec<String>,
    pub flagged: Vec<String>,
}

impl Standing {
    pub fn of(duck: &duckdb::Connection) -> anyhow::Result<Standing> {
        let decided: i64 =
            duck.query_row("SELECT count(*) FROM review.decision", [], |r| r.get(0))?;
        if decided == 0 {
            return Ok(Standing::default());
        }
        let mut stmt = duck
            .prepare(
                "SELECT '#' || number, verdict, changed_since FROM reports.rpt_review_tickets
                 WHERE verdict IS NOT NULL ORDER BY number",
            )
            .map_err(|e| {
                Hinted::new(
                    format!("the review's decisions cannot be checked: {e}"),
                    "run `ostmig transform`: it builds reports.rpt_review_tickets",
                )
            })?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
            ))
        })?;
        let mut standing = Standing::default();
        for row in rows {
            let (number, verdict, changed) = row?;
            if verdict == "approved" && changed {
                standing.changed.push(number);
            } else if verdict == "flagged" {
                standing.flagged.push(number);
            }
        }
        Ok(standing)
    }
}

/// The gate of `load --apply`: refuses when a ticket was approved as a payload that has changed
/// since, and returns a warning while tickets are flagged.
pub fn gate(duck: &duckdb::Connection) -> anyhow::Result<Option<String>> {
    let standing = Standing::of(duck)?;
    if !standing.changed.is_empty() {
        return Err(Hinted::new(
            format!(
                "{} approved ticket(s) would be sent differently from what the reviewer approved: {}",
                standing.changed.len(),
                first(&standing.changed)
            ),
            "open them in `ostmig review` (their status says \"changed since\") and approve or flag them again",
        )
        .into());
    }
    Ok((!standing.flagged.is_empty()).then(|| {
        format!(
            "warning: {} ticket(s) are flagged in the review and not approved since: {} (reports.rpt_review_tickets has the comments)",
            standing.flagged.len(),
            first(&standing.flagged)
        )
    }))
}

fn first(numbers: &[String]) -> String {
    let mut shown = numbers
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if numbers.len() > 10 {
        shown.push_str(&format!(" and {} more", numbers.len() - 10));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staged() -> duckdb::Connection {
        let duck = duckdb::Connection::open_in_memory().unwrap();
        duck.execute_batch(
            "CREATE SCHEMA staging; CREATE TABLE staging.stg_tickets (ticket_id BIGINT, number VARCHAR);
             INSERT INTO staging.stg_tickets VALUES (7, '100007');",
        )
        .unwrap();
        duck.execute_batch(include_str!("../../sql/migrations/0022_review.sql"))
            .unwrap();
        duck
    }

    #[test]
    fn a_decision_names_who_and_a_flag_says_why() {
        let duck = staged();
        for (number, verdict, comment, reviewer, says) in [
            ("100007", "approved", "", " ", "name"),
            ("100007", "flagged", " ", "Dana", "without a comment"),
            ("100007", "maybe", "", "Dana", "not a decision"),
            ("999", "approved", "", "Dana", "#999"),
        ] {
            let refused = decide(&duck, number, verdict, comment, reviewer, "sha", "outbox");
            assert!(refused.unwrap_err().to_string().contains(says), "{says}");
        }
        decide(
            &duck,
            "100007",
            "flagged",
            " table lost ",
            "Dana",
            "sha1",
            "outbox",
        )
        .unwrap();
        decide(&duck, "100007", "approved", "", "Dana", "sha2", "intercom").unwrap();
        let rows: Vec<(i64, String, String, String, String)> = duck
            .prepare("SELECT ticket_id, verdict, comment, payload_sha256, shown FROM review.decision ORDER BY decision_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![
                (
                    7,
                    "flagged".into(),
                    "table lost".into(),
                    "sha1".into(),
                    "outbox".into()
                ),
                (
                    7,
                    "approved".into(),
                    "".into(),
                    "sha2".into(),
                    "intercom".into()
                ),
            ]
        );
    }
}
