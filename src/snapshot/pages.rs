//! `snapshot --pages URL`: download each ticket's staff page from a running osTicket, for the
//! no-database fallback. Logs into the staff panel as an agent (`--agent`, password in
//! `OSTMIG_AGENT_PASSWORD`), then fetches `scp/tickets.php?number=N` for every ticket number of
//! the staging file's snapshot (the ticket export lists them), politely: a few requests at a
//! time, a bounded rate, retries with backoff on server errors, one new login when the session
//! expires.
//!
//! Writes: `raw_pages.page` (number, url, HTTP status, time, the page as served, or why there is
//! none) and `raw_pages.file` (every file a page links to, fetched with the same session, or why
//! not: signed links expire), in one transaction; after a CSV snapshot the fetched files also
//! become `raw.file`/`raw.file_chunk` rows (id = the attachment id), so `split --pages` gives
//! them to the load like a database's files. Files that could not be fetched stay listed.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::Mutex;

use crate::error::{Hinted, hinted};
use crate::split::rendered;
use crate::warehouse;

use crate::settings::ENV_AGENT_PASSWORD;

pub struct Options {
    /// The help desk's address, e.g. https://help.example.com/ (the folder holding scp/).
    pub url: String,
    pub db: PathBuf,
    pub agent: Option<String>,
    pub concurrency: usize,
    pub per_second: f64,
    pub progress: bool,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub tickets: usize,
    pub pages: usize,
    pub files: usize,
    /// (ticket number, file name, why it was not downloaded)
    pub missing_files: Vec<(String, String, String)>,
    /// (ticket number, why it has no page)
    pub missing: Vec<(String, String)>,
    pub seconds: f64,
}

/// A file a downloaded page links to, fetched with the same session.
struct Fetched {
    attachment_id: i64,
    number: String,
    name: String,
    url: String,
    status: Option<u16>,
    content_type: Option<String>,
    bytes: Option<Vec<u8>>,
    problem: Option<String>,
}

/// The staff panel session: its cookies, and how to log in again.
struct Session {
    http: reqwest::Client,
    base: url::Url,
    agent: Option<(String, crate::settings::Secret)>,
    cookies: Mutex<HashMap<String, String>>,
    /// The earliest moment the next request may start (the rate limit).
    next_slot: Mutex<Instant>,
    interval: Duration,
}

impl Session {
    fn scp(&self, path: &str) -> anyhow::Result<url::Url> {
        Ok(self.base.join("scp/")?.join(path)?)
    }

