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

use base64::Engine;
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
        id: "underscore_in_attribute_names",
        question: "May a data attribute's name hold an underscore?",
        creates: "one contact data attribute, ostmig_probe_underscore, archived at once (Intercom cannot delete one; a later probe finds it and creates no other)",
        decides: "`ostmig check` refuses mapped attribute names with _ where the answer is no (probe_attribute_names_refused)",
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
    Question {
        id: "ticket_search_lag_seconds",
        question: "How long is a new ticket invisible to search?",
        creates: "nothing more: the participants question's ticket, searched for by its contact",
        decides: "the load's search window after a lost ticket create (at least 3 × the longer lag)",
    },
    Question {
        id: "contact_reply_files",
        question: "Can a contact's reply on a ticket carry files (POST /conversations/{id}/reply)?",
        creates: "a reply from the ticket's contact with one small text file, read back (deleted with the ticket)",
        decides: "yes: a customer's files arrive on their own message; no: in an admin note right after it",
    },
    Question {
        id: "largest_request_bytes",
        question: "How many bytes of base64 files does one request take?",
        creates: "admin notes on the ticket with one file each, 1 MiB, 2 MiB, … up to --max-request-mb, until one is refused (deleted with the ticket)",
        decides: "the load's files per request: attachments.request_bytes, lowered to this when smaller",
    },
];

/// What a person checks and records (`ostmig probe --answer`): no API call can tell.
pub const BY_HAND: &[Question] = &[Question {
    id: "notes_hidden_from_customers",
    question: "Are internal notes hidden from customers on this workspace's plan?",
    creates: "nothing: check the plan (Settings › Billing; on Starter/Essential plans notes can be visible to customers) and record it with --answer notes_hidden_from_customers=yes --by NAME",
    decides: "`ostmig check` refuses a load that posts osTicket's internal notes until the answer is yes (notes_visibility_unconfirmed), unless [notes] policy = \"skip\"",
}];

