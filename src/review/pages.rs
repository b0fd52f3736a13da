//! The review's pages: what they read from the staging file, and the templates that show it.
//!
//! Everything comes from two relations `ostmig transform` builds, so an analyst sees in the
//! `duckdb` shell exactly what the reviewer sees: reports.rpt_review_tickets (the list, each
//! ticket's digest and latest decision) and reports.rpt_review_thread (a ticket's lines).

use std::sync::OnceLock;

use minijinja::{Environment, context};
use serde::Serialize;

/// Lines of a ticket on one page: a long thread opens at once and pages on.
pub const LINES_PER_PAGE: i64 = 100;
/// Lines whose body frames are filled in the page itself: the first screen reads at once, and
/// without the page's script; the page's script fills the others as the reader comes to them.
pub const EAGER_LINES: i64 = 8;
/// Tickets on one page of the list.
pub const TICKETS_PER_PAGE: i64 = 50;

/// The statuses the list filters by, with what each keeps (SQL over rpt_review_tickets).
pub const FILTERS: &[(&str, &str)] = &[
    ("all", "true"),
    ("not reviewed", "verdict IS NULL"),
    ("approved", "verdict = 'approved' AND NOT changed_since"),
    ("flagged", "verdict = 'flagged'"),
    ("changed since", "changed_since"),
];

/// The style of a body frame, inlined in every frame so that no frame makes a request; the
/// content security policy allows exactly this text, by its digest ([`body_style_digest`]).
pub const BODY_CSS: &str = include_str!("static/body.css");

/// The start of every body frame's document.
fn frame_head() -> String {
    format!("<!doctype html><meta charset=\"utf-8\"><style>{BODY_CSS}</style>")
}

/// The CSP source that allows the frames' inline style: `'sha256-…'` of [`BODY_CSS`].
pub fn body_style_digest() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(BODY_CSS.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        // Names ending in .html are escaped when shown: nothing from osTicket reaches the page
        // as markup except through the sandboxed frames' srcdoc (escaped too).
        let mut env = Environment::new();
        for (name, source) in [
            ("base.html", include_str!("templates/base.html")),
            ("list.html", include_str!("templates/list.html")),
            ("ticket.html", include_str!("templates/ticket.html")),
            ("problem.html", include_str!("templates/problem.html")),
        ] {
            env.add_template(name, source)
                .expect("the review's templates are checked by its tests");
        }
        env
    })
}

fn render(name: &str, ctx: minijinja::Value) -> anyhow::Result<String> {
    Ok(templates().get_template(name)?.render(ctx)?)
}

#[derive(Debug, Serialize)]
pub struct ListRow {
    pub number: String,
    pub subject: String,
    pub why: String,
    pub outcome: String,
    pub entries: i64,
    pub lines_differing: i64,
    pub status: String,
    pub reviewer: Option<String>,
    pub decided_at: Option<String>,
    pub comment: Option<String>,
}

