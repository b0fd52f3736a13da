//! `ostmig probe`: settle on the customer's sandbox what the live API does where nobody knows
//! (the errata marked unconfirmed), before a single record moves, instead of guessing.
//!
//! Each question is a small experiment of a few calls. What an experiment creates carries an
//! `ostmig-probe-` marker and is written to `probe.object` before it is created (intent) and
//! when it is removed, so a run killed half-way is cleaned up by the next one. The answers go to
//! `probe.result` (question, answer, evidence, when, against which workspace); `ostmig check`
//! and the load read them there.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use crate::intercom::client::{ApiError, Client};
use crate::warehouse;

/// What every object the probe creates is named or keyed by.
pub const MARKER: &str = "ostmig-probe-";

/// One experiment: what it asks, what it creates (and removes), and what its answer decides.
#[derive(Debug, Serialize)]
pub struct Question {
    pub id: &'static str,
    pub question: &'static str,
    pub creates: &'static str,
    pub decides: &'static str,
}

/// In the order they run: a ticket is only created once deletes are known to be allowed, so
/// that it can be removed.
pub const QUESTIONS: &[Question] = &[
    Question {
        id: "deletes_allowed",
        question: "Does this workspace allow ticket deletes?",
        creates: "nothing: it deletes a ticket that cannot exist (403 on plans without deletes, 404 elsewhere)",
        decides: "whether `ostmig rollback` can undo tickets; the participants question needs it",
    },
    Question {
        id: "search_lag_seconds",
        question: "How long is a new contact invisible to search?",
        creates: "one contact (external_id ostmig-probe-…-lag, e-mail at example.com), deleted",
        decides: "the load's search window after a lost answer (at least 3 × the lag)",
    },
    Question {
        id: "participants_on_tickets",
        question: "Can a contact be added as a participant of a ticket?",
        creates: "two contacts and one ticket of the workspace's first Customer ticket type (skip_notifications), deleted",
        decides: "participants = \"add\" or \"notes\" (`ostmig check` refuses \"add\" when the answer is no)",
    },
    Question {
        id: "backdated_replies_keep_time",
        question: "Does a reply dated before its ticket keep its created_at?",
        creates: "a note on the participants question's ticket, dated a day before it (deleted with it)",
        decides: "where it does not, `ostmig transform` writes each entry's osTicket time into its body",
    },
];

/// One answer, as `probe.result` holds it.
#[derive(Debug, Serialize, Clone)]
pub struct Answer {
    pub question_id: String,
    pub question: String,
    pub answer: String,
    pub evidence: String,
    pub workspace: String,
}

pub struct Options {
    pub db: PathBuf,
    pub url: String,
    /// The longest wait for a new contact to show in search.
    pub max_lag: Duration,
}

/// What a run did: the answers, and what it removed or could not remove.
#[derive(Debug, Serialize, Default)]
pub struct Outcome {
    pub answers: Vec<Answer>,
    pub removed: i64,
    pub left: Vec<String>,
}

pub fn run(opts: &Options) -> anyhow::Result<Outcome> {
    let client = Client::new(&opts.url, crate::settings::intercom_token()?, 2)?;
    let duck = warehouse::open(&opts.db)?;
    crate::block_on(client.reachable())?;
    let run = format!("{MARKER}{}", chrono::Utc::now().format("%Y%m%d%H%M%S%3f"));
    let probe = Probe {
        client,
        duck: std::sync::Mutex::new(duck),
        run,
        workspace: workspace_of(&opts.url),
    };
    crate::block_on(async {
        // What a killed run left goes first; what this one made goes even when it fails.
        let mut out = Outcome::default();
        probe.clean(opts.max_lag, &mut out).await?;
        let asked = probe.ask_all(opts.max_lag, &mut out).await;
        let cleaned = probe.clean(opts.max_lag, &mut out).await;
        asked?;
        cleaned?;
        Ok::<_, anyhow::Error>(out)
    })
}

/// The workspace as the probe names it: the API's host (never the token).
fn workspace_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or(url)
        .to_string()
}

struct Probe {
    client: Client,
    duck: std::sync::Mutex<duckdb::Connection>,
    run: String,
    workspace: String,
}

impl Probe {
    fn db<T>(&self, f: impl FnOnce(&duckdb::Connection) -> duckdb::Result<T>) -> anyhow::Result<T> {
        Ok(f(&self.duck.lock().unwrap_or_else(|e| e.into_inner()))?)
    }

