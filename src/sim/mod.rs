//! `ostmig sim`: a local Intercom for rehearsals and tests, held to Intercom's OpenAPI
//! description: every request is validated against it before the workspace sees it (a
//! non-conforming request gets Intercom's error object, as the real API or Prism would answer),
//! and every response is validated before it leaves (a violation is a 500 naming it, so a test
//! cannot pass on a response Intercom would never send).
//!
//! Rate limiting works like Intercom's: each app (each access token) has a budget per fixed
//! window (10 s by default), reported in `X-RateLimit-Limit/Remaining/Reset`, and all apps
//! together have the workspace's budget, which no header reports; past either, 429
//! `rate_limit_exceeded`. Faults can be injected: random 500/502/503 (half of them after the
//! change was applied, so a client sees an ambiguous failure), connections cut after the change
//! was applied, latency with jitter. Every request is counted per operation and per app, so a
//! benchmark reads the calls made from the server's side (`/__sim/stats`).

mod help_center;
mod notes;
mod sanitize;
pub mod workspace;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{Value, json};

use crate::error::Hinted;
use crate::intercom::spec::Spec;
use workspace::{Reply, Seed, Workspace, error};

pub struct Options {
    pub listen: SocketAddr,
    pub state: Option<PathBuf>,
    pub seed: Option<PathBuf>,
    pub spec: Option<PathBuf>,
    pub fail_rate: f64,
    pub latency_ms: u64,
    /// Each request's latency is drawn evenly from `latency_ms ± latency_jitter_ms`.
    pub latency_jitter_ms: u64,
    /// Fraction of requests whose connection is cut after the change was applied.
    pub drop_connections: f64,
    /// Fraction of requests left unanswered for `hang_seconds` (half after the change).
    pub timeout_rate: f64,
    pub hang_seconds: u64,
    /// Fraction of requests that start a 2-second storm of 429s.
    pub storm_rate: f64,
    /// Per app (access token): (requests, window seconds).
    pub rate_limit: (u64, u64),
    /// All apps together, in the same windows (Intercom: 25,000/min per workspace).
    pub workspace_limit: u64,
    /// How like the live API the workspace behaves (search lag, deletes, bodies).
    pub behaviour: workspace::Behaviour,
    /// Operations (`POST /tickets`) whose first N successful answers are lost: applied, then
    /// the connection cut, for tests that need one lost answer at a known place.
    pub lose_answers: Vec<(String, u64)>,
}

/// `"POST /tickets=2"` → ("POST /tickets", 2).
pub fn parse_lose(text: &str) -> Result<(String, u64), String> {
    let bad = || {
        format!(
            "--lose-answers {text:?}: write it as \"METHOD /path/{{template}}=N\", for example \"POST /tickets=1\""
        )
    };
    let (op, n) = text.rsplit_once('=').ok_or_else(bad)?;
    let n: u64 = n.trim().parse().map_err(|_| bad())?;
    let (m, path) = op.trim().split_once(' ').ok_or_else(bad)?;
    Ok((format!("{} {}", m.to_uppercase(), path.trim()), n))
}

/// `"1666/10s"` → (1666, 10).
pub fn parse_rate(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("rate limit {text:?}: write it as N/10s (requests per window of seconds)");
    let (n, w) = text.split_once('/').ok_or_else(bad)?;
    let n: u64 = n.trim().parse().map_err(|_| bad())?;
    let w: u64 = w.trim().trim_end_matches('s').parse().map_err(|_| bad())?;
    if n == 0 || w == 0 {
        return Err(bad());
    }
    Ok((n, w))
}

struct Sim {
    ws: Workspace,
    spec: Spec,
    versions: Vec<String>,
    window_start: i64,
    /// Requests counted in the current window, per app and for the workspace.
    used: BTreeMap<String, u64>,
    workspace_used: u64,
    /// Requests received per app and answered per operation, since the start.
    counts: Counts,
    dirty: bool,
    /// A 429 storm lasts until this Unix second.
    storm_until: i64,
    /// What was injected so far, served with the state (`faults`).
    faults: Faults,
    /// Answers still to lose, per operation template (`--lose-answers`).
    lose: BTreeMap<String, u64>,
}