/// The list of tickets under review, one page of it, with a count per status.
pub fn list(
    duck: &duckdb::Connection,
    filter: &str,
    page: i64,
    notice: Option<&str>,
) -> anyhow::Result<String> {
    let (filter, condition) = FILTERS
        .iter()
        .find(|(name, _)| *name == filter)
        .copied()
        .unwrap_or(FILTERS[0]);
    // Every filter's count in one pass.
    let sql = format!(
        "SELECT {} FROM reports.rpt_review_tickets WHERE why IS NOT NULL",
        FILTERS
            .iter()
            .map(|(_, cond)| format!("count(*) FILTER (WHERE {cond})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let numbers: Vec<i64> =
        duck.query_row(&sql, [], |r| (0..FILTERS.len()).map(|i| r.get(i)).collect())?;
    let counts: Vec<minijinja::Value> = FILTERS
        .iter()
        .zip(&numbers)
        .map(|((name, _), n)| context! { name => name, count => n, active => *name == filter })
        .collect();
    let total = FILTERS
        .iter()
        .zip(&numbers)
        .find(|((name, _), _)| *name == filter)
        .map_or(0, |(_, n)| *n);
    let pages = ((total + TICKETS_PER_PAGE - 1) / TICKETS_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let mut stmt = duck.prepare(&format!(
        "SELECT number, coalesce(subject, ''), why, outcome, entries, lines_differing, status,
                reviewer, strftime(decided_at, '%Y-%m-%d %H:%M'), nullif(comment, '')
         FROM reports.rpt_review_tickets
         WHERE why IS NOT NULL AND {condition}
         LIMIT {TICKETS_PER_PAGE} OFFSET {}",
        (page - 1) * TICKETS_PER_PAGE
    ))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(ListRow {
                number: r.get(0)?,
                subject: r.get(1)?,
                why: r.get(2)?,
                outcome: r.get(3)?,
                entries: r.get(4)?,
                lines_differing: r.get(5)?,
                status: r.get(6)?,
                reviewer: r.get(7)?,
                decided_at: r.get(8)?,
                comment: r.get(9)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    render(
        "list.html",
        context! {
            rows => rows, counts => counts, filter => filter, page => page, pages => pages,
            total => total, notice => notice,
        },
    )
}

/// One line of a ticket: the osTicket side, the Intercom side, what differs.
#[derive(Debug, Serialize)]
pub struct Line {
    pub line: i64,
    pub source_kind: Option<String>,
    pub source_author: Option<String>,
    pub source_at: Option<String>,
    pub source_title: Option<String>,
    pub source_html: Option<String>,
    pub source_internal: Option<bool>,
    pub source_files: Vec<FileLink>,
    pub origin_number: Option<String>,
    pub intercom_kind: Option<String>,
    pub intercom_author: Option<String>,
    pub intercom_at: Option<String>,
    pub intercom_html: Option<String>,
    pub intercom_public: Option<bool>,
    pub intercom_files: Vec<FileLink>,
    pub aside: Option<String>,
    pub differences: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Decision {
    verdict: String,
    comment: String,
    reviewer: String,
    decided_at: String,
    payload_sha256: String,
    shown: String,
}

/// A file on a line: its name, and the name of its bytes in the staging file (`file:<id>`,
/// `image:<entry>:<n>`; none for what only Intercom holds), which /file/ serves.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct FileLink {
    pub name: String,
    pub data: Option<String>,
}

fn list_of<T: serde::de::DeserializeOwned>(json: Option<String>) -> Vec<T> {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

/// The number's ticket, or None when osTicket has no such ticket.
pub fn ticket_id(duck: &duckdb::Connection, number: &str) -> anyhow::Result<Option<i64>> {
    let mut stmt = duck.prepare("SELECT ticket_id FROM staging.stg_tickets WHERE number = ?")?;
    let mut rows = stmt.query([number])?;
    Ok(match rows.next()? {
        Some(r) => Some(r.get(0)?),
        None => None,
    })
}

/// What the right-hand column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// What the load will send (the outbox).
    Outbox,
    /// What verify read back from Intercom after a load.
    Intercom,
}

impl Shown {
    pub fn name(self) -> &'static str {
        match self {
            Shown::Outbox => "outbox",
            Shown::Intercom => "intercom",
        }
    }
}

/// The read-back of a ticket, when verify read it: its target ('main' or 'sample') and when.
fn read_back(
    duck: &duckdb::Connection,
    ticket_id: i64,
) -> anyhow::Result<Option<(String, String)>> {
    let mut stmt = duck.prepare(
        "SELECT target, strftime(max(read_at), '%Y-%m-%d %H:%M') FROM reports.rpt_review_readback
         WHERE ticket_id = ? GROUP BY target ORDER BY target = 'main' DESC LIMIT 1",
    )?;
    let mut rows = stmt.query([ticket_id])?;
    Ok(match rows.next()? {
        Some(r) => Some((r.get(0)?, r.get(1)?)),
        None => None,
    })
}

/// Epoch seconds as a time people read, for the attributes Intercom keeps as dates.
fn when(epoch: &serde_json::Value) -> Option<String> {
    chrono::DateTime::from_timestamp(epoch.as_i64()?, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// A ticket's attributes as shown: not the default ones (title, description: shown apart),
/// dates as dates.
fn attributes(
    duck: &duckdb::Connection,
    json: Option<String>,
) -> anyhow::Result<Vec<(String, String)>> {
    let map: serde_json::Map<String, serde_json::Value> = json
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default();
    let mut stmt = duck.prepare(
        "SELECT name FROM outbox.outbox_ticket_type_attributes WHERE data_type = 'datetime'",
    )?;
    let dates = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<std::collections::HashSet<_>, _>>()?;
    Ok(map
        .into_iter()
        .filter(|(k, _)| !k.starts_with("_default_"))
        .map(|(k, v)| {
            let shown = match &v {
                serde_json::Value::String(s) => s.clone(),
                n if dates.contains(&k) => when(n).unwrap_or_else(|| n.to_string()),
                other => other.to_string(),
            };
            (k, shown)
        })
        .collect())
}

/// The parameters of a query of one ticket: its id ($1), and for the read-back its target ($2).
fn params(ticket_id: i64, shown: Shown, target: &str) -> Vec<duckdb::types::Value> {
    let mut values = vec![duckdb::types::Value::BigInt(ticket_id)];
    if shown == Shown::Intercom {
        values.push(duckdb::types::Value::Text(target.to_string()));
    }
    values
}

/// The Intercom side's header: the ticket as the load creates it, or as verify read it back.
fn intercom_head(
    duck: &duckdb::Connection,
    ticket_id: i64,
    shown: Shown,
    target: &str,
) -> anyhow::Result<Option<minijinja::Value>> {
    let sql = match shown {
        Shown::Outbox => {
            "SELECT o.payload->>'$.ticket_attributes._default_title_', c.payload->>'name',
                    c.payload->>'email', co.payload->>'name', a.name, tm.name, o.state_category,
                    o.tag, (o.payload->'ticket_attributes')::VARCHAR
             FROM outbox.outbox_tickets o
             LEFT JOIN outbox.outbox_contacts c ON c.external_id = o.contact_external_id
             LEFT JOIN outbox.outbox_companies co ON co.company_id = o.company_id
             LEFT JOIN raw_intercom.admin a ON a.id = o.assignee_admin_id
             LEFT JOIN raw_intercom.team tm ON tm.id = o.team_id
             WHERE o.ticket_id = $1"
        }
        // Intercom's answer names contacts and admins by id: named here as the outbox and the
        // workspace pull know them.
        Shown::Intercom => {
            "WITH r AS (
                 SELECT body FROM load.readback WHERE object_type = 'ticket' AND $2 = 'main'
                     AND source_key = (SELECT number FROM staging.stg_tickets WHERE ticket_id = $1)
                 UNION ALL
                 SELECT body FROM load.sample_readback WHERE object_type = 'ticket' AND $2 = 'sample'
                     AND source_key = (SELECT number FROM staging.stg_tickets WHERE ticket_id = $1))
             SELECT r.body->>'$.ticket_attributes._default_title_', coalesce(c.payload->>'name', r.body->>'$.contacts.contacts[0].external_id'),
                    c.payload->>'email', NULL::VARCHAR, a.name, tm.name, r.body->>'$.ticket_state.category',
                    NULL::VARCHAR, (r.body->'ticket_attributes')::VARCHAR
             FROM r
             LEFT JOIN outbox.outbox_contacts c ON c.external_id = r.body->>'$.contacts.contacts[0].external_id'
             LEFT JOIN raw_intercom.admin a ON a.id = r.body->>'admin_assignee_id'
             LEFT JOIN raw_intercom.team tm ON tm.id = r.body->>'team_assignee_id'
             LIMIT 1"
        }
    };
    let mut stmt = duck.prepare(sql)?;
    let mut rows = stmt.query(duckdb::params_from_iter(params(ticket_id, shown, target)))?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(context! {
        title => r.get::<_, Option<String>>(0)?, contact => r.get::<_, Option<String>>(1)?,
        email => r.get::<_, Option<String>>(2)?, company => r.get::<_, Option<String>>(3)?,
        assignee => r.get::<_, Option<String>>(4)?, team => r.get::<_, Option<String>>(5)?,
        state => r.get::<_, Option<String>>(6)?, tag => r.get::<_, Option<String>>(7)?,
        attributes => attributes(duck, r.get(8)?)?,
    }))
}

/// One ticket side by side, one page of its lines.
pub fn ticket(
    duck: &duckdb::Connection,
    ticket_id: i64,
    page: i64,
    shown: Shown,
    reviewer: &str,
    notice: Option<&str>,
) -> anyhow::Result<String> {
    // The osTicket side's header: as osTicket's ticket view shows it.
    let source = duck.query_row(
        "SELECT t.number, coalesce(t.subject, ''), t.status, t.state, t.priority_label, t.source,
                strftime(t.created, '%Y-%m-%d %H:%M'), u.name, u.email, o.name, d.full_name,
                s.name, h.full_name
         FROM staging.stg_tickets t
         LEFT JOIN staging.stg_users u ON u.user_id = t.user_id
         LEFT JOIN staging.stg_organizations o ON o.org_id = u.org_id
         LEFT JOIN staging.stg_departments d ON d.dept_id = t.dept_id
         LEFT JOIN staging.stg_staff s ON s.staff_id = t.staff_id
         LEFT JOIN staging.stg_help_topics h ON h.topic_id = t.topic_id
         WHERE t.ticket_id = ?",
        [ticket_id],
        |r| {
            Ok(context! {
                number => r.get::<_, String>(0)?, subject => r.get::<_, String>(1)?,
                status => r.get::<_, Option<String>>(2)?, state => r.get::<_, Option<String>>(3)?,
                priority => r.get::<_, Option<String>>(4)?, channel => r.get::<_, Option<String>>(5)?,
                created => r.get::<_, Option<String>>(6)?, user => r.get::<_, Option<String>>(7)?,
                email => r.get::<_, Option<String>>(8)?, organization => r.get::<_, Option<String>>(9)?,
                department => r.get::<_, Option<String>>(10)?, agent => r.get::<_, Option<String>>(11)?,
                topic => r.get::<_, Option<String>>(12)?,
            })
        },
    )?;
    let read = read_back(duck, ticket_id)?;
    // Intercom's side as read back only where verify read this ticket.
    let shown = if read.is_some() { shown } else { Shown::Outbox };
    let target = read.as_ref().map_or("", |(t, _)| t.as_str()).to_string();
    let intercom = intercom_head(duck, ticket_id, shown, &target)?;
    let review = duck.query_row(
        "SELECT coalesce(why, 'not under review: opened by number'), outcome, payload_sha256,
                status, entries, lines_differing
         FROM reports.rpt_review_tickets WHERE ticket_id = ?",
        [ticket_id],
        |r| {
            Ok(context! {
                why => r.get::<_, String>(0)?, outcome => r.get::<_, String>(1)?,
                payload_sha256 => r.get::<_, String>(2)?, status => r.get::<_, String>(3)?,
                entries => r.get::<_, i64>(4)?, lines_differing => r.get::<_, i64>(5)?,
            })
        },
    )?;
    // The lines: the thread beside the outbox, or beside the read-back (which adds the parts
    // Intercom holds that no line sent, after the last line).
    let from = match shown {
        Shown::Outbox => {
            "SELECT line, source_kind, source_author, source_at, source_title, source_html,
                    source_internal, source_files, origin_number, intercom_kind, intercom_author,
                    intercom_at, intercom_html, intercom_public, intercom_files, aside, differences
             FROM reports.rpt_review_thread WHERE ticket_id = $1"
        }
        Shown::Intercom => {
            "SELECT b.line, t.source_kind, t.source_author, t.source_at, t.source_title,
                    t.source_html, t.source_internal,
                    coalesce(t.source_files, []::STRUCT(name VARCHAR, data VARCHAR)[]) AS source_files,
                    t.origin_number, b.readback_kind AS intercom_kind,
                    b.readback_author AS intercom_author, b.readback_at AS intercom_at,
                    b.readback_html AS intercom_html, b.part_type IN ('comment', 'open') AS intercom_public,
                    b.readback_files AS intercom_files, t.aside,
                    coalesce(t.differences, []) || b.readback_differences AS differences
             FROM reports.rpt_review_readback b
             LEFT JOIN reports.rpt_review_thread t ON t.ticket_id = b.ticket_id AND t.line = b.line
             WHERE b.ticket_id = $1 AND b.target = $2"
        }
    };
    let total: i64 = duck.query_row(
        &format!("SELECT count(*) FROM ({from})"),
        duckdb::params_from_iter(params(ticket_id, shown, &target)),
        |r| r.get(0),
    )?;
    let pages = ((total + LINES_PER_PAGE - 1) / LINES_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let mut stmt = duck.prepare(&format!(
        "SELECT line, source_kind, source_author, strftime(source_at, '%Y-%m-%d %H:%M:%S'),
                source_title, source_html, source_internal, to_json(source_files)::VARCHAR,
                origin_number, intercom_kind, intercom_author,
                strftime(intercom_at, '%Y-%m-%d %H:%M:%S'), intercom_html, intercom_public,
                to_json(intercom_files)::VARCHAR, aside, to_json(differences)::VARCHAR
         FROM ({from})
         ORDER BY line LIMIT {LINES_PER_PAGE} OFFSET {}",
        (page - 1) * LINES_PER_PAGE
    ))?;
    let lines = stmt
        .query_map(
            duckdb::params_from_iter(params(ticket_id, shown, &target)),
            |r| {
                Ok(Line {
                    line: r.get(0)?,
                    source_kind: r.get(1)?,
                    source_author: r.get(2)?,
                    source_at: r.get(3)?,
                    source_title: r.get(4)?,
                    source_html: r.get(5)?,
                    source_internal: r.get(6)?,
                    source_files: list_of(r.get(7)?),
                    origin_number: r.get(8)?,
                    intercom_kind: r.get(9)?,
                    intercom_author: r.get(10)?,
                    intercom_at: r.get(11)?,
                    intercom_html: r.get(12)?,
                    intercom_public: r.get(13)?,
                    intercom_files: list_of(r.get(14)?),
                    aside: r.get(15)?,
                    differences: list_of(r.get(16)?),
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = duck.prepare(
        "SELECT verdict, comment, reviewer, strftime(decided_at, '%Y-%m-%d %H:%M'),
                payload_sha256, shown
         FROM review.decision WHERE ticket_id = ? ORDER BY decision_id DESC",
    )?;
    let decisions = stmt
        .query_map([ticket_id], |r| {
            Ok(Decision {
                verdict: r.get(0)?,
                comment: r.get(1)?,
                reviewer: r.get(2)?,
                decided_at: r.get(3)?,
                payload_sha256: r.get(4)?,
                shown: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let read = read.map(|(target, at)| {
        context! {
            at => at,
            workspace => if target == "main" { "the workspace" } else { "the rehearsal's sandbox" },
        }
    });
    render(
        "ticket.html",
        context! {
            source => source, intercom => intercom, review => review, lines => lines,
            decisions => decisions, page => page, pages => pages, total => total,
            reviewer => reviewer, notice => notice, shown => shown.name(), read => read,
            per_page => LINES_PER_PAGE, frame_head => frame_head(), eager_lines => EAGER_LINES,
        },
    )
}

/// A page that says what went wrong and what to do.
pub fn problem(title: &str, message: &str, hint: &str) -> String {
    render(
        "problem.html",
        context! { title => title, message => message, hint => hint },
    )
    .unwrap_or_else(|e| format!("{message} ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_a_problem_page_escapes_what_it_is_given() {
        for name in ["base.html", "list.html", "ticket.html", "problem.html"] {
            templates().get_template(name).unwrap();
        }
        let page = problem("<b>t</b>", "<script>alert(1)</script>", "h");
        assert!(!page.contains("<script>alert"));
        assert!(page.contains("&lt;script&gt;"));
    }

    #[test]
    fn dates_read_as_dates() {
        assert_eq!(
            when(&serde_json::json!(1765203259)).as_deref(),
            Some("2025-12-08 14:14 UTC")
        );
        assert_eq!(when(&serde_json::json!("x")), None);
    }
}
