//! The review's HTTP side: routes, the guard every request passes, and the staging file held
//! only while a request is answered.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Form, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Options, pages};
use crate::error::Hinted;

/// What every page may load: only this server's own style and script, the frames' one inline
/// style (by its digest), and images inline. The sandboxed body frames inherit this policy
/// (srcdoc), so a body's remote image, font or frame is never fetched, and no inline script or
/// handler runs even where a sandbox would allow it.
fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self' {}; img-src 'self' data:; \
         frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        pages::body_style_digest()
    )
}

const REVIEW_CSS: &str = include_str!("static/review.css");
const REVIEW_JS: &str = include_str!("static/review.js");

struct App {
    db: PathBuf,
    /// One request at a time opens the staging file: DuckDB lets one process write it, and the
    /// file is free for `ostmig load` or the shell between requests.
    file: tokio::sync::Mutex<()>,
    /// Required of every request when listening beyond loopback.
    token: Option<String>,
    reviewer: String,
    csp: String,
}

type Shared = Arc<App>;

/// Serve the review until ctrl-c; the address actually bound is printed first (port 0 works).
pub fn serve(opts: Options) -> anyhow::Result<()> {
    if !opts.db.is_file() {
        return Err(Hinted::new(
            format!("{} does not exist", opts.db.display()),
            "pass the staging file of the migration with --db (after `ostmig transform`)",
        )
        .into());
    }
    {
        let duck = crate::warehouse::open(&opts.db)?;
        if duck
            .prepare("SELECT 1 FROM reports.rpt_review_thread LIMIT 0")
            .is_err()
        {
            return Err(Hinted::new(
                format!("{} has no thread to review yet", opts.db.display()),
                "run `ostmig split --sample 50` and `ostmig transform` first",
            )
            .into());
        }
    }
    let loopback = opts.listen.ip().is_loopback();
    if !loopback && !opts.allow_remote {
        return Err(Hinted::new(
            format!(
                "{} is not a loopback address: anyone who reaches it could read the customer's tickets",
                opts.listen
            ),
            "listen on 127.0.0.1 (the default), or add --allow-remote: every request then needs the token printed at start",
        )
        .into());
    }
    let token = (!loopback).then(|| {
        use rand::RngCore;
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    });
    let reviewer = opts
        .reviewer
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_default();
    let app: Shared = Arc::new(App {
        db: opts.db.clone(),
        file: tokio::sync::Mutex::new(()),
        token,
        reviewer,
        csp: content_security_policy(),
    });
    crate::block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|e| {
                Hinted::new(
                    format!("cannot listen on {}: {e}", opts.listen),
                    "pick a free port: --listen 127.0.0.1:0 chooses one",
                )
            })?;
        let addr = listener.local_addr()?;
        match &app.token {
            None => crate::out!("ostmig review listening on http://{addr}"),
            Some(t) => {
                crate::out!("ostmig review listening on http://{addr}/?token={t}");
                eprintln!("give this address, with its token, only to the reviewers");
            }
        }
        eprintln!(
            "open the address in a browser; ctrl-c stops the review (every decision is already saved)"
        );
        let router = axum::Router::new()
            .route("/", get(list))
            .route("/ticket", get(jump))
            .route("/ticket/{number}", get(ticket))
            .route("/ticket/{number}/decision", post(decision))
            .route("/static/{name}", get(asset))
            .route("/file/{reference}", get(file))
            .route("/cid/{key}", get(inline_image))
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(app.clone(), guard))
            .with_state(app);
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        anyhow::Ok(())
    })
}