/// Counts of injected faults, for the tests' and benchmarks' reports.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
struct Faults {
    server_errors: u64,
    cut_connections: u64,
    hung: u64,
    storms: u64,
    throttled: u64,
    lost_answers: u64,
}

const STORM_SECONDS: i64 = 2;

/// What the simulator served, from its side: per operation (`POST /tickets/{id}/reply`) the
/// answers other than 429, per app the requests received and the 429s among them.
#[derive(Debug, Default, Clone, serde::Serialize)]
struct Counts {
    requests: u64,
    by_operation: BTreeMap<String, u64>,
    by_app: BTreeMap<String, AppCount>,
    /// Seconds the saver spent writing the state file, and how often.
    saves: u64,
    save_seconds: f64,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
struct AppCount {
    requests: u64,
    throttled: u64,
}

type Shared = Arc<(Mutex<Sim>, Options)>;

/// The base URL in the first line `ostmig sim` prints ("ostmig sim listening on http://…"), for
/// programs that start it with `--listen 127.0.0.1:0`.
pub fn url_from_banner(line: &str) -> Option<String> {
    let url = line.trim().rsplit(' ').next()?;
    url.starts_with("http://").then(|| url.to_string())
}

/// Serve until ctrl-c / SIGTERM; the address actually bound is printed first (port 0 works).
pub fn run(opts: Options) -> anyhow::Result<()> {
    let spec = Spec::open(opts.spec.as_deref())?;
    let mut ws: Workspace = match &opts.state {
        Some(p) if p.is_file() => serde_json::from_slice(&std::fs::read(p)?).map_err(|e| {
            Hinted::new(
                format!("{} is not a simulator state file: {e}", p.display()),
                "delete it to start from the seed, or pass another --state",
            )
        })?,
        _ => Workspace::seeded(&load_seed(opts.seed.as_deref())?),
    };
    ws.behaviour = opts.behaviour.clone();
    let versions = spec.versions();
    let lose = opts.lose_answers.iter().cloned().collect();
    let shared: Shared = Arc::new((
        Mutex::new(Sim {
            ws,
            spec,
            versions,
            window_start: 0,
            used: BTreeMap::new(),
            workspace_used: 0,
            counts: Counts::default(),
            dirty: true,
            storm_until: 0,
            faults: Faults::default(),
            lose,
        }),
        opts,
    ));
    crate::block_on(async move {
        let listener = tokio::net::TcpListener::bind(shared.1.listen)
            .await
            .map_err(|e| {
                Hinted::new(
                    format!("cannot listen on {}: {e}", shared.1.listen),
                    "pick a free port: --listen 127.0.0.1:0 chooses one",
                )
            })?;
        crate::out!("ostmig sim listening on http://{}", listener.local_addr()?);
        let saver = shared.clone();
        tokio::spawn(async move {
            // Every 2 s, or less often when a save takes long (a big workspace): the workspace
            // is locked while it is written out, so saving may hold it at most 2 % of the time
            // (measured at 5,000 tickets: 0.27 s a save, 6 % of a load's time every 2 s).
            let mut pause = Duration::from_secs(2);
            loop {
                tokio::time::sleep(pause).await;
                let took = tokio::task::block_in_place(|| save(&saver));
                pause = Duration::from_secs(2).max(took * 50);
            }
        });
        // Bodies carry base64 files (up to 10 × 100 MB per reply in principle); axum's 2 MB
        // default would refuse an ordinary photo.
        let app = axum::Router::new()
            .fallback(handle)
            .layer(axum::extract::DefaultBodyLimit::max(
                workspace::MAX_FILE_BYTES / 3 * 4 * 2 + 1024 * 1024,
            ))
            .with_state(shared.clone());
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown())
            .await?;
        save(&shared);
        anyhow::Ok(())
    })
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn load_seed(path: Option<&std::path::Path>) -> anyhow::Result<Seed> {
    let Some(path) = path else {
        return Ok(default_seed());
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        Hinted::new(
            format!("cannot read {}: {e}", path.display()),
            "check --seed",
        )
    })?;
    let parsed = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        toml::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        Hinted::new(
            format!("{} is not a simulator seed: {e}", path.display()),
            "write [[admins]] name/email and [[teams]] name/admin_emails (see README \"Local Intercom\")",
        )
        .into()
    })
}

