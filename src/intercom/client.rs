//! The Intercom REST client the loader uses: fast and polite (as many requests in flight as
//! the answers allow, paced by the rate-limit headers, see [`super::pace`]), persistent
//! (retries what can be retried, with backoff and jitter) and idempotent where Intercom is not
//! (a create whose answer was lost is looked up by its external id before it is sent again).
//!
//! It may speak for several private apps of one workspace, each with its own token and rate
//! limit: a request goes out as the app [`Client::as_app`] chose for the task that makes it.
//! The tokens come from `OSTMIG_INTERCOM_TOKEN` (or the file named by
//! `OSTMIG_INTERCOM_TOKEN_FILE`), never from argv, and never appear in errors or logs.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use reqwest::Method;
use serde_json::{Value, json};

use crate::error::Hinted;
use crate::intercom::pace::{self, Flow, Signal, Window, Workspace};
use crate::intercom::retry::{self, Class, Policy};
use crate::intercom::spec::{Spec, VERSION};
use crate::settings::Secret;

/// The real API.
pub const DEFAULT_URL: &str = "https://api.intercom.io";

/// The error code of a request refused because the server's certificate is not trusted.
pub const TLS_CERTIFICATE: &str = "tls_certificate";

/// An answer from Intercom that is not a success, with what was asked (no secrets).
#[derive(Debug, thiserror::Error)]
#[error("{method} {path} → {}: {}", status.map(|s| s.to_string()).unwrap_or_else(|| "no response".into()), self.summary())]
pub struct ApiError {
    pub method: String,
    pub path: String,
    /// None when no HTTP answer arrived (timeout, connection reset).
    pub status: Option<u16>,
    /// Intercom's error list: (code, message).
    pub errors: Vec<(String, String)>,
    /// The start of the request body, for the review queue.
    pub request_excerpt: String,
}