    /// Written before the create: a run killed before the answer still knows to look.
    fn intent(&self, marker: &str, kind: &str, owner: Option<&str>) -> anyhow::Result<()> {
        self.db(|c| {
            c.execute(
                "INSERT INTO probe.object (marker, kind, owner_id, intended_at) VALUES (?, ?, ?, now()::TIMESTAMP)",
                duckdb::params![marker, kind, owner],
            )
        })?;
        Ok(())
    }

    fn created(&self, marker: &str, id: &str) -> anyhow::Result<()> {
        self.db(|c| {
            c.execute(
                "UPDATE probe.object SET intercom_id = ? WHERE marker = ?",
                [id, marker],
            )
        })?;
        Ok(())
    }

    fn record(&self, q: &Question, answer: &str, evidence: &str) -> anyhow::Result<Answer> {
        self.db(|c| {
            c.execute("DELETE FROM probe.result WHERE question_id = ?", [q.id])?;
            c.execute(
                "INSERT INTO probe.result VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?)",
                [q.id, q.question, answer, evidence, self.workspace.as_str()],
            )
        })?;
        Ok(Answer {
            question_id: q.id.into(),
            question: q.question.into(),
            answer: answer.into(),
            evidence: evidence.into(),
            workspace: self.workspace.clone(),
        })
    }

    async fn ask_all(&self, max_lag: Duration, out: &mut Outcome) -> anyhow::Result<()> {
        let deletes = self.deletes_allowed().await?;
        out.answers.push(deletes.clone());
        out.answers.push(self.search_lag(max_lag).await?);
        let (participants, backdated) = self.on_a_ticket(deletes.answer == "yes").await?;
        out.answers.push(participants);
        out.answers.push(backdated);
        Ok(())
    }

    async fn deletes_allowed(&self) -> anyhow::Result<Answer> {
        let q = &QUESTIONS[0];
        let (answer, evidence) = match self.client.delete_ticket("0").await {
            Err(e) if e.status == Some(403) => ("no", excerpt("DELETE /tickets/0", &e)),
            Err(e) if e.status == Some(404) => ("yes", excerpt("DELETE /tickets/0", &e)),
            Err(e) => ("unknown", excerpt("DELETE /tickets/0", &e)),
            Ok(v) => ("yes", format!("DELETE /tickets/0 → 200 {}", short(&v))),
        };
        self.record(q, answer, &evidence)
    }

    async fn search_lag(&self, max_lag: Duration) -> anyhow::Result<Answer> {
        let q = &QUESTIONS[1];
        let marker = format!("{}-lag", self.run);
        let contact = self.contact(&marker).await?;
        let started = Instant::now();
        let query = json!({"query": {"field": "external_id", "operator": "=", "value": marker}});
        let mut tries = 0;
        let (answer, evidence) = loop {
            tries += 1;
            let found = self
                .client
                .call(reqwest::Method::POST, "/contacts/search", Some(&query))
                .await?;
            let seen = found["data"]
                .as_array()
                .is_some_and(|d| d.iter().any(|c| c["id"] == contact.as_str()));
            let waited = started.elapsed();
            if seen {
                // Found by the first search: no lag to speak of.
                let lag = if tries == 1 {
                    0
                } else {
                    waited.as_secs_f64().ceil() as i64
                };
                break (
                    lag.to_string(),
                    format!(
                        "POST /contacts/search by external_id found contact {contact} after {tries} searches, {:.1} s after its create",
                        waited.as_secs_f64()
                    ),
                );
            }
            if waited >= max_lag {
                break (
                    format!("more than {}", max_lag.as_secs()),
                    format!(
                        "POST /contacts/search by external_id had not found contact {contact} after {tries} searches over {:.0} s",
                        waited.as_secs_f64()
                    ),
                );
            }
            tokio::time::sleep(Duration::from_millis(500).min(max_lag.saturating_sub(waited)))
                .await;
        };
        self.remove(&marker, "contact", &contact).await?;
        self.record(q, &answer, &evidence)
    }