/// A small workspace: one admin and one team, enough to try the simulator.
fn default_seed() -> Seed {
    toml::from_str(
        "[[admins]]\nid = \"991267001\"\nname = \"Ada Admin\"\nemail = \"ada.admin@acme-helpdesk.example\"\n\n\
         [[teams]]\nid = \"814865\"\nname = \"Support\"\nadmin_emails = [\"ada.admin@acme-helpdesk.example\"]\n",
    )
    .expect("default seed parses")
}

/// Write the workspace to the state file if it changed; how long the copy under the lock took.
fn save(shared: &Shared) -> Duration {
    let Some(path) = &shared.1.state else {
        return Duration::ZERO;
    };
    let started = std::time::Instant::now();
    // Straight to JSON text under the lock: a copy as serde_json::Value first took three times
    // the memory and most of the time.
    let text = {
        let mut sim = shared.0.lock().unwrap_or_else(|e| e.into_inner());
        if !sim.dirty {
            return Duration::ZERO;
        }
        sim.dirty = false;
        serde_json::to_vec(&sim.ws).unwrap_or_default()
    };
    let locked = started.elapsed();
    let tmp = path.with_extension("tmp");
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
    let mut sim = shared.0.lock().unwrap_or_else(|e| e.into_inner());
    sim.counts.saves += 1;
    sim.counts.save_seconds += started.elapsed().as_secs_f64();
    locked
}

fn json_response(status: u16, body: &Value, headers: &[(String, String)]) -> Response {
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [("content-type", "application/json")],
        serde_json::to_vec(body).unwrap_or_default(),
    )
        .into_response();
    for (k, v) in headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            resp.headers_mut().insert(name, value);
        }
    }
    resp
}