impl ApiError {
    fn summary(&self) -> String {
        if self.errors.is_empty() {
            return "no error detail".into();
        }
        self.errors
            .iter()
            .map(|(c, m)| format!("{c}: {m}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn code(&self) -> Option<&str> {
        self.errors.first().map(|(c, _)| c.as_str())
    }

    /// The request may or may not have been applied (no answer, or a server error).
    pub fn ambiguous(&self) -> bool {
        retry::classify(self.status, self.code()) == Class::Ambiguous
    }

    /// Not an answer: the loader's own word that an object's fate is unknown and that it will
    /// not be sent again in this run (see [`PARKED`]).
    pub fn parked(method: &str, path: &str, reason: impl Into<String>) -> ApiError {
        ApiError {
            method: method.into(),
            path: path.into(),
            status: None,
            errors: vec![(PARKED.into(), reason.into())],
            request_excerpt: String::new(),
        }
    }

    /// A refusal the loader decides on (an e-mail held by someone else's contact), worded like
    /// Intercom's errors so it is listed the same way.
    pub fn refused(method: &str, path: &str, code: &str, reason: impl Into<String>) -> ApiError {
        ApiError {
            method: method.into(),
            path: path.into(),
            status: None,
            errors: vec![(code.into(), reason.into())],
            request_excerpt: String::new(),
        }
    }
}

/// The code of an object parked as `unknown`: sent, answer lost, not found by search yet.
pub const PARKED: &str = "parked";

/// One private app of the workspace: its token, its window as its answers report it, and the
/// requests it keeps in flight.
struct App {
    token: Secret,
    id: String,
    window: std::sync::Mutex<Window>,
    flow: Flow,
    requests: std::sync::atomic::AtomicU64,
}

tokio::task_local! {
    /// The app the requests of the current task go out as (index into `Client::apps`).
    static APP: usize;
}

/// How the ledger and the simulator name an app: `app-` and 8 hex digits of the SHA-256 of its
/// access token. Never the token.
pub fn app_id(token: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(token.as_bytes());
    format!("app-{}", &hex::encode(digest)[..8])
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    apps: Vec<App>,
    workspace: std::sync::Mutex<Workspace>,
    /// How long one ordinary answer may take (OSTMIG_INTERCOM_TIMEOUT).
    timeout: Duration,
    /// When set, every request is checked against the spec before it is sent and every response
    /// after it arrives (tests and `--check-contract`).
    spec: Option<Arc<Spec>>,
    /// When a request is sent again and how long to wait first.
    pub retry: Policy,
    /// Requests sent, 429s received, retries made (for the benchmark and the load summary).
    pub stats: std::sync::Mutex<Stats>,
    /// The first `sl-violations` headers seen, with the request they answered.
    pub violation_log: std::sync::Mutex<Vec<String>>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub requests: u64,
    pub throttled: u64,
    pub retries: u64,
    /// Requests refused by the workspace's budget before they were sent (waited out).
    pub workspace_waits: u64,
    /// Responses whose `sl-violations` header (Prism in front) lists an error no erratum explains.
    pub violations: u64,
    /// Prism findings that an erratum explains (the live API answers so; errata.toml).
    pub explained: u64,
}

impl Client {
    /// A client of one app with at most `concurrency` requests in flight.
    pub fn new(base: &str, token: Secret, concurrency: usize) -> anyhow::Result<Client> {
        Client::of_apps(
            base,
            vec![token],
            concurrency,
            pace::WORKSPACE_LIMIT_PER_MINUTE,
        )
    }

    /// A client of several apps of one workspace, each with at most `ceiling` requests in
    /// flight, all together at most `workspace_per_minute` calls a minute.
    pub fn of_apps(
        base: &str,
        tokens: Vec<Secret>,
        ceiling: usize,
        workspace_per_minute: u64,
    ) -> anyhow::Result<Client> {
        crate::tls::require_tls_off_loopback(
            base,
            "--intercom-url",
            "the access token",
            "https://api.intercom.io, or http://127.0.0.1:PORT for `ostmig sim`",
        )?;
        let timeout = answer_timeout()?;
        let builder = crate::tls::client_builder()?
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10));
        let http = builder.build()?;
        anyhow::ensure!(!tokens.is_empty(), "no access token");
        let apps = tokens
            .into_iter()
            .map(|token| App {
                id: app_id(token.expose()),
                token,
                window: Default::default(),
                flow: Flow::new(ceiling),
                requests: Default::default(),
            })
            .collect();
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_string(),
            apps,
            workspace: std::sync::Mutex::new(Workspace::new(workspace_per_minute)),
            timeout,
            spec: None,
            retry: Policy::default(),
            stats: Default::default(),
            violation_log: Default::default(),
        })
    }

    pub fn with_contract(mut self, spec: Arc<Spec>) -> Client {
        self.spec = Some(spec);
        self
    }

    pub fn stats(&self) -> Stats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run `task` with every request it makes sent as app number `app` (modulo the apps).
    pub async fn as_app<F: std::future::Future>(&self, app: usize, task: F) -> F::Output {
        APP.scope(app % self.apps.len(), task).await
    }

    /// How many apps the client speaks for.
    pub fn app_count(&self) -> usize {
        self.apps.len()
    }

    /// The app the current task sends as.
    fn app(&self) -> &App {
        &self.apps[APP.try_with(|a| *a).unwrap_or(0)]
    }

    /// The ledger's name of the app the current task sends as.
    pub fn current_app(&self) -> &str {
        &self.app().id
    }

    /// The index of the app named `id` (as the ledger names it), if its token was given.
    pub fn app_index(&self, id: &str) -> Option<usize> {
        self.apps.iter().position(|a| a.id == id)
    }

    /// Per app: its name, requests sent, the most it had in flight, and its budget per minute
    /// as its answers reported it.
    pub fn app_report(&self) -> Vec<(String, u64, usize, Option<u64>)> {
        self.apps
            .iter()
            .map(|a| {
                (
                    a.id.clone(),
                    a.requests.load(std::sync::atomic::Ordering::Relaxed),
                    a.flow.peak(),
                    lock(&a.window).per_minute(),
                )
            })
            .collect()
    }

    /// Calls a minute all apps may make together: each app's budget (as reported, else
    /// Intercom's documented 10,000), capped by the workspace's.
    pub fn limit_per_minute(&self, workspace_per_minute: u64) -> u64 {
        let apps: u64 = self
            .apps
            .iter()
            .map(|a| {
                lock(&a.window)
                    .per_minute()
                    .unwrap_or(pace::APP_LIMIT_PER_MINUTE)
            })
            .sum();
        apps.min(workspace_per_minute)
    }

    fn count(&self, f: impl FnOnce(&mut Stats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// One API call with pacing and retries. 404s and other 4xx come back as errors at once.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        self.check_contract(&method, path, body)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let err = match self.exchange(&method, path, body).await {
                Ok((status, value)) if retry::classify(Some(status), None) == Class::Final => {
                    return self.finish(&method, path, body, status, value);
                }
                Ok((status, value)) => self.failure(&method, path, body, status, &value),
                Err(e) => e,
            };
            if !self
                .retry
                .retry(attempt, retry::classify(err.status, err.code()))
            {
                return Err(err);
            }
            self.backoff(attempt).await;
        }
    }

    /// Send once; a server error or lost answer is returned, not retried, so the caller can
    /// find out whether the change was applied before sending it again.
    async fn call_once(&self, method: Method, path: &str, body: &Value) -> Result<Value, ApiError> {
        self.check_contract(&method, path, Some(body))?;
        let (status, value) = self.exchange(&method, path, Some(body)).await?;
        self.finish(&method, path, Some(body), status, value)
    }

    fn check_contract(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(), ApiError> {
        if let Some(spec) = &self.spec {
            let problems = spec.check_request(method.as_str(), path, body);
            if !problems.is_empty() {
                return Err(self.error(
                    method,
                    path,
                    body,
                    None,
                    vec![("contract".into(), problems.join("; "))],
                ));
            }
        }
        Ok(())
    }

    /// One HTTP exchange, paced, with 429s waited out (they do not count as attempts).
    async fn exchange(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), ApiError> {
        let app = self.app();
        loop {
            let slot = app.flow.acquire().await;
            self.pace(app).await;
            self.count(|s| s.requests += 1);
            app.requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .bearer_auth(app.token.expose())
                .header("Intercom-Version", VERSION)
                .header("Accept", "application/json");
            if let Some(b) = body {
                let bytes = serde_json::to_vec(b).unwrap_or_default();
                // A large upload needs longer than an ordinary answer.
                if bytes.len() > LARGE_BODY {
                    req = req.timeout(self.timeout + upload_time(bytes.len()));
                }
                req = req.header("Content-Type", "application/json").body(bytes);
            }
            let started = std::time::Instant::now();
            let sent = req.send().await;
            if sent.is_err() {
                app.flow.learn(Signal::Failed, std::time::Instant::now());
            }
            drop(slot);
            let resp = sent.map_err(|e| {
                let code = if certificate_refused(&e) {
                    TLS_CERTIFICATE
                } else {
                    "transport"
                };
                self.error(
                    method,
                    path,
                    body,
                    None,
                    vec![(code.into(), without_url(e))],
                )
            })?;
            let status = resp.status().as_u16();
            let room = Self::observe(app, resp.headers());
            let signal = match status {
                429 => Signal::Throttled,
                s if s >= 500 => Signal::Failed,
                _ => Signal::Answered {
                    latency: started.elapsed(),
                    room,
                },
            };
            app.flow.learn(signal, std::time::Instant::now());
            if let Some(v) = resp.headers().get("sl-violations") {
                self.judge_findings(method, path, v.as_bytes());
            }
            // A connection cut while the body streams is a lost answer, not an empty success.
            let text = resp.text().await.map_err(|e| {
                self.error(
                    method,
                    path,
                    body,
                    None,
                    vec![(
                        "transport".into(),
                        format!("answer lost: {}", without_url(e)),
                    )],
                )
            })?;
            let value: Value = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text)
                    .unwrap_or(Value::String(text.chars().take(300).collect()))
            };
            if status == 429 {
                self.count(|s| s.throttled += 1);
                lock(&app.window).exhaust();
                self.pace(app).await;
                continue;
            }
            return Ok((status, value));
        }
    }

    /// A validating proxy's findings on one answer: warnings (a status the spec does not list)
    /// are not errors; an error that an erratum explains is counted as explained, with the
    /// erratum's id in the log; any other is a violation.
    fn judge_findings(&self, method: &Method, path: &str, header: &[u8]) {
        let findings: Vec<Value> = serde_json::from_slice(header).unwrap_or_else(|_| {
            vec![json!({"severity": "Error", "message": String::from_utf8_lossy(header)})]
        });
        for f in findings.iter().filter(|f| f["severity"] != "Warning") {
            let text = f.to_string();
            let line = match super::errata::explain(method.as_str(), path, &text) {
                Some(e) => {
                    self.count(|s| s.explained += 1);
                    format!("{method} {path}: explained by erratum {}: {text}", e.id)
                }
                None => {
                    self.count(|s| s.violations += 1);
                    tracing::warn!(
                        "the validating proxy reports a spec violation: {method} {path}: {text}"
                    );
                    format!("{method} {path}: {text}")
                }
            };
            let mut log = self.violation_log.lock().unwrap_or_else(|e| e.into_inner());
            if log.len() < 40 {
                log.push(line);
            }
        }
    }

    /// A 2xx body (checked against the spec in contract mode), or the error it carries.
    fn finish(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        status: u16,
        value: Value,
    ) -> Result<Value, ApiError> {
        if !(200..300).contains(&status) {
            return Err(self.failure(method, path, body, status, &value));
        }
        if let Some(spec) = &self.spec {
            let problems = spec.check_response(method.as_str(), path, status, &value);
            if !problems.is_empty() && !problems[0].contains("lists no response") {
                return Err(self.error(
                    method,
                    path,
                    body,
                    Some(status),
                    vec![(
                        "contract".into(),
                        format!("response: {}", problems.join("; ")),
                    )],
                ));
            }
        }
        Ok(value)
    }

    fn failure(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        status: u16,
        value: &Value,
    ) -> ApiError {
        let errors = value["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["code"].as_str().unwrap_or("").to_string(),
                            e["message"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.error(method, path, body, Some(status), errors)
    }

    fn error(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        status: Option<u16>,
        errors: Vec<(String, String)>,
    ) -> ApiError {
        ApiError {
            method: method.to_string(),
            path: path.to_string(),
            status,
            errors,
            request_excerpt: body
                .map(|b| b.to_string().chars().take(300).collect())
                .unwrap_or_default(),
        }
    }

    async fn backoff(&self, attempt: u32) {
        self.count(|s| s.retries += 1);
        let wait = self.retry.delay(attempt, &mut rand::rng());
        tokio::time::sleep(wait).await;
    }

    /// Note an answer's rate-limit headers in the app's window; whether the window has room
    /// for more requests than the app has in flight.
    fn observe(app: &App, headers: &reqwest::header::HeaderMap) -> bool {
        let num = |k: &str| {
            headers
                .get(k)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<i64>().ok())
        };
        let mut window = lock(&app.window);
        if let (Some(rem), Some(reset)) = (num("x-ratelimit-remaining"), num("x-ratelimit-reset")) {
            let limit = num("x-ratelimit-limit").map(|l| l.max(0) as u64);
            window.observe(limit, rem.max(0) as u64, reset);
        }
        window.has_room(app.flow.in_flight().0)
    }

    /// Spend one request of the app's window and one of the workspace's; when either is
    /// spent, sleep until it resets (a few ms of jitter, so the apps' waiters do not all
    /// arrive in the same millisecond).
    async fn pace(&self, app: &App) {
        loop {
            let now = pace::now_ms();
            let wait = lock(&app.window).take(now).or_else(|| {
                let wait = lock(&self.workspace).take(now);
                if wait.is_some() {
                    self.count(|s| s.workspace_waits += 1);
                }
                wait
            });
            let Some(wait) = wait else { return };
            let jitter = rand::rng().random_range(0..20);
            tokio::time::sleep(Duration::from_millis(wait + jitter)).await;
        }
    }

    // ---- typed operations the migration uses ------------------------------------------------

    /// One cheap request before a long run: an unreachable API or a refused token stops the
    /// caller here, with what to do, instead of failing every object after its retries.
    pub async fn reachable(&self) -> anyhow::Result<()> {
        self.list_admins()
            .await
            .map(drop)
            .map_err(|e| super::explain(e, &self.base))
    }

    pub async fn list_admins(&self) -> Result<Value, ApiError> {
        self.call(Method::GET, "/admins", None).await
    }

    pub async fn list_teams(&self) -> Result<Value, ApiError> {
        self.call(Method::GET, "/teams", None).await
    }

    /// `POST /companies` creates or updates by `company_id`, so a retry is always safe.
    pub async fn upsert_company(&self, payload: &Value) -> Result<Value, ApiError> {
        self.call(Method::POST, "/companies", Some(payload)).await
    }

    pub async fn delete_company(&self, id: &str) -> Result<Value, ApiError> {
        self.call(Method::DELETE, &format!("/companies/{id}"), None)
            .await
    }

    /// The company with this `company_id`, if any. 2.16 documents a one-item `list`; a bare
    /// company (Intercom's prose: "fetch a single company") is accepted too.
    pub async fn find_company(&self, company_id: &str) -> Result<Option<Value>, ApiError> {
        let path = format!("/companies?company_id={}", encoded(company_id));
        match self.call(Method::GET, &path, None).await {
            Ok(found) if found["type"] == "list" => Ok(found["data"].get(0).cloned()),
            Ok(found) => Ok(Some(found)),
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The user with this external_id. `GET /contacts/find_by_external_id` answers at once;
    /// search lags minutes behind a create (erratum search-lag), so it is never the check.
    pub async fn find_contact(&self, external_id: &str) -> Result<Option<Value>, ApiError> {
        let path = format!("/contacts/find_by_external_id/{}", encoded(external_id));
        match self.call(Method::GET, &path, None).await {
            Ok(found) => Ok(Some(found)),
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Contacts (users and leads) with this e-mail, by search: for contacts the workspace had
    /// long before the load (its Messenger's), which search has long indexed.
    pub async fn find_contacts_by_email(&self, email: &str) -> Result<Vec<Value>, ApiError> {
        let body = json!({"query": {"field": "email", "operator": "=", "value": email},
                          "pagination": {"per_page": 50}});
        let found = self
            .call(Method::POST, "/contacts/search", Some(&body))
            .await?;
        Ok(found["data"].as_array().cloned().unwrap_or_default())
    }

    pub async fn get_contact(&self, id: &str) -> Result<Value, ApiError> {
        self.call(Method::GET, &format!("/contacts/{}", encoded(id)), None)
            .await
    }

    pub async fn unarchive_contact(&self, id: &str) -> Result<Value, ApiError> {
        self.call(Method::POST, &format!("/contacts/{id}/unarchive"), None)
            .await
    }

    /// Make a contact a participant of a ticket, so it may reply there (erratum
    /// reply-from-non-participant): `POST /conversations/{id}/customers` with the ticket's id.
    /// Adding someone twice changes nothing, so a retry is safe.
    pub async fn add_participant(
        &self,
        ticket_id: &str,
        external_id: &str,
        admin_id: Option<&str>,
    ) -> Result<Value, ApiError> {
        let mut body = json!({"customer": {"user_id": external_id}});
        if let Some(a) = admin_id {
            body["admin_id"] = json!(a);
        }
        self.call(
            Method::POST,
            &format!("/conversations/{ticket_id}/customers"),
            Some(&body),
        )
        .await
    }

    /// Create a contact exactly once: a duplicate (409) or a create whose answer was lost is
    /// resolved by looking the contact up by its `external_id`.
    pub async fn create_contact(&self, payload: &Value) -> Result<Value, ApiError> {
        Ok(self.create_contact_reporting(payload).await?.0)
    }

    /// As [`Client::create_contact`], also saying whether the contact already existed before
    /// this call (a 409 on the first attempt): the ledger must never claim someone else's contact.
    pub async fn create_contact_reporting(
        &self,
        payload: &Value,
    ) -> Result<(Value, bool), ApiError> {
        let external_id = payload["external_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.exactly_once(Method::POST, "/contacts", payload, || async {
            if external_id.is_empty() {
                return Ok(None);
            }
            self.find_contact(&external_id).await
        })
        .await
    }

    /// Send a create once; after a 409 or a lost answer, `lookup` says whether it exists (then
    /// that object is the answer) before the request is sent again. The flag is true when the
    /// object existed before this call (a 409 on the first attempt).
    async fn exactly_once<L, Fut>(
        &self,
        method: Method,
        path: &str,
        payload: &Value,
        lookup: L,
    ) -> Result<(Value, bool), ApiError>
    where
        L: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Option<Value>, ApiError>>,
    {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.call_once(method.clone(), path, payload).await {
                Ok(v) => return Ok((v, false)),
                Err(e) if e.status == Some(409) || e.ambiguous() => {
                    if let Some(found) = lookup().await? {
                        return Ok((found, e.status == Some(409) && tries == 1));
                    }
                    if e.status == Some(409) || !self.retry.retry(tries, Class::Ambiguous) {
                        return Err(e);
                    }
                    self.backoff(tries).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub async fn attach_company(
        &self,
        contact_id: &str,
        company_id: &str,
    ) -> Result<Value, ApiError> {
        self.call(
            Method::POST,
            &format!("/contacts/{contact_id}/companies"),
            Some(&json!({"id": company_id})),
        )
        .await
    }

    /// PUT /contacts/{id}: change a contact's fields (a cutover delta after a user changed).
    pub async fn update_contact(&self, id: &str, payload: &Value) -> Result<Value, ApiError> {
        self.call(Method::PUT, &format!("/contacts/{id}"), Some(payload))
            .await
    }

    pub async fn archive_contact(&self, id: &str) -> Result<Value, ApiError> {
        self.call(Method::POST, &format!("/contacts/{id}/archive"), None)
            .await
    }

    pub async fn delete_contact(&self, id: &str) -> Result<Value, ApiError> {
        self.call(Method::DELETE, &format!("/contacts/{id}"), None)
            .await
    }

    pub async fn list_data_attributes(&self, model: &str) -> Result<Value, ApiError> {
        self.call(
            Method::GET,
            &format!("/data_attributes?model={model}"),
            None,
        )
        .await
    }

    pub async fn create_data_attribute(&self, payload: &Value) -> Result<Value, ApiError> {
        self.call(Method::POST, "/data_attributes", Some(payload))
            .await
    }

    pub async fn archive_data_attribute(&self, id: &str) -> Result<Value, ApiError> {
        self.call(
            Method::PUT,
            &format!("/data_attributes/{id}"),
            Some(&json!({"archived": true})),
        )
        .await
    }

    pub async fn list_tags(&self) -> Result<Value, ApiError> {
        self.call(Method::GET, "/tags", None).await
    }

    /// Tag names are unique (case-insensitive): creating an existing one returns it.
    pub async fn create_tag(&self, name: &str) -> Result<Value, ApiError> {
        self.call(Method::POST, "/tags", Some(&json!({"name": name})))
            .await
    }

    pub async fn delete_tag(&self, id: &str) -> Result<Value, ApiError> {
        self.call(Method::DELETE, &format!("/tags/{id}"), None)
            .await
    }

    pub async fn list_ticket_types(&self) -> Result<Value, ApiError> {
        self.call(Method::GET, "/ticket_types", None).await
    }

    pub async fn get_ticket_type(&self, id: &str) -> Result<Value, ApiError> {
        self.call(Method::GET, &format!("/ticket_types/{id}"), None)
            .await
    }

    pub async fn create_ticket_type(&self, payload: &Value) -> Result<Value, ApiError> {
        self.call(Method::POST, "/ticket_types", Some(payload))
            .await
    }

    pub async fn archive_ticket_type(&self, id: &str) -> Result<Value, ApiError> {
        self.call(
            Method::PUT,
            &format!("/ticket_types/{id}"),
            Some(&json!({"archived": true})),
        )
        .await
    }

    pub async fn create_ticket_type_attribute(
        &self,
        type_id: &str,
        payload: &Value,
    ) -> Result<Value, ApiError> {
        self.call(
            Method::POST,
            &format!("/ticket_types/{type_id}/attributes"),
            Some(payload),
        )
        .await
    }

    pub async fn archive_ticket_type_attribute(
        &self,
        type_id: &str,
        id: &str,
    ) -> Result<Value, ApiError> {
        self.call(
            Method::PUT,
            &format!("/ticket_types/{type_id}/attributes/{id}"),
            Some(&json!({"archived": true})),
        )
        .await
    }

    pub async fn list_ticket_states(&self) -> Result<Value, ApiError> {
        self.call(Method::GET, "/ticket_states", None).await
    }

    /// Tickets have no external id: the caller keeps the osTicket number in an attribute and
    /// passes its attribute id here so a lost answer can be resolved by search.
    pub async fn find_ticket(
        &self,
        attribute_id: &str,
        value: &str,
    ) -> Result<Option<Value>, ApiError> {
        let body = json!({"query": {"field": format!("ticket_attribute.{attribute_id}"), "operator": "=", "value": value}});
        let found = self
            .call(Method::POST, "/tickets/search", Some(&body))
            .await?;
        Ok(found["tickets"].as_array().and_then(|a| a.first().cloned()))
    }

    /// Create a ticket exactly once. Its only idempotency check is a search by the osTicket
    /// number, and search lags behind a create (erratum search-lag): after a lost answer the
    /// search is repeated with backoff for `window`, and a ticket still not found is never
    /// sent again in this run. `Ok(None)`: parked, its fate unknown until a later run's search
    /// (see [`Client::search_ticket_until`]).
    pub async fn create_ticket(
        &self,
        payload: &Value,
        key: (&str, &str),
        window: Duration,
    ) -> Result<Option<Value>, ApiError> {
        match self.call_once(Method::POST, "/tickets", payload).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.ambiguous() => {
                let deadline = std::time::Instant::now() + window;
                self.search_ticket_until(key.0, key.1, deadline).await
            }
            Err(e) => Err(e),
        }
    }

    /// Search for the ticket whose attribute `attribute_id` is `value` until it is found or
    /// `deadline` has passed (at least once, and once more at the deadline), with backoff.
    pub async fn search_ticket_until(
        &self,
        attribute_id: &str,
        value: &str,
        deadline: std::time::Instant,
    ) -> Result<Option<Value>, ApiError> {
        retry::until_deadline(tokio::time::Instant::from_std(deadline), || {
            self.find_ticket(attribute_id, value)
        })
        .await
    }

    pub async fn get_ticket(&self, id: &str) -> Result<Value, ApiError> {
        self.call(Method::GET, &format!("/tickets/{id}"), None)
            .await
    }

    pub async fn update_ticket(&self, id: &str, payload: &Value) -> Result<Value, ApiError> {
        self.call(Method::PUT, &format!("/tickets/{id}"), Some(payload))
            .await
    }

    /// Post a reply or note exactly once. Replies have no idempotency key: after a lost answer
    /// the ticket is read back (GET by id does not lag) and a part with the same type,
    /// `created_at`, author and body text counts as this one, unless it is one of `claimed`
    /// (parts the ledger already holds for other entries: two identical messages stay two).
    pub async fn reply_ticket(
        &self,
        id: &str,
        payload: &Value,
        claimed: &std::collections::HashSet<String>,
    ) -> Result<Value, ApiError> {
        let path = format!("/tickets/{id}/reply");
        let lookup = || self.find_part(id, payload, claimed);
        Ok(self
            .exactly_once(Method::POST, &path, payload, lookup)
            .await?
            .0)
    }

    /// A contact's reply that carries files, through `POST /conversations/{id}/reply` (a
    /// ticket's id is its conversation's): the tickets endpoint's contact reply has no
    /// `attachment_files`. Exactly once as [`Client::reply_ticket`]. Intercom answers with the
    /// conversation, so the part is taken from its `conversation_parts`, or read back.
    pub async fn reply_conversation(
        &self,
        id: &str,
        payload: &Value,
        claimed: &std::collections::HashSet<String>,
    ) -> Result<Value, ApiError> {
        let path = format!("/conversations/{id}/reply");
        let lookup = || self.find_part(id, payload, claimed);
        let (answer, _) = self
            .exactly_once(Method::POST, &path, payload, lookup)
            .await?;
        if answer["type"] != "conversation" {
            // Found by the lookup after a lost answer: already the ticket's part.
            return Ok(answer);
        }
        let in_answer = answer["conversation_parts"]["conversation_parts"]
            .as_array()
            .and_then(|parts| {
                parts
                    .iter()
                    .rev()
                    .find(|p| super::live::same_part(p, payload, None))
                    .cloned()
            });
        match in_answer {
            Some(p) => Ok(p),
            None => self.find_part(id, payload, claimed).await?.ok_or_else(|| {
                ApiError::refused(
                    "POST",
                    &path,
                    "part_not_found",
                    "Intercom took the reply but neither its answer nor the ticket read back shows it: check the ticket by hand, then run the load again",
                )
            }),
        }
    }

    /// The part of ticket `id` that `payload` (a reply request) created, if any: the most
    /// recent match that is not `claimed`.
    pub async fn find_part(
        &self,
        id: &str,
        payload: &Value,
        claimed: &std::collections::HashSet<String>,
    ) -> Result<Option<Value>, ApiError> {
        let ticket = self.get_ticket(id).await?;
        let created = ticket["created_at"].as_i64();
        Ok(ticket["ticket_parts"]["ticket_parts"]
            .as_array()
            .and_then(|parts| {
                parts
                    .iter()
                    .rev()
                    .filter(|p| !claimed.contains(&super::id_text(&p["id"])))
                    .find(|p| super::live::same_part(p, payload, created))
                    .cloned()
            }))
    }

    /// `POST /tickets/{id}/tags` with `body` as sent: `{"id": tag id, "admin_id": who tags}`.
    pub async fn tag_ticket(&self, id: &str, body: &Value) -> Result<Value, ApiError> {
        self.call(Method::POST, &format!("/tickets/{id}/tags"), Some(body))
            .await
    }

    pub async fn delete_ticket(&self, id: &str) -> Result<Value, ApiError> {
        self.call(Method::DELETE, &format!("/tickets/{id}"), None)
            .await
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What stays as it is in a path segment or query value: RFC 3986's unreserved characters.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A path segment made of caller data (an external id may hold anything).
pub(crate) fn encoded(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, UNRESERVED).to_string()
}

/// Bodies above this get more time than an ordinary answer.
const LARGE_BODY: usize = 1024 * 1024;

/// The extra time an upload of `bytes` may take: at 128 KiB/s, a slow office uplink, an 8 MiB
/// file note gets a minute more.
fn upload_time(bytes: usize) -> Duration {
    Duration::from_secs_f64(bytes as f64 / (128.0 * 1024.0))
}

/// How long to wait for one answer: `OSTMIG_INTERCOM_TIMEOUT` seconds, default 60. A request
/// that times out is retried like a lost answer (looked up first where a create is not safe
/// to repeat).
fn answer_timeout() -> anyhow::Result<Duration> {
    match std::env::var(crate::settings::ENV_INTERCOM_TIMEOUT) {
        Err(_) => Ok(Duration::from_secs(60)),
        Ok(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| {
                Hinted::new(
                    format!(
                        "{}={v} is not a number of seconds",
                        crate::settings::ENV_INTERCOM_TIMEOUT
                    ),
                    "set it to the seconds to wait for one answer, for example 60",
                )
                .into()
            }),
    }
}

/// Whether the TLS handshake failed on the server's certificate (rustls says "invalid peer
/// certificate: …" somewhere in the error's sources).
fn certificate_refused(e: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if s.to_string().contains("certificate") {
            return true;
        }
        source = s.source();
    }
    false
}

/// reqwest's error text includes the URL (no secrets there, but keep errors short), and its
/// own Display stops before the cause that says what went wrong.
fn without_url(e: reqwest::Error) -> String {
    let mut cause = String::new();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "connection failed"
    };
    let text = e.without_url().to_string();
    if cause.is_empty() || text.contains(&cause) {
        format!("{kind}: {text}")
    } else {
        format!("{kind}: {text} ({cause})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxys_findings_are_explained_by_the_errata_or_counted() {
        let c = Client::new("http://127.0.0.1:9", "t".into(), 1).unwrap();
        let header = serde_json::to_vec(&json!([
            {"severity": "Warning", "message": "status not documented"},
            {"severity": "Error", "message": "Response status 409 is not documented"},
        ]))
        .unwrap();
        c.judge_findings(&Method::POST, "/contacts", &header);
        let stats = c.stats();
        assert_eq!((stats.explained, stats.violations), (1, 0));
        assert!(c.violation_log.lock().unwrap()[0].contains("erratum contact-conflict-409"));
        let wrong = serde_json::to_vec(&json!([
            {"severity": "Error", "message": "body.name must be string"}
        ]))
        .unwrap();
        c.judge_findings(&Method::POST, "/contacts", &wrong);
        assert_eq!(c.stats().violations, 1);
    }
}
