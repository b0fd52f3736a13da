//! `ostmig sim`: a local Intercom for rehearsals and tests, held to Intercom's OpenAPI
//! description: every request is validated against it before the workspace sees it (a
//! non-conforming request gets Intercom's error object, as the real API or Prism would answer),
//! and every response is validated before it leaves (a violation is a 500 naming it, so a test
//! cannot pass on a response Intercom would never send).
//!
//! Rate limiting works like Intercom's: a budget per fixed window (10 s by default), reported in
//! `X-RateLimit-Limit/Remaining/Reset`, and 429 `rate_limit_exceeded` past it. Faults can be
//! injected: random 500/502/503 (half of them after the change was applied, so a client sees
//! an ambiguous failure), connections cut after the change was applied, extra latency.

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
    /// Fraction of requests whose connection is cut after the change was applied.
    pub drop_connections: f64,
    /// Fraction of requests left unanswered for `hang_seconds` (half after the change).
    pub timeout_rate: f64,
    pub hang_seconds: u64,
    /// Fraction of requests that start a 2-second storm of 429s.
    pub storm_rate: f64,
    /// (requests, window seconds)
    pub rate_limit: (u64, u64),
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
    let bad =
        || format!("--rate-limit {text:?}: write it as N/10s (requests per window of seconds)");
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
    used: u64,
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
            used: 0,
            dirty: true,
            storm_until: 0,
            faults: Faults::default(),
            lose,
        }),
        opts,
    ));
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
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
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                save(&saver);
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