    async fn cookie_header(&self) -> String {
        let jar = self.cookies.lock().await;
        jar.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep_cookies(&self, resp: &reqwest::Response) {
        let mut jar = self.cookies.lock().await;
        for v in resp.headers().get_all(reqwest::header::SET_COOKIE) {
            if let Some((k, v)) = v
                .to_str()
                .ok()
                .and_then(|c| c.split(';').next())
                .and_then(|kv| kv.split_once('='))
            {
                jar.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
    }

    /// Wait for this request's turn under the rate limit.
    async fn pace(&self) {
        let wait = {
            let mut next = self.next_slot.lock().await;
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + self.interval;
            at - now
        };
        tokio::time::sleep(wait).await;
    }

    /// One GET or POST, paced, with up to three retries on server errors and lost answers.
    async fn send(
        &self,
        url: url::Url,
        form: Option<&[(&str, &str)]>,
    ) -> anyhow::Result<(u16, Option<String>, String)> {
        let (status, location, _, bytes) = self.send_bytes(url, form).await?;
        Ok((
            status,
            location,
            String::from_utf8_lossy(&bytes).into_owned(),
        ))
    }

    /// `send`, keeping the body as bytes and the answer's content type (for files).
    async fn send_bytes(
        &self,
        url: url::Url,
        form: Option<&[(&str, &str)]>,
    ) -> anyhow::Result<(u16, Option<String>, Option<String>, Vec<u8>)> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.pace().await;
            let mut req = match form {
                Some(f) => self.http.post(url.clone()).form(f),
                None => self.http.get(url.clone()),
            };
            let cookies = self.cookie_header().await;
            if !cookies.is_empty() {
                req = req.header(reqwest::header::COOKIE, cookies);
            }
            let outcome = match req.send().await {
                Ok(resp) => {
                    self.keep_cookies(&resp).await;
                    let status = resp.status().as_u16();
                    let header = |name| {
                        resp.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(String::from)
                    };
                    let location = header(reqwest::header::LOCATION);
                    let kind = header(reqwest::header::CONTENT_TYPE);
                    match resp.bytes().await {
                        Ok(body) if status < 500 => {
                            return Ok((status, location, kind, body.to_vec()));
                        }
                        Ok(_) => format!("HTTP {status}"),
                        Err(e) => format!("the answer was cut: {}", e.without_url()),
                    }
                }
                Err(e) => e.without_url().to_string(),
            };
            if attempt >= 4 {
                anyhow::bail!("{url}: {outcome} (after {attempt} attempts)");
            }
            tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
        }
    }

    /// Log in as the agent: the login form's CSRF token, then the POST osTicket's form sends.
    async fn login(&self) -> anyhow::Result<()> {
        let Some((agent, password)) = &self.agent else {
            return Ok(());
        };
        let url = self.scp("login.php")?;
        let (_, _, form) = self.send(url.clone(), None).await?;
        let token = csrf_token(&form).ok_or_else(|| {
            Hinted::new(
                format!("{url} shows no osTicket staff login form"),
                "check --pages: it is the help desk's address, the folder that holds scp/",
            )
        })?;
        let (status, location, _) = self
            .send(
                url.clone(),
                Some(&[
                    ("__CSRFToken__", token.as_str()),
                    ("do", "scplogin"),
                    ("userid", agent.as_str()),
                    ("passwd", password.expose()),
                ]),
            )
            .await?;
        let redirected_in = (300..400).contains(&status)
            && location
                .as_deref()
                .is_some_and(|l| !l.contains("login.php"));
        if !redirected_in {
            return hinted(
                format!(
                    "the staff panel at {} refused the login of agent '{agent}'",
                    self.base
                ),
                format!(
                    "check the agent name and the password in {ENV_AGENT_PASSWORD} (never on the command line)"
                ),
            );
        }
        Ok(())
    }

    /// The staff page of ticket `number` as served and as parsed, or why there is none.
    async fn ticket_page(
        &self,
        number: &str,
    ) -> (
        String,
        Option<u16>,
        Result<(String, rendered::Page), String>,
    ) {
        let mut url = match self.scp("tickets.php") {
            Ok(u) => u,
            Err(e) => return (String::new(), None, Err(e.to_string())),
        };
        url.query_pairs_mut().append_pair("number", number);
        let shown = url.to_string();
        for relogin in [false, true] {
            if relogin && self.login().await.is_err() {
                break;
            }
            match self.send(url.clone(), None).await {
                Err(e) => return (shown, None, Err(e.to_string())),
                Ok((status, location, _))
                    if (300..400).contains(&status)
                        && location.as_deref().is_some_and(|l| l.contains("login.php")) =>
                {
                    if relogin {
                        return (
                            shown,
                            Some(status),
                            Err("the staff panel asks for a login".into()),
                        );
                    }
                }
                Ok((200, _, body)) => {
                    return match rendered::parse_page(&body) {
                        Some(page) => (shown, Some(200), Ok((body, page))),
                        None => (
                            shown,
                            Some(200),
                            Err("not a ticket page: the agent may not see this ticket, or it no longer exists".into()),
                        ),
                    };
                }
                Ok((status, _, _)) => return (shown, Some(status), Err(format!("HTTP {status}"))),
            }
        }
        (shown, None, Err("the staff panel asks for a login".into()))
    }

    /// Every file `page` links to, each fetched once.
    async fn files_of(&self, number: &str, page: &rendered::Page) -> Vec<Fetched> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for link in page.entries.iter().flat_map(|e| e.links.iter()) {
            let Some(id) = link.attachment_id.filter(|id| seen.insert(*id)) else {
                continue;
            };
            let mut f = Fetched {
                attachment_id: id,
                number: number.to_string(),
                name: link.name.clone(),
                url: link.href.clone(),
                status: None,
                content_type: None,
                bytes: None,
                problem: None,
            };
            match self.base.join(&link.href) {
                Err(e) => f.problem = Some(format!("not a link: {e}")),
                Ok(url) => {
                    f.url = url.to_string();
                    match self.send_bytes(url, None).await {
                        Ok((200, _, kind, bytes)) => {
                            f.status = Some(200);
                            f.content_type =
                                kind.map(|k| k.split(';').next().unwrap_or("").trim().to_string());
                            f.bytes = Some(bytes);
                        }
                        Ok((status, _, _, _)) => {
                            f.status = Some(status);
                            f.problem = Some(format!(
                                "HTTP {status}: the link is not reachable (expired, or the file is gone)"
                            ));
                        }
                        Err(e) => f.problem = Some(e.to_string()),
                    }
                }
            }
            out.push(f);
        }
        out
    }
}