async fn handle(
    axum::extract::State(shared): axum::extract::State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let opts = &shared.1;
    if opts.latency_ms > 0 {
        let jitter = opts.latency_jitter_ms.min(opts.latency_ms);
        let ms = rand::rng().random_range(opts.latency_ms - jitter..=opts.latency_ms + jitter);
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let path = uri.path().to_string();
    let query: BTreeMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    if path == "/__sim/state" {
        let sim = shared.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut dump = sim.ws.dump();
        dump["faults"] = json!(sim.faults);
        dump["counts"] = json!(sim.counts);
        return json_response(200, &dump, &[]);
    }
    if path == "/__sim/stats" {
        // The counts alone, cheap at any size of workspace (a benchmark reads them).
        let sim = shared.0.lock().unwrap_or_else(|e| e.into_inner());
        let stats = json!({"faults": sim.faults, "counts": sim.counts, "objects": sim.ws.census()});
        return json_response(200, &stats, &[]);
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        let (s, b) = error(401, "unauthorized", "Access Token Invalid");
        return json_response(s, &b, &[]);
    };
    // Named as the load's ledger names it, so the two can be compared.
    let app = crate::intercom::client::app_id(token);
    let dice = Dice::roll(opts);
    let hang_for = Duration::from_secs(opts.hang_seconds);
    if dice.hang && !dice.after {
        shared
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .faults
            .hung += 1;
        tokio::time::sleep(hang_for).await;
    }
    let request = Request {
        app,
        method: method.as_str().to_string(),
        path,
        query,
        version: headers
            .get("intercom-version")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        body,
    };
    // The workspace is locked in this call only: a request hung after its change was applied
    // comes back with the headers to answer with once the hang is over.
    let hang_headers = {
        let mut sim = shared.0.lock().unwrap_or_else(|e| e.into_inner());
        match sim.serve(opts, &dice, &request) {
            Ok(response) => return response,
            Err(hang_headers) => hang_headers,
        }
    };
    tokio::time::sleep(hang_for).await;
    injected(&hang_headers)
}

/// What one request asks, taken from the HTTP layer.
struct Request {
    /// Which app sent it (`client::app_id` of its token).
    app: String,
    method: String,
    path: String,
    query: BTreeMap<String, String>,
    version: String,
    body: Bytes,
}

/// The faults drawn for one request (`--fail-rate`, `--drop-connections`, `--timeout-rate`,
/// `--storm-rate`); `after` puts a failure or hang after the change is applied, not before.
struct Dice {
    fail: bool,
    after: bool,
    cut: bool,
    hang: bool,
    storm: bool,
}

impl Dice {
    fn roll(opts: &Options) -> Dice {
        let chance = |rate: f64| rate > 0.0 && rand::rng().random_bool(rate.min(1.0));
        Dice {
            fail: chance(opts.fail_rate),
            after: chance(0.5),
            cut: chance(opts.drop_connections),
            hang: chance(opts.timeout_rate),
            storm: chance(opts.storm_rate),
        }
    }
}

type Headers = Vec<(String, String)>;

impl Sim {
    /// Answer one authenticated request, or (`Err`) hand back the headers of a request to hang
    /// after its change was applied.
    fn serve(&mut self, opts: &Options, dice: &Dice, req: &Request) -> Result<Response, Headers> {
        let (rate_headers, throttled) = self.spend_budget(opts, &req.app, dice.storm);
        self.counts.requests += 1;
        let app = self.counts.by_app.entry(req.app.clone()).or_default();
        app.requests += 1;
        if let Some((s, b)) = throttled {
            app.throttled += 1;
            return Ok(json_response(s, &b, &rate_headers));
        }
        let op = self
            .spec
            .template(&req.method, &req.path)
            .unwrap_or_else(|| format!("{} (not an operation)", req.method));
        *self.counts.by_operation.entry(op).or_default() += 1;
        if dice.fail && !dice.after {
            self.faults.server_errors += 1;
            return Ok(injected(&rate_headers));
        }
        if !req.version.is_empty() && !self.versions.contains(&req.version) {
            let (s, b) = error(
                400,
                "intercom_version_invalid",
                format!(
                    "Requested version {} is not valid; use one of {}",
                    req.version,
                    self.versions.join(", ")
                ),
            );
            return Ok(json_response(s, &b, &rate_headers));
        }
        if let Some(max) = self.ws.behaviour.max_request_bytes
            && req.body.len() > max
        {
            let (s, b) = error(
                413,
                "request_too_large",
                format!(
                    "Request body of {} bytes is larger than {max}",
                    req.body.len()
                ),
            );
            return Ok(json_response(s, &b, &rate_headers));
        }
        let parsed: Option<Value> = if req.body.is_empty() {
            None
        } else {
            match serde_json::from_slice(&req.body) {
                Ok(v) => Some(v),
                Err(e) => {
                    let (s, b) = error(400, "parameter_invalid", format!("Body is not JSON: {e}"));
                    return Ok(json_response(s, &b, &rate_headers));
                }
            }
        };
        let (status, reply) = self.answer(req, parsed.as_ref());
        if (200..300).contains(&status) && self.lose_answer(&req.method, &req.path) {
            self.faults.lost_answers += 1;
            return Ok(cut_connection());
        }
        if dice.fail && dice.after {
            self.faults.server_errors += 1;
            return Ok(injected(&rate_headers));
        }
        if dice.cut {
            self.faults.cut_connections += 1;
            return Ok(cut_connection());
        }
        if dice.hang && dice.after {
            self.faults.hung += 1;
            return Err(rate_headers);
        }
        // Held to the spec on the way out too.
        if let Some(violations) = self.violations(&req.method, &req.path, status, &reply) {
            let (s, b) = error(
                500,
                "server_error",
                format!("simulator response violates the spec: {violations}"),
            );
            return Ok(json_response(s, &b, &rate_headers));
        }
        Ok(json_response(status, &reply, &rate_headers))
    }

    /// Rate limit: a budget per app per fixed window, and the workspace's for all apps in the
    /// same windows (or none during a storm), with the headers every authenticated response
    /// carries (the app's: Intercom reports no workspace budget), and the 429 to answer when a
    /// budget is spent.
    fn spend_budget(&mut self, opts: &Options, app: &str, storm: bool) -> (Headers, Option<Reply>) {
        let (limit, window) = opts.rate_limit;
        let now = chrono::Utc::now().timestamp();
        let start = now - now.rem_euclid(window as i64);
        if start != self.window_start {
            self.window_start = start;
            self.used.clear();
            self.workspace_used = 0;
        }
        if storm && now >= self.storm_until {
            self.storm_until = now + STORM_SECONDS;
            self.faults.storms += 1;
        }
        let storming = now < self.storm_until;
        let used = self.used.entry(app.to_string()).or_default();
        let over = storming || *used >= limit || self.workspace_used >= opts.workspace_limit;
        if !over {
            *used += 1;
            self.workspace_used += 1;
        }
        let (remaining, reset) = if storming {
            (0, self.storm_until)
        } else {
            (limit.saturating_sub(*used), start + window as i64)
        };
        let headers = vec![
            ("X-RateLimit-Limit".to_string(), limit.to_string()),
            ("X-RateLimit-Remaining".to_string(), remaining.to_string()),
            ("X-RateLimit-Reset".to_string(), reset.to_string()),
        ];
        if over {
            self.faults.throttled += 1;
            let throttled = error(
                429,
                "rate_limit_exceeded",
                format!("Exceeded rate limit of {limit} in {window}_seconds"),
            );
            return (headers, Some(throttled));
        }
        (headers, None)
    }

    /// The workspace's answer to a request the spec allows, or the spec's refusal.
    fn answer(&mut self, req: &Request, body: Option<&Value>) -> Reply {
        let (method, path) = (req.method.as_str(), req.path.as_str());
        let problems = self.spec.check_request(method, path, body);
        if !problems.is_empty() {
            return refusal(&problems);
        }
        let before = self.ws.next_id;
        let out = self
            .ws
            .handle(method, path, &req.query, body.unwrap_or(&Value::Null));
        if method != "GET" || self.ws.next_id != before {
            self.dirty = true;
        }
        // A write that could have said skip_notifications and did not would have e-mailed
        // someone (erratum notifications).
        if method != "GET"
            && (200..300).contains(&out.0)
            && body.and_then(|b| b.get("skip_notifications")) != Some(&json!(true))
            && self
                .spec
                .request_accepts(method, path, "skip_notifications")
        {
            let op = self.spec.template(method, path).unwrap_or_default();
            *self.ws.notifications.entry(op).or_default() += 1;
        }
        out
    }

    /// Whether `--lose-answers` still has an answer of this operation to lose (and count it).
    fn lose_answer(&mut self, method: &str, path: &str) -> bool {
        if self.lose.is_empty() {
            return false;
        }
        self.spec
            .template(method, path)
            .and_then(|op| self.lose.get_mut(&op))
            .is_some_and(|left| {
                let lose = *left > 0;
                *left = left.saturating_sub(1);
                lose
            })
    }

    /// What in an answer the spec does not allow and no erratum explains (errata.toml: the
    /// live API answers so), joined; `None` when it is fine.
    fn violations(&self, method: &str, path: &str, status: u16, reply: &Value) -> Option<String> {
        if reply.is_null() || crate::intercom::errata::status(method, path, status).is_some() {
            return None;
        }
        let violations = self.spec.check_response(method, path, status, reply);
        if violations.is_empty() || violations[0].contains("lists no response") {
            return None;
        }
        Some(violations.join("; "))
    }
}

/// Intercom's answer to a request its description refuses: a value of the wrong kind is
/// invalid; only a body that merely lacks a field is "not found"; an unknown path is a 404.
fn refusal(problems: &[String]) -> Reply {
    let wrong_value = problems.iter().any(|p| {
        p.contains("is not one of") || p.contains(": must be") || p.contains("not allowed")
    });
    let code = if !wrong_value && problems.iter().any(|p| p.contains("required property")) {
        "parameter_not_found"
    } else {
        "parameter_invalid"
    };
    let not_api = problems.iter().any(|p| p.contains("is not an operation"));
    error(
        if not_api { 404 } else { 400 },
        if not_api { "not_found" } else { code },
        problems.join("; "),
    )
}

/// Headers go out, then the body fails: hyper resets the connection and the client sees no
/// answer, as when a connection drops after the server applied the change.
fn cut_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected by --drop-connections",
        ))
    });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(axum::body::Body::from_stream(failing))
        .expect("static response")
}

fn injected(headers: &[(String, String)]) -> Response {
    let status = [500u16, 502, 503][rand::rng().random_range(0..3)];
    json_response(
        status,
        &json!({"type": "error.list", "request_id": null,
                "errors": [{"code": "server_error", "message": "injected fault (--fail-rate)"}]}),
        headers,
    )
}