/// Every request: the token beyond loopback, a Host that is this server on loopback (a page
/// elsewhere cannot reach it by DNS rebinding), a form posted from this server's own page;
/// every answer: the security headers.
async fn guard(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let headers = request.headers().clone();
    let query: HashMap<String, String> = Query::try_from_uri(request.uri())
        .map(|Query(q)| q)
        .unwrap_or_default();
    let mut set_token = None;
    if let Some(token) = &app.token {
        let given = query
            .get("token")
            .cloned()
            .or_else(|| cookie(&headers, "ostmig_token"));
        if given.as_deref() != Some(token.as_str()) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "This review needs its token",
                "Open the address `ostmig review` printed when it started: it ends in ?token=…",
            );
        }
        if query.contains_key("token") {
            set_token = Some(token.clone());
        }
    } else if !host_is_loopback(&headers) {
        return refuse(
            StatusCode::FORBIDDEN,
            "Not this server's address",
            "Open the review at the address `ostmig review` printed (http://127.0.0.1:…).",
        );
    }
    if request.method() == axum::http::Method::POST && !same_origin(&headers) {
        return refuse(
            StatusCode::FORBIDDEN,
            "A decision must come from the review's own page",
            "Open the ticket in the review and use its form.",
        );
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    // A file sets its own, stricter policy.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(csp) = HeaderValue::from_str(&app.csp)
    {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Not "no-referrer": with it a browser posts the form with `Origin: null`, and a decision
    // could not be told from a cross-site post. Nothing is sent to other sites either way.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(t) = set_token
        && let Ok(v) = HeaderValue::from_str(&format!(
            "ostmig_token={t}; Path=/; HttpOnly; SameSite=Strict"
        ))
    {
        h.append(header::SET_COOKIE, v);
    }
    response
}

fn host_is_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A browser names the page a form was posted from; it must be this server.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        Some(origin) => url::Url::parse(origin).ok().is_some_and(|u| {
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            u.host_str().map(|h| format!("{h}{port}")).as_deref() == host
        }),
        // Not a browser's cross-site post (they all send Origin): a script or curl.
        None => true,
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
}

fn refuse(status: StatusCode, title: &str, hint: &str) -> Response {
    (status, Html(pages::problem(title, title, hint))).into_response()
}

/// Run `read` on the staging file, opened for this request only.
async fn with_file<T: Send + 'static>(
    app: &Shared,
    read: impl FnOnce(&duckdb::Connection) -> anyhow::Result<T> + Send + 'static,
) -> Result<T, Response> {
    let _held = app.file.lock().await;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        let duck = crate::warehouse::open(&db)?;
        read(&duck)
    })
    .await
    .map_err(anyhow::Error::from)
    .and_then(|r| r)
    .map_err(failure)
}

/// An error as a page: one the reader can mend (a hint) is theirs to mend; anything else is
/// the staging file's.
fn failure(e: anyhow::Error) -> Response {
    match e.chain().find_map(|c| c.downcast_ref::<Hinted>()) {
        Some(h) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(pages::problem("Not done", &h.message, &h.hint)),
        )
            .into_response(),
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Html(pages::problem(
                "The staging file could not be read",
                &format!("{e:#}"),
                "If another ostmig command is using the staging file, wait for it and reload.",
            )),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    page: Option<i64>,
}