fn csrf_token(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(r#"input[name="__CSRFToken__"]"#).ok()?;
    doc.select(&sel)
        .next()
        .and_then(|i| i.value().attr("value"))
        .map(String::from)
}

pub fn run(opts: Options) -> anyhow::Result<Summary> {
    crate::block_on(run_async(opts))
}

async fn run_async(opts: Options) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let mut base = crate::tls::require_tls_off_loopback(
        &opts.url,
        "--pages",
        "the agent's password and session",
        "https://help.example.com/ (the address that holds scp/)",
    )?;
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    let agent = agent_login(opts.agent.as_deref())?;
    let duck = warehouse::open(&opts.db)?;
    let numbers = ticket_numbers(&duck, &opts.db)?;
    // After a CSV snapshot, downloaded files become the snapshot's files (raw.file and
    // raw.file_chunk, id = the attachment id), so the load uploads them as it uploads a
    // database's; over a database snapshot they are only kept in raw_pages.file.
    let csv = super::csv::latest_is_csv(&duck);
    let http = polite_client()?;
    let session = Arc::new(Session {
        http,
        base,
        agent,
        cookies: Mutex::new(HashMap::new()),
        next_slot: Mutex::new(Instant::now()),
        interval: Duration::from_secs_f64(1.0 / opts.per_second.max(0.01)),
    });
    session.login().await?;

    let bar = progress_bar(opts.progress, numbers.len());
    duck.execute_batch(
        "BEGIN TRANSACTION;
         CREATE SCHEMA IF NOT EXISTS raw_pages;
         CREATE OR REPLACE TABLE raw_pages.page (number VARCHAR, url VARCHAR, http_status INTEGER,
             fetched_at TIMESTAMP, html VARCHAR, problem VARCHAR);
         CREATE OR REPLACE TABLE raw_pages.file (attachment_id BIGINT, number VARCHAR, name VARCHAR,
             url VARCHAR, http_status INTEGER, content_type VARCHAR, size BIGINT, file_id BIGINT, problem VARCHAR);",
    )
    .context("preparing raw_pages.page")?;
    let mut summary = Summary {
        tickets: numbers.len(),
        ..Default::default()
    };
    let written = async {
        let mut results = futures::stream::iter(numbers.iter().cloned())
            .map(|n| {
                let s = session.clone();
                async move {
                    let (url, status, page) = s.ticket_page(&n).await;
                    let files = match &page {
                        Ok((_, parsed)) => s.files_of(&n, parsed).await,
                        Err(_) => Vec::new(),
                    };
                    let page = page.map(|(html, _)| html);
                    (n, url, status, page, files)
                }
            })
            .buffer_unordered(opts.concurrency.max(1));
        let mut app = duck.appender_to_db("page", "raw_pages")?;
        while let Some((number, url, status, page, files)) = results.next().await {
            for f in files {
                store_file(&duck, &f, csv)?;
                match &f.problem {
                    None => summary.files += 1,
                    Some(why) => {
                        summary
                            .missing_files
                            .push((f.number.clone(), f.name.clone(), why.clone()))
                    }
                }
            }
            let now = chrono::Utc::now().naive_utc();
            let (html, problem) = match page {
                Ok(html) => {
                    summary.pages += 1;
                    (Some(html), None)
                }
                Err(why) => {
                    summary.missing.push((number.clone(), why.clone()));
                    (None, Some(why))
                }
            };
            app.append_row(duckdb::params![
                number,
                url,
                status.map(i32::from),
                now,
                html,
                problem
            ])?;
            bar.inc(1);
        }
        app.flush()?;
        anyhow::Ok(())
    }
    .await;
    bar.finish_and_clear();
    match written {
        Ok(()) => duck
            .execute_batch("COMMIT; CHECKPOINT;")
            .context("committing the downloaded pages")?,
        Err(e) => {
            let _ = duck.execute_batch("ROLLBACK");
            return Err(e.context("storing the downloaded pages; the previous pages are unchanged"));
        }
    }
    summary.missing.sort();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// The agent to log in as, with the password from the environment.
fn agent_login(agent: Option<&str>) -> anyhow::Result<Option<(String, crate::settings::Secret)>> {
    Ok(match agent {
        None => None,
        Some(a) => {
            let password = std::env::var(ENV_AGENT_PASSWORD).map_err(|_| {
                Hinted::new(
                    format!("no password for agent '{a}'"),
                    format!(
                        "export {ENV_AGENT_PASSWORD}=… (it is never read from the command line)"
                    ),
                )
            })?;
            Some((a.to_string(), crate::settings::Secret::new(password)))
        }
    })
}

/// The ticket numbers the snapshot lists (a CSV snapshot's ticket export).
fn ticket_numbers(duck: &duckdb::Connection, db: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let mut stmt = duck
        .prepare("SELECT number FROM raw.ticket WHERE number IS NOT NULL ORDER BY number")
        .map_err(|_| {
            Hinted::new(
                format!("{} has no tickets to fetch pages for", db.display()),
                "run `ostmig snapshot --csv EXPORTS` first: the ticket export lists the numbers",
            )
        })?;
    let numbers: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    if numbers.is_empty() {
        return hinted(
            format!("{} holds no ticket numbers", db.display()),
            "run `ostmig snapshot --csv EXPORTS` first: the ticket export lists the numbers",
        );
    }
    Ok(numbers)
}

/// An HTTP client that names itself, follows no redirect (a login page is an answer, not a
/// hop) and gives up on a silent server.
fn polite_client() -> anyhow::Result<reqwest::Client> {
    Ok(crate::tls::client_builder()?
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!(
            "ostmig/",
            env!("CARGO_PKG_VERSION"),
            " (help desk migration)"
        ))
        .build()?)
}