    /// The questions that need a ticket: participants, then a backdated note.
    async fn on_a_ticket(&self, deletes: bool) -> anyhow::Result<(Answer, Answer)> {
        let (q, b) = (&QUESTIONS[2], &QUESTIONS[3]);
        let unasked = |why: &str| -> anyhow::Result<(Answer, Answer)> {
            Ok((
                self.record(q, "not probed", why)?,
                self.record(b, "not probed", why)?,
            ))
        };
        if !deletes {
            return unasked(
                "a probe ticket could not be removed on a workspace that refuses deletes: try on a sandbox that allows them",
            );
        }
        let types = self.client.list_ticket_types().await?;
        let Some(kind) = types["data"].as_array().and_then(|t| {
            t.iter()
                .find(|t| t["category"] == "Customer" && t["archived"] != true)
        }) else {
            return unasked(
                "the workspace has no Customer ticket type yet: run the load's schema phase on the sandbox, then probe again",
            );
        };
        let type_id = crate::intercom::id_text(&kind["id"]);
        let requester = format!("{}-requester", self.run);
        let requester_id = self.contact(&requester).await?;
        let other = format!("{}-participant", self.run);
        let other_id = self.contact(&other).await?;
        let ticket_marker = format!("{}-ticket", self.run);
        self.intent(&ticket_marker, "ticket", Some(&requester_id))?;
        let created = self
            .client
            .call(
                reqwest::Method::POST,
                "/tickets",
                Some(&json!({
                    "ticket_type_id": type_id,
                    "contacts": [{"id": requester_id}],
                    "ticket_attributes": {"_default_title_": ticket_marker,
                                          "_default_description_": "Made by ostmig probe; it deletes it."},
                    "skip_notifications": true})),
            )
            .await;
        let ticket = match created {
            Ok(t) => t,
            Err(e) => {
                // Refused outright: no ticket was made. Lost: the next clean looks for it.
                if e.status.is_some_and(|s| (400..500).contains(&s)) {
                    self.forget(&ticket_marker)?;
                }
                return Err(e.into());
            }
        };
        let ticket_id = crate::intercom::id_text(&ticket["id"]);
        self.created(&ticket_marker, &ticket_id)?;
        let path = format!("POST /conversations/{ticket_id}/customers");
        let (answer, evidence) = match self.client.add_participant(&ticket_id, &other, None).await {
            Ok(v) => ("yes", format!("{path} → 200 {}", short(&v))),
            Err(e) if e.status.is_some_and(|s| (400..500).contains(&s)) => {
                ("no", excerpt(&path, &e))
            }
            Err(e) => return Err(e.into()),
        };
        let participants = self.record(q, answer, &evidence)?;
        let backdated = self.backdated(&ticket, &ticket_id).await?;
        self.remove(&ticket_marker, "ticket", &ticket_id).await?;
        self.remove(&other, "contact", &other_id).await?;
        self.remove(&requester, "contact", &requester_id).await?;
        Ok((participants, backdated))
    }