fn save(shared: &Shared) {
    let Some(path) = &shared.1.state else { return };
    let dump = {
        let mut sim = shared.0.lock().unwrap_or_else(|e| e.into_inner());
        if !sim.dirty {
            return;
        }
        sim.dirty = false;
        sim.ws.dump()
    };
    let tmp = path.with_extension("tmp");
    if std::fs::write(&tmp, serde_json::to_vec(&dump).unwrap_or_default()).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
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
        tokio::time::sleep(Duration::from_millis(opts.latency_ms)).await;
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
        return json_response(200, &dump, &[]);
    }
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer ") && v.len() > 7);
    if !authorized {
        let (s, b) = error(401, "unauthorized", "Access Token Invalid");
        return json_response(s, &b, &[]);
    }
    let chance = |rate: f64| rate > 0.0 && rand::rng().random_bool(rate.min(1.0));
    let (fail, after, cut) = (
        chance(opts.fail_rate),
        chance(0.5),
        chance(opts.drop_connections),
    );
    let (hang, storm) = (chance(opts.timeout_rate), chance(opts.storm_rate));
    let hang_for = Duration::from_secs(opts.hang_seconds);
    if hang && !after {
        shared
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .faults
            .hung += 1;
        tokio::time::sleep(hang_for).await;
    }
    let (fail_before, fail_after) = (fail && !after, fail && after);
    // The workspace is locked in this block only: a request hung after its change was applied
    // leaves it with the headers to answer with once the hang is over.
    let hang_headers = 'locked: {
        let mut sim = shared.0.lock().unwrap_or_else(|e| e.into_inner());

        // Rate limit: a budget per fixed window; headers on every authenticated response.
        let (limit, window) = opts.rate_limit;
        let now = chrono::Utc::now().timestamp();
        let start = now - now.rem_euclid(window as i64);
        if start != sim.window_start {
            sim.window_start = start;
            sim.used = 0;
        }
        if storm && now >= sim.storm_until {
            sim.storm_until = now + STORM_SECONDS;
            sim.faults.storms += 1;
        }
        let storming = now < sim.storm_until;
        let over = storming || sim.used >= limit;
        if !over {
            sim.used += 1;
        }
        let rate_headers = vec![
            ("X-RateLimit-Limit".to_string(), limit.to_string()),
            (
                "X-RateLimit-Remaining".to_string(),
                if storming {
                    "0".to_string()
                } else {
                    limit.saturating_sub(sim.used).to_string()
                },
            ),
            (
                "X-RateLimit-Reset".to_string(),
                if storming {
                    sim.storm_until
                } else {
                    start + window as i64
                }
                .to_string(),
            ),
        ];
        if over {
            sim.faults.throttled += 1;
            let (s, b) = error(
                429,
                "rate_limit_exceeded",
                format!("Exceeded rate limit of {limit} in {window}_seconds"),
            );
            return json_response(s, &b, &rate_headers);
        }
        if fail_before {
            sim.faults.server_errors += 1;
            return injected(&rate_headers);
        }
        let version = headers
            .get("intercom-version")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !version.is_empty() && !sim.versions.iter().any(|v| v == version) {
            let (s, b) = error(
                400,
                "intercom_version_invalid",
                format!(
                    "Requested version {version} is not valid; use one of {}",
                    sim.versions.join(", ")
                ),
            );
            return json_response(s, &b, &rate_headers);
        }
        let parsed: Option<Value> = if body.is_empty() {
            None
        } else {
            match serde_json::from_slice(&body) {
                Ok(v) => Some(v),
                Err(e) => {
                    let (s, b) = error(400, "parameter_invalid", format!("Body is not JSON: {e}"));
                    return json_response(s, &b, &rate_headers);
                }
            }
        };
        let method = method.as_str().to_string();
        let problems = sim.spec.check_request(&method, &path, parsed.as_ref());
        let (status, reply): Reply = if !problems.is_empty() {
            // A value of the wrong kind is invalid; only a body that merely lacks a field is "not found".
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
        } else {
            let before = sim.ws.next_id;
            let out = sim.ws.handle(
                &method,
                &path,
                &query,
                parsed.as_ref().unwrap_or(&Value::Null),
            );
            if method != "GET" || sim.ws.next_id != before {
                sim.dirty = true;
            }
            // A write that could have said skip_notifications and did not would have e-mailed
            // someone (erratum notifications).
            if method != "GET"
                && (200..300).contains(&out.0)
                && parsed.as_ref().and_then(|b| b.get("skip_notifications")) != Some(&json!(true))
                && sim
                    .spec
                    .request_accepts(&method, &path, "skip_notifications")
            {
                let op = sim.spec.template(&method, &path).unwrap_or_default();
                *sim.ws.notifications.entry(op).or_default() += 1;
            }
            out
        };
        let lose_this = (200..300).contains(&status)
            && !sim.lose.is_empty()
            && sim
                .spec
                .template(&method, &path)
                .and_then(|op| sim.lose.get_mut(&op))
                .is_some_and(|left| {
                    let lose = *left > 0;
                    *left = left.saturating_sub(1);
                    lose
                });
        if lose_this {
            sim.faults.lost_answers += 1;
            return cut_connection();
        }
        if fail_after {
            sim.faults.server_errors += 1;
            return injected(&rate_headers);
        }
        if cut {
            sim.faults.cut_connections += 1;
            return cut_connection();
        }
        if hang && after {
            sim.faults.hung += 1;
            break 'locked rate_headers;
        }
        // Held to the spec on the way out too.
        if !reply.is_null() {
            let violations = sim.spec.check_response(&method, &path, status, &reply);
            // An answer the live API gives beyond the spec (errata.toml) is known, not wrong.
            let documented_elsewhere =
                crate::intercom::errata::status(&method, &path, status).is_some();
            if !violations.is_empty()
                && !documented_elsewhere
                && !violations[0].contains("lists no response")
            {
                let (s, b) = error(
                    500,
                    "server_error",
                    format!(
                        "simulator response violates the spec: {}",
                        violations.join("; ")
                    ),
                );
                return json_response(s, &b, &rate_headers);
            }
        }
        return json_response(status, &reply, &rate_headers);
    };
    tokio::time::sleep(hang_for).await;
    injected(&hang_headers)
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