fn progress_bar(shown: bool, pages: usize) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(pages as u64),
        if shown {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template("{prefix:>12} {bar:30} {pos}/{len} pages {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix("ticket pages");
    bar
}

/// Keep one fetched file: its row in raw_pages.file and, after a CSV snapshot, its bytes as a
/// file of the snapshot.
fn store_file(duck: &duckdb::Connection, f: &Fetched, csv: bool) -> anyhow::Result<()> {
    let size = f.bytes.as_ref().map(|b| b.len() as i64);
    let file_id = (csv && f.bytes.is_some()).then_some(f.attachment_id);
    let kind = f
        .content_type
        .clone()
        .filter(|k| !k.is_empty() && k != "application/octet-stream")
        .unwrap_or_else(|| guess_type(&f.name).to_string());
    duck.execute(
        "INSERT INTO raw_pages.file VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        duckdb::params![
            f.attachment_id,
            f.number,
            f.name,
            f.url,
            f.status.map(i32::from),
            kind,
            size,
            file_id,
            f.problem
        ],
    )?;
    if let (Some(id), Some(bytes)) = (file_id, &f.bytes) {
        duck.execute(
            "INSERT INTO raw.file (id, ft, bk, type, size, key, signature, name, attrs, created)
             VALUES (?, 'T', 'D', ?, ?, ?, '', ?, NULL, now()::TIMESTAMP)",
            duckdb::params![id, kind, bytes.len() as i64, format!("page-{id}"), f.name],
        )?;
        duck.execute(
            "INSERT INTO raw.file_chunk (file_id, chunk_id, filedata) VALUES (?, 0, ?)",
            duckdb::params![id, bytes.as_slice()],
        )?;
    }
    Ok(())
}

/// A content type from the file name, when the server did not say.
fn guess_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "zip" => "application/zip",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}