    /// A note dated a day before its ticket, read back: does it keep that time?
    async fn backdated(&self, ticket: &Value, ticket_id: &str) -> anyhow::Result<Answer> {
        let q = &QUESTIONS[3];
        let admins = self.client.list_admins().await?;
        let Some(admin) = admins["admins"].as_array().and_then(|a| a.first()) else {
            return self.record(
                q,
                "not probed",
                "the workspace lists no admin to post a note as",
            );
        };
        let ticket_time = ticket["created_at"]
            .as_i64()
            .unwrap_or_else(|| chrono::Utc::now().timestamp());
        let sent = ticket_time - 86_400;
        let note = json!({"message_type": "note", "type": "admin",
                          "admin_id": crate::intercom::id_text(&admin["id"]),
                          "body": "<p>ostmig probe: a note dated a day before its ticket</p>",
                          "created_at": sent, "skip_notifications": true});
        let part = self
            .client
            .call(
                reqwest::Method::POST,
                &format!("/tickets/{ticket_id}/reply"),
                Some(&note),
            )
            .await?;
        let read = self.client.get_ticket(ticket_id).await?;
        let got = read["ticket_parts"]["ticket_parts"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["id"] == part["id"]))
            .and_then(|p| p["created_at"].as_i64());
        let said = |t: i64| {
            format!(
                "a note sent with created_at {sent} (a day before its ticket's {ticket_time}) read back with {t}"
            )
        };
        let (answer, evidence) = match got {
            Some(t) if t == sent => ("yes", said(t)),
            Some(t) => ("no", said(t)),
            None => (
                "unknown",
                format!(
                    "the note {} was not among the ticket's parts when read back",
                    part["id"]
                ),
            ),
        };
        self.record(q, answer, &evidence)
    }

    /// A contact keyed by `marker`, at an address nobody receives.
    async fn contact(&self, marker: &str) -> anyhow::Result<String> {
        self.intent(marker, "contact", None)?;
        let made = match self
            .client
            .create_contact(&json!({"role": "user", "external_id": marker,
                                    "email": format!("{marker}@example.com"),
                                    "name": "ostmig probe (deleted by the probe)"}))
            .await
        {
            Ok(made) => made,
            Err(e) => {
                if e.status.is_some_and(|s| (400..500).contains(&s)) {
                    self.forget(marker)?;
                }
                return Err(e.into());
            }
        };
        let id = crate::intercom::id_text(&made["id"]);
        self.created(marker, &id)?;
        Ok(id)
    }

    /// An object that was never made (its create was refused, or never arrived).
    fn forget(&self, marker: &str) -> anyhow::Result<()> {
        self.db(|c| {
            c.execute(
                "UPDATE probe.object SET removed_at = now()::TIMESTAMP WHERE marker = ?",
                [marker],
            )
        })?;
        Ok(())
    }

    async fn remove(&self, marker: &str, kind: &str, id: &str) -> anyhow::Result<()> {
        let result = match kind {
            "ticket" => self.client.delete_ticket(id).await,
            _ => self.client.delete_contact(id).await,
        };
        match result {
            Ok(_)
            | Err(ApiError {
                status: Some(404), ..
            }) => self.forget(marker),
            Err(e) => Err(e.into()),
        }
    }

    /// Remove what earlier runs (or this one) created and did not remove: by id, or, when a
    /// run died before the answer, by its marker (a contact by external_id, a ticket by its
    /// requester). What cannot be removed yet stays listed for the next run.
    async fn clean(&self, window: Duration, out: &mut Outcome) -> anyhow::Result<()> {
        type Pending = (String, String, Option<String>, Option<String>, f64);
        let pending: Vec<Pending> = self.db(|c| {
            let mut stmt = c.prepare(
                "SELECT marker, kind, intercom_id, owner_id, epoch(now()::TIMESTAMP) - epoch(intended_at)
                 FROM probe.object WHERE removed_at IS NULL ORDER BY kind = 'contact', intended_at",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        for (marker, kind, id, owner, age) in pending {
            let id = match id {
                Some(id) => Some(id),
                None => self.find(&kind, &marker, owner.as_deref()).await?,
            };
            match id {
                Some(id) => match self.remove(&marker, &kind, &id).await {
                    Ok(()) => out.removed += 1,
                    Err(e) => out.left.push(format!("{kind} {marker} ({id}): {e:#}")),
                },
                None => {
                    // Never created, or not searchable yet: a contact is found by external_id
                    // at once; a ticket's absence is trusted once a whole search window has
                    // passed since it was sent.
                    if kind == "contact" || age >= window.as_secs_f64() {
                        self.forget(&marker)?;
                    } else {
                        out.left.push(format!(
                            "{kind} {marker}: not found yet (search lags); a run {:.0} s from now looks again",
                            window.as_secs_f64() - age
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    async fn find(
        &self,
        kind: &str,
        marker: &str,
        owner: Option<&str>,
    ) -> anyhow::Result<Option<String>> {
        if kind == "contact" {
            return Ok(self
                .client
                .find_contact(marker)
                .await?
                .map(|c| crate::intercom::id_text(&c["id"])));
        }
        let Some(owner) = owner else {
            return Ok(None);
        };
        let found = self
            .client
            .call(
                reqwest::Method::POST,
                "/tickets/search",
                Some(&json!({"query": {"field": "contact_ids", "operator": "=", "value": owner}})),
            )
            .await?;
        Ok(found["tickets"]
            .as_array()
            .and_then(|t| t.first())
            .map(|t| crate::intercom::id_text(&t["id"])))
    }
}

fn excerpt(request: &str, e: &ApiError) -> String {
    format!("{request} → {e}")
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    text.chars().take(160).collect()
}

/// The latest answer to `question_id`, if the probe asked it.
pub fn answer(db: &std::path::Path, question_id: &str) -> anyhow::Result<Option<String>> {
    let duck = warehouse::open(db)?;
    let found = duck
        .query_row(
            "SELECT answer FROM probe.result WHERE question_id = ?",
            [question_id],
            |r| r.get::<_, String>(0),
        )
        .ok();
    Ok(found)
}

/// The search window the probed lag calls for (3 × the lag), if it was measured.
pub fn search_window(db: &std::path::Path) -> anyhow::Result<Option<Duration>> {
    Ok(answer(db, "search_lag_seconds")?
        .and_then(|a| a.parse::<f64>().ok())
        .map(|lag| Duration::from_secs_f64(3.0 * lag)))
}

pub fn print_plan() {
    use crate::ui::Column;
    const COLUMNS: &[Column<Question>] = &[
        ("question", |q| q.question.to_string()),
        ("creates (and removes)", |q| q.creates.to_string()),
        ("decides", |q| q.decides.to_string()),
    ];
    crate::out!("{}", crate::ui::columns(COLUMNS, QUESTIONS));
}

pub fn print(out: &Outcome) {
    use crate::ui::Column;
    const COLUMNS: &[Column<Answer>] = &[
        ("question", |a| a.question.clone()),
        ("answer", |a| a.answer.clone()),
        ("evidence", |a| a.evidence.clone()),
    ];
    crate::out!("{}", crate::ui::columns(COLUMNS, &out.answers));
}