/// Record answers a person gave (`QUESTION=yes|no`, questions of [`BY_HAND`]) with who gave
/// them; nothing is sent anywhere.
pub fn record_by_hand(
    db: &std::path::Path,
    url: &str,
    given: &[String],
    by: &str,
) -> anyhow::Result<Vec<Answer>> {
    let known = || {
        BY_HAND
            .iter()
            .map(|q| format!("{}=yes|no", q.id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let by = by.trim();
    if by.is_empty() {
        return Err(crate::error::Hinted::new(
            "--answer needs --by: who checked it",
            "for example --by \"Jane Doe, support lead\"",
        )
        .into());
    }
    let mut parsed = Vec::new();
    for g in given {
        let (id, answer) = g.split_once('=').unwrap_or((g, ""));
        let (id, answer) = (id.trim(), answer.trim().to_ascii_lowercase());
        let Some(q) = BY_HAND.iter().find(|q| q.id == id) else {
            return Err(crate::error::Hinted::new(
                format!("--answer {g:?}: no question {id:?} is answered by hand"),
                format!("answer one of {}", known()),
            )
            .into());
        };
        if answer != "yes" && answer != "no" {
            return Err(crate::error::Hinted::new(
                format!("--answer {g:?}: the answer must be yes or no"),
                format!("for example --answer {}=yes", q.id),
            )
            .into());
        }
        parsed.push((q, answer));
    }
    let duck = warehouse::open(db)?;
    let workspace = workspace_of(url);
    let mut out = Vec::new();
    for (q, answer) in parsed {
        let evidence = format!("recorded by hand by {by}");
        out.push(store(&duck, q, &answer, &evidence, &workspace)?);
    }
    Ok(out)
}

/// `answer` to `q` as `probe.result`'s latest, whether an experiment or a person gave it.
fn store(
    duck: &duckdb::Connection,
    q: &Question,
    answer: &str,
    evidence: &str,
    workspace: &str,
) -> anyhow::Result<Answer> {
    duck.execute("DELETE FROM probe.result WHERE question_id = ?", [q.id])?;
    duck.execute(
        "INSERT INTO probe.result VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?)",
        [q.id, q.question, answer, evidence, workspace],
    )?;
    Ok(Answer {
        question_id: q.id.into(),
        question: q.question.into(),
        answer: answer.into(),
        evidence: evidence.into(),
        workspace: workspace.into(),
    })
}

/// The questions asked on the probe's ticket, in the order they run.
const ON_A_TICKET: &[&str] = &[
    "participants_on_tickets",
    "backdated_replies_keep_time",
    "ticket_search_lag_seconds",
    "contact_reply_files",
    "largest_request_bytes",
];

fn question(id: &str) -> &'static Question {
    QUESTIONS
        .iter()
        .find(|q| q.id == id)
        .expect("a question of QUESTIONS")
}

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
    /// The largest request the request-size question tries, in bytes of base64.
    pub max_request_bytes: usize,
}

/// What a run did: the answers, and what it removed, archived (what Intercom cannot delete)
/// or could not remove.
#[derive(Debug, Serialize, Default)]
pub struct Outcome {
    pub answers: Vec<Answer>,
    pub removed: i64,
    pub archived: Vec<String>,
    pub left: Vec<String>,
}

/// The one data attribute the probe ever makes: a fixed name, so a rerun finds it instead of
/// leaving another archived attribute behind.
pub const UNDERSCORE_ATTRIBUTE: &str = "ostmig_probe_underscore";

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
        let asked = probe.ask_all(opts, &mut out).await;
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
                // The attribute's marker is its fixed name: a later run may intend it again.
                "INSERT INTO probe.object (marker, kind, owner_id, intended_at) VALUES (?, ?, ?, now()::TIMESTAMP)
                 ON CONFLICT (marker) DO UPDATE SET kind = excluded.kind, owner_id = excluded.owner_id,
                     intended_at = excluded.intended_at, intercom_id = NULL, removed_at = NULL",
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
        let duck = self.duck.lock().unwrap_or_else(|e| e.into_inner());
        store(&duck, q, answer, evidence, &self.workspace)
    }

    async fn ask_all(&self, opts: &Options, out: &mut Outcome) -> anyhow::Result<()> {
        let deletes = self.deletes_allowed().await?;
        out.answers.push(deletes.clone());
        let underscore = self.underscore(out).await?;
        out.answers.push(underscore);
        out.answers.push(self.search_lag(opts.max_lag).await?);
        let on_ticket = self.on_a_ticket(deletes.answer == "yes", opts).await?;
        out.answers.extend(on_ticket);
        Ok(())
    }

    /// A contact data attribute named with an underscore: accepted or refused? Intercom cannot
    /// delete one, so it is archived at once, and found (by its fixed name) by every later run.
    async fn underscore(&self, out: &mut Outcome) -> anyhow::Result<Answer> {
        let q = question("underscore_in_attribute_names");
        if let Some((id, archived)) = self.underscore_attribute().await? {
            if !archived {
                self.client.archive_data_attribute(&id).await?;
            }
            out.archived.push(format!(
                "contact data attribute {UNDERSCORE_ATTRIBUTE} ({id})"
            ));
            let evidence = format!(
                "the workspace holds data attribute {UNDERSCORE_ATTRIBUTE} ({id}), made by an earlier probe: a name with _ was accepted"
            );
            return self.record(q, "yes", &evidence);
        }
        self.intent(UNDERSCORE_ATTRIBUTE, "data_attribute", None)?;
        let made = self
            .client
            .create_data_attribute(&json!({"name": UNDERSCORE_ATTRIBUTE, "model": "contact",
                "data_type": "string",
                "description": "Made by ostmig probe to learn whether a name may hold _; archived at once"}))
            .await;
        let path = "POST /data_attributes";
        match made {
            Ok(attr) => {
                let id = crate::intercom::id_text(&attr["id"]);
                self.created(UNDERSCORE_ATTRIBUTE, &id)?;
                self.client.archive_data_attribute(&id).await?;
                self.forget(UNDERSCORE_ATTRIBUTE)?;
                out.archived.push(format!(
                    "contact data attribute {UNDERSCORE_ATTRIBUTE} ({id})"
                ));
                let evidence = format!("{path} {UNDERSCORE_ATTRIBUTE} → 200, id {id} (archived)");
                self.record(q, "yes", &evidence)
            }
            Err(e) if e.status.is_some_and(|s| (400..500).contains(&s)) => {
                self.forget(UNDERSCORE_ATTRIBUTE)?;
                self.record(q, "no", &excerpt(path, &e))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The probe's data attribute, if the workspace has it: (id, archived).
    async fn underscore_attribute(&self) -> anyhow::Result<Option<(String, bool)>> {
        let listed = self
            .client
            .call(
                reqwest::Method::GET,
                "/data_attributes?model=contact&include_archived=true",
                None,
            )
            .await?;
        Ok(listed["data"].as_array().and_then(|a| {
            a.iter()
                .find(|a| a["name"] == UNDERSCORE_ATTRIBUTE)
                .map(|a| (crate::intercom::id_text(&a["id"]), a["archived"] == true))
        }))
    }

    async fn deletes_allowed(&self) -> anyhow::Result<Answer> {
        let q = question("deletes_allowed");
        let (answer, evidence) = match self.client.delete_ticket("0").await {
            Err(e) if e.status == Some(403) => ("no", excerpt("DELETE /tickets/0", &e)),
            Err(e) if e.status == Some(404) => ("yes", excerpt("DELETE /tickets/0", &e)),
            Err(e) => ("unknown", excerpt("DELETE /tickets/0", &e)),
            Ok(v) => ("yes", format!("DELETE /tickets/0 → 200 {}", short(&v))),
        };
        self.record(q, answer, &evidence)
    }

    async fn search_lag(&self, max_lag: Duration) -> anyhow::Result<Answer> {
        let q = question("search_lag_seconds");
        let marker = format!("{}-lag", self.run);
        let contact = self.contact(&marker).await?;
        let search = Search {
            path: "/contacts/search",
            by: "external_id",
            value: &marker,
            list: "data",
            what: "contact",
            id: &contact,
        };
        let (answer, evidence) = self.lag(&search, Instant::now(), max_lag).await?;
        self.remove(&marker, "contact", &contact).await?;
        self.record(q, &answer, &evidence)
    }

    /// Search for `s` every half second until it is found or `max_lag` has passed since
    /// `since` (its create): the lag in whole seconds (0 when the first search finds it), or
    /// "more than N", with the evidence.
    async fn lag(
        &self,
        s: &Search<'_>,
        since: Instant,
        max_lag: Duration,
    ) -> anyhow::Result<(String, String)> {
        let query = json!({"query": {"field": s.by, "operator": "=", "value": s.value}});
        let mut tries = 0;
        loop {
            tries += 1;
            let found = self
                .client
                .call(reqwest::Method::POST, s.path, Some(&query))
                .await?;
            let seen = found[s.list]
                .as_array()
                .is_some_and(|d| d.iter().any(|o| o["id"] == s.id));
            let waited = since.elapsed();
            let (path, by, what, id) = (s.path, s.by, s.what, s.id);
            if seen {
                let lag = if tries == 1 {
                    0
                } else {
                    waited.as_secs_f64().ceil() as i64
                };
                return Ok((
                    lag.to_string(),
                    format!(
                        "POST {path} by {by} found {what} {id} after {tries} searches, {:.1} s after its create",
                        waited.as_secs_f64()
                    ),
                ));
            }
            if waited >= max_lag {
                return Ok((
                    format!("more than {}", max_lag.as_secs()),
                    format!(
                        "POST {path} by {by} had not found {what} {id} after {tries} searches over {:.0} s",
                        waited.as_secs_f64()
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_millis(500).min(max_lag.saturating_sub(waited)))
                .await;
        }
    }

    /// The questions that need a ticket ([`ON_A_TICKET`]), asked on one ticket of the
    /// workspace's first Customer type with two contacts, all removed at the end.
    async fn on_a_ticket(&self, deletes: bool, opts: &Options) -> anyhow::Result<Vec<Answer>> {
        let unasked = |why: &str| -> anyhow::Result<Vec<Answer>> {
            ON_A_TICKET
                .iter()
                .map(|id| self.record(question(id), "not probed", why))
                .collect()
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
        let created_at = Instant::now();
        let ticket_id = crate::intercom::id_text(&ticket["id"]);
        self.created(&ticket_marker, &ticket_id)?;
        let on = OnTicket {
            ticket: &ticket,
            id: &ticket_id,
            requester: &requester,
            requester_id: &requester_id,
        };
        let answers = vec![
            self.participants(&on, &other).await?,
            self.backdated(&on).await?,
            self.ticket_search_lag(&on, created_at, opts.max_lag)
                .await?,
            self.contact_reply_files(&on).await?,
            self.largest_request(&on, opts.max_request_bytes).await?,
        ];
        self.remove(&ticket_marker, "ticket", &ticket_id).await?;
        self.remove(&other, "contact", &other_id).await?;
        self.remove(&requester, "contact", &requester_id).await?;
        Ok(answers)
    }

    async fn participants(&self, on: &OnTicket<'_>, other: &str) -> anyhow::Result<Answer> {
        let path = format!("POST /conversations/{}/customers", on.id);
        let (answer, evidence) = match self.client.add_participant(on.id, other, None).await {
            Ok(v) => ("yes", format!("{path} → 200 {}", short(&v))),
            Err(e) if e.status.is_some_and(|s| (400..500).contains(&s)) => {
                ("no", excerpt(&path, &e))
            }
            Err(e) => return Err(e.into()),
        };
        self.record(question("participants_on_tickets"), answer, &evidence)
    }

    /// How long after its create the ticket shows in a search by its contact.
    async fn ticket_search_lag(
        &self,
        on: &OnTicket<'_>,
        since: Instant,
        max_lag: Duration,
    ) -> anyhow::Result<Answer> {
        let search = Search {
            path: "/tickets/search",
            by: "contact_ids",
            value: on.requester_id,
            list: "tickets",
            what: "ticket",
            id: on.id,
        };
        let (answer, evidence) = self.lag(&search, since, max_lag).await?;
        self.record(question("ticket_search_lag_seconds"), &answer, &evidence)
    }

    /// A reply from the ticket's own contact with one small file, through the conversations
    /// endpoint (the tickets endpoint's contact reply has no `attachment_files`), read back:
    /// is the file on the part?
    async fn contact_reply_files(&self, on: &OnTicket<'_>) -> anyhow::Result<Answer> {
        let q = question("contact_reply_files");
        let name = format!("{}.txt", self.run);
        let reply = json!({"message_type": "comment", "type": "user", "user_id": on.requester,
                           "body": "<p>ostmig probe: a customer's reply with a file</p>",
                           "skip_notifications": true,
                           "attachment_files": [{"content_type": "text/plain", "name": name,
                               "data": base64::engine::general_purpose::STANDARD.encode("ostmig probe\n")}]});
        let path = format!("POST /conversations/{}/reply", on.id);
        let sent = self
            .client
            .call(
                reqwest::Method::POST,
                &format!("/conversations/{}/reply", on.id),
                Some(&reply),
            )
            .await;
        if let Err(e) = sent {
            return match e.status {
                Some(s) if (400..500).contains(&s) => self.record(q, "no", &excerpt(&path, &e)),
                _ => Err(e.into()),
            };
        }
        let read = self.client.get_ticket(on.id).await?;
        let parts = read["ticket_parts"]["ticket_parts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let reply_part = parts.iter().rev().find(|p| {
            p["part_type"] != "note"
                && crate::intercom::live::body_text(p["body"].as_str().unwrap_or_default())
                    .contains("a customer's reply with a file")
        });
        let (answer, evidence) = match reply_part {
            Some(p)
                if p["attachments"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|f| f["name"] == name.as_str())) =>
            {
                (
                    "yes",
                    format!("{path} → 200; read back, part {} carries {name}", p["id"]),
                )
            }
            Some(p) => (
                "no",
                format!(
                    "{path} → 200, but part {} read back with no file: Intercom dropped it",
                    p["id"]
                ),
            ),
            None => (
                "no",
                format!(
                    "{path} → 200, but no reply from the contact was among the ticket's parts when read back"
                ),
            ),
        };
        self.record(q, answer, &evidence)
    }

    /// Admin notes with one file each, of 1 MiB of base64, then twice that, … up to `max`,
    /// until one is refused: the largest accepted is how much one request may carry.
    async fn largest_request(&self, on: &OnTicket<'_>, max: usize) -> anyhow::Result<Answer> {
        let q = question("largest_request_bytes");
        let Some(admin) = self.admin().await? else {
            return self.record(
                q,
                "not probed",
                "the workspace lists no admin to post a note as",
            );
        };
        let mut size = 1024 * 1024;
        let mut accepted: Option<usize> = None;
        let mut tried = Vec::new();
        let refused = loop {
            // Room for the note's own JSON, as in the loader's file notes.
            let base64_len = size - REQUEST_MARGIN;
            let bytes = vec![b'x'; base64_len / 4 * 3];
            let note = json!({"message_type": "note", "type": "admin", "admin_id": admin,
                              "body": format!("<p>ostmig probe: {} bytes of files in one request</p>", base64_len),
                              "skip_notifications": true,
                              "attachment_files": [{"content_type": "application/octet-stream",
                                  "name": format!("{}-{size}.bin", self.run),
                                  "data": base64::engine::general_purpose::STANDARD.encode(&bytes)}]});
            let path = format!("/tickets/{}/reply", on.id);
            match self
                .client
                .call(reqwest::Method::POST, &path, Some(&note))
                .await
            {
                Ok(_) => {
                    tried.push(format!("{} accepted", mib(base64_len)));
                    accepted = Some(base64_len);
                }
                Err(e) if e.status.is_some_and(|s| (400..500).contains(&s)) => {
                    break Some(format!("{} refused: {e}", mib(base64_len)));
                }
                Err(e) => return Err(e.into()),
            }
            if size >= max {
                break None;
            }
            size = (size * 2).min(max);
        };
        let evidence = format!(
            "admin notes on POST /tickets/{}/reply with one file of base64: {}{}",
            on.id,
            tried.join(", "),
            match &refused {
                Some(r) => format!("; {r}"),
                None => format!(
                    "; nothing larger tried (--max-request-mb {})",
                    max / (1024 * 1024)
                ),
            }
        );
        match accepted {
            Some(n) => self.record(q, &n.to_string(), &evidence),
            None => self.record(q, "0", &evidence),
        }
    }

    async fn admin(&self) -> anyhow::Result<Option<String>> {
        let admins = self.client.list_admins().await?;
        Ok(admins["admins"]
            .as_array()
            .and_then(|a| a.first())
            .map(|a| crate::intercom::id_text(&a["id"])))
    }

    /// A note dated a day before its ticket, read back: does it keep that time?
    async fn backdated(&self, on: &OnTicket<'_>) -> anyhow::Result<Answer> {
        let (ticket, ticket_id) = (on.ticket, on.id);
        let q = question("backdated_replies_keep_time");
        let Some(admin) = self.admin().await? else {
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
                          "admin_id": admin,
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
            // Intercom cannot delete a data attribute: archived, it stays listed.
            "data_attribute" => self.client.archive_data_attribute(id).await,
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
                    // and an attribute by its name at once; a ticket's absence is trusted once a
                    // whole search window has passed since it was sent.
                    if kind != "ticket" || age >= window.as_secs_f64() {
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
        if kind == "data_attribute" {
            return Ok(self.underscore_attribute().await?.map(|(id, _)| id));
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

/// A search that should find object `id` (`what`): `POST path` by `by` = `value`, the
/// answer's objects under `list`.
struct Search<'a> {
    path: &'a str,
    by: &'a str,
    value: &'a str,
    list: &'a str,
    what: &'a str,
    id: &'a str,
}

/// The probe's ticket and its contact, for the questions asked on it.
struct OnTicket<'a> {
    ticket: &'a Value,
    id: &'a str,
    /// The contact's external_id (its marker) and Intercom id.
    requester: &'a str,
    requester_id: &'a str,
}

/// Bytes of a request-size probe left for the note's JSON around its file: the loader's file
/// notes (a line of text, up to 10 names and content types) stay well inside it.
const REQUEST_MARGIN: usize = 4096;

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// The request and Intercom's answer (an error already names its request).
fn excerpt(request: &str, e: &ApiError) -> String {
    let said = e.to_string();
    if said.starts_with(request.split(' ').next().unwrap_or(request)) {
        said
    } else {
        format!("{request} → {said}")
    }
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

/// The search window the probed lags call for (3 × the longer of the contact and the ticket
/// lag), if one was measured.
pub fn search_window(db: &std::path::Path) -> anyhow::Result<Option<Duration>> {
    let lag = |q: &str| -> anyhow::Result<Option<f64>> {
        Ok(answer(db, q)?.and_then(|a| a.parse::<f64>().ok()))
    };
    let lags = [
        lag("search_lag_seconds")?,
        lag("ticket_search_lag_seconds")?,
    ];
    Ok(lags
        .into_iter()
        .flatten()
        .reduce(f64::max)
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
    crate::out!("checked by a person, recorded with --answer QUESTION=yes|no --by NAME:");
    crate::out!("{}", crate::ui::columns(COLUMNS, BY_HAND));
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