async fn list(State(app): State<Shared>, Query(q): Query<ListQuery>) -> Response {
    let filter = q.status.unwrap_or_else(|| "all".into());
    let page = q.page.unwrap_or(1);
    match with_file(&app, move |duck| pages::list(duck, &filter, page, None)).await {
        Ok(html) => Html(html).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct JumpQuery {
    number: Option<String>,
}

async fn jump(Query(q): Query<JumpQuery>) -> Response {
    let number = q.number.unwrap_or_default();
    let number = number.trim().trim_start_matches('#');
    if number.is_empty() {
        return Redirect::to("/").into_response();
    }
    let path: String = url::form_urlencoded::byte_serialize(number.as_bytes()).collect();
    Redirect::to(&format!("/ticket/{path}")).into_response()
}

#[derive(Deserialize)]
struct TicketQuery {
    page: Option<i64>,
    done: Option<String>,
    shown: Option<String>,
}

async fn ticket(
    State(app): State<Shared>,
    UrlPath(number): UrlPath<String>,
    Query(q): Query<TicketQuery>,
    headers: HeaderMap,
) -> Response {
    let reviewer = cookie(&headers, "ostmig_reviewer").unwrap_or_else(|| app.reviewer.clone());
    let notice = match q.done.as_deref() {
        Some("approved") => Some("Saved: you approved this ticket."),
        Some("flagged") => Some("Saved: you flagged this ticket."),
        _ => None,
    };
    let page = q.page.unwrap_or(1);
    // After a load, what Intercom holds (where verify read it back), unless asked otherwise.
    let side = match q.shown.as_deref() {
        Some("outbox") => pages::Shown::Outbox,
        _ => pages::Shown::Intercom,
    };
    let asked = number.clone();
    let found = with_file(&app, move |duck| match pages::ticket_id(duck, &number)? {
        Some(id) => Ok(Some(pages::ticket(
            duck, id, page, side, &reviewer, notice,
        )?)),
        None => Ok(None),
    })
    .await;
    match found {
        Ok(Some(html)) => Html(html).into_response(),
        Ok(None) => refuse(
            StatusCode::NOT_FOUND,
            &format!("osTicket has no ticket #{asked} in this staging file"),
            "Type the number osTicket shows (not its internal id), or pick a ticket from the list.",
        ),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    verdict: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    reviewer: String,
    payload_sha256: String,
    #[serde(default)]
    shown: String,
}

async fn decision(
    State(app): State<Shared>,
    UrlPath(number): UrlPath<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let shown = if form.shown == "intercom" {
        "intercom"
    } else {
        "outbox"
    };
    let (n, reviewer) = (number.clone(), form.reviewer.clone());
    let verdict = form.verdict.clone();
    let saved = with_file(&app, move |duck| {
        super::decide(
            duck,
            &n,
            &form.verdict,
            &form.comment,
            &form.reviewer,
            &form.payload_sha256,
            shown,
        )
    })
    .await;
    match saved {
        Ok(()) => {
            let path: String = url::form_urlencoded::byte_serialize(number.as_bytes()).collect();
            let mut response =
                Redirect::to(&format!("/ticket/{path}?shown={shown}&done={verdict}"))
                    .into_response();
            let name: String = percent_encoding::utf8_percent_encode(
                &reviewer,
                percent_encoding::NON_ALPHANUMERIC,
            )
            .to_string();
            if let Ok(v) = HeaderValue::from_str(&format!(
                "ostmig_reviewer={name}; Path=/; SameSite=Strict; Max-Age=31536000"
            )) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            response
        }
        // A refused decision (no name, a flag without a comment) says why on its own page.
        Err(r) => r,
    }
}

/// A file of a line, by the name of its bytes (`file:<id>`, `image:<entry>:<n>`): an image is
/// shown, anything else downloaded; whatever it holds, it runs nothing (a sandbox policy of its
/// own, and no sniffing).
async fn file(State(app): State<Shared>, UrlPath(reference): UrlPath<String>) -> Response {
    match with_file(&app, move |duck| read_file(duck, &reference)).await {
        Ok((name, mime, bytes)) => serve_file(&name, &mime, bytes),
        Err(r) => r,
    }
}

/// An image osTicket shows inside a body (`cid:<file key>`), by its key.
async fn inline_image(State(app): State<Shared>, UrlPath(key): UrlPath<String>) -> Response {
    let found = with_file(&app, move |duck| {
        let id: Option<i64> = duck
            .query_row(
                "SELECT id FROM staging.base_file WHERE lower(key) = lower(?) ORDER BY id LIMIT 1",
                [&key],
                |r| r.get(0),
            )
            .ok();
        id.map(|id| read_file(duck, &format!("file:{id}")))
            .transpose()
    })
    .await;
    match found {
        Ok(Some((name, mime, bytes))) => serve_file(&name, &mime, bytes),
        Ok(None) => not_found().await,
        Err(r) => r,
    }
}

/// A file's name, type and bytes, by the name of its bytes.
fn read_file(
    duck: &duckdb::Connection,
    reference: &str,
) -> anyhow::Result<(String, String, Vec<u8>)> {
    let (name, mime) = describe(duck, reference)?;
    Ok((name, mime, crate::warehouse::file_bytes(duck, reference)?))
}

/// A file's name and type, by the name of its bytes.
fn describe(duck: &duckdb::Connection, reference: &str) -> anyhow::Result<(String, String)> {
    let found = match reference.split(':').collect::<Vec<_>>().as_slice() {
        ["file", id] => duck.query_row(
            "SELECT coalesce(name, 'file'), coalesce(type, '') FROM staging.base_file WHERE id = ?",
            [id.parse::<i64>()?],
            |r| Ok((r.get(0)?, r.get(1)?)),
        ),
        ["image", entry, n] => duck.query_row(
            "SELECT name, mime_type FROM stage.part_image WHERE entry_id = ? AND n = ?",
            duckdb::params![entry.parse::<i64>()?, n.parse::<i32>()?],
            |r| Ok((r.get(0)?, r.get(1)?)),
        ),
        _ => {
            return Err(Hinted::new(
                format!("{reference:?} names no file"),
                "open files from a ticket's page",
            )
            .into());
        }
    };
    found.map_err(|_| {
        Hinted::new(
            format!("the staging file holds no {reference}"),
            "osTicket kept it on disk, not in its database: the snapshot could not copy it",
        )
        .into()
    })
}

fn serve_file(name: &str, mime: &str, bytes: Vec<u8>) -> Response {
    let shown = [
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
    ]
    .contains(&mime.to_ascii_lowercase().as_str());
    let quoted: String =
        percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string();
    let disposition = if shown { "inline" } else { "attachment" };
    let kind = if shown {
        mime
    } else {
        "application/octet-stream"
    };
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    for (k, v) in [
        (header::CONTENT_TYPE, kind.to_string()),
        (
            header::CONTENT_DISPOSITION,
            format!("{disposition}; filename*=UTF-8''{quoted}"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'".to_string(),
        ),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
    response
}

async fn asset(UrlPath(name): UrlPath<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "review.css" => (REVIEW_CSS, "text/css; charset=utf-8"),
        "review.js" => (REVIEW_JS, "text/javascript; charset=utf-8"),
        _ => return not_found().await,
    };
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

async fn not_found() -> Response {
    refuse(
        StatusCode::NOT_FOUND,
        "No such page",
        "Start from the list of tickets under review.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn only_loopback_names_reach_a_loopback_review() {
        for host in [
            "127.0.0.1:8750",
            "localhost:8750",
            "[::1]:8750",
            "LOCALHOST",
            "127.0.0.2:1",
        ] {
            assert!(host_is_loopback(&headers(&[("host", host)])), "{host}");
        }
        for host in [
            "evil.example:8750",
            "127.0.0.1.evil.example",
            "10.0.0.1:8750",
            "",
            "localhost.:80x",
        ] {
            assert!(!host_is_loopback(&headers(&[("host", host)])), "{host}");
        }
        assert!(!host_is_loopback(&HeaderMap::new()));
    }

    #[test]
    fn a_decision_must_come_from_this_servers_own_page() {
        let ours = [("host", "127.0.0.1:8750")];
        assert!(same_origin(&headers(&[
            ours[0],
            ("origin", "http://127.0.0.1:8750")
        ])));
        assert!(!same_origin(&headers(&[
            ours[0],
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            ours[0],
            ("origin", "http://127.0.0.1:9999")
        ])));
        // `Origin: null` (a sandboxed or privacy-stripped page) is nobody's page.
        assert!(!same_origin(&headers(&[ours[0], ("origin", "null")])));
        // Not a browser: no Origin at all.
        assert!(same_origin(&headers(&ours)));
    }

    #[test]
    fn cookies_are_read_by_name_and_decoded() {
        let h = headers(&[("cookie", "a=1; ostmig_reviewer=Dana%20R%C3%A9viewer; b=2")]);
        assert_eq!(
            cookie(&h, "ostmig_reviewer").as_deref(),
            Some("Dana Réviewer")
        );
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn the_policy_allows_the_frames_style_and_nothing_remote() {
        let csp = content_security_policy();
        assert!(csp.contains(&pages::body_style_digest()));
        assert!(csp.contains("default-src 'none'"));
        assert!(!csp.contains("unsafe-inline") && !csp.contains("http"));
    }
}
