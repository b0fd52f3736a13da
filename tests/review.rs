//! `ostmig review` in a real browser (issue 25): Debian's headless Chromium, driven over
//! WebDriver by chromedriver, reads the real osTicket 1.17 database's sampled threads side by
//! side, flags one ticket with a comment and approves another; the decisions are read back
//! from the staging file, shown in the thread-sample workbook, and gate `load --apply`.
//! Hostile bodies from the hostile-input corpus render inert: no script runs, nothing is
//! fetched from anywhere but the review itself.
mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A process that is killed when the test ends, however it ends, with the processes it started
/// (chromedriver's Chromium): each runs in a process group of its own.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(group) = rustix::process::Pid::from_raw(self.0.id() as i32) {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Debian's Chromium and its driver, installed by `.ci/run`: missing fails under CI, and skips
/// (loudly) elsewhere.
fn browser_installed() -> bool {
    let there = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !there {
        assert!(
            std::env::var_os("CI").is_none(),
            "{CHROMIUM} or {CHROMEDRIVER} is missing: .ci/run installs Debian's chromium and chromium-driver"
        );
        eprintln!(
            "SKIPPED: no {CHROMIUM} / {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        );
    }
    there
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver on a free loopback port, and a headless Chromium session through it.
async fn browser(profile: &Path) -> (Running, Client) {
    let port = free_port();
    let driver = Running(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    // As root, without a sandbox of its own; without background networking, which this
    // machine's closed network refuses (and the test must see the only requests the page makes).
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--window-size=1400,1000",
                     format!("--user-data-dir={}", profile.display())],
        }),
    );
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    let mut last = None;
    for _ in 0..3 {
        match builder.capabilities(caps.clone()).connect(&url).await {
            Ok(client) => return (driver, client),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("no Chromium session: {last:?}");
}

/// `ostmig review` on a free loopback port; its address.
fn review(db: &Path, extra: &[&str]) -> (Running, String) {
    review_on(db, "127.0.0.1:0", extra)
}

/// `ostmig review` listening on `listen`; the address it printed.
fn review_on(db: &Path, listen: &str, extra: &[&str]) -> (Running, String) {
    let mut child = Command::new(bin())
        .args(["review", "--db", db.to_str().unwrap(), "--listen", listen])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = ostmig::sim::url_from_banner(&line)
        .unwrap_or_else(|| panic!("ostmig review printed {line:?}"));
    (Running(child), url)
}

/// The real 1.17 database (with `damage` applied) staged and transformed, with a sample of 10.
fn staged(db: &str, dir: &Path, damage: Option<&str>) -> Option<(PathBuf, Sim)> {
    if !mariadb_up() || !load_real117(db) {
        return None;
    }
    if let Some(sql) = damage {
        admin_sql(Some(db), sql);
    }
    let seed = dir.join("workspace.toml");
    std::fs::write(&seed, SIM_SEED).unwrap();
    let sim = Sim::start(&["--seed", seed.to_str().unwrap()])?;
    let path = dir.join("m.duckdb");
    let p = path.to_str().unwrap();
    snapshot(db, &path, &[]);
    split_to_the_end(p, &["--sample", "10"]);
    let pulled = ostmig(
        &["intercom", "pull", "--db", p, "--intercom-url", &sim.url],
        &[("OSTMIG_INTERCOM_TOKEN", "sim-token-review")],
    );
    expect_exit(&pulled, 0, "intercom pull");
    transform(&path, dir, "");
    Some((path, sim))
}

fn transform(path: &Path, dir: &Path, top: &str) {
    let config = dir.join("ostmig.toml");
    std::fs::write(&config, format!("{top}{SETTLED}")).unwrap();
    let out = ostmig(
        &[
            "transform",
            "--db",
            path.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
    );
    expect_exit(&out, 0, "transform");
}

/// A ticket's lines as the staging file has them: (line, osTicket author and time, Intercom
/// author and time when the line shows a part of its own).
type Expected = (i64, Option<(String, String)>, Option<(String, String)>);

fn expected_lines(db: &Path, ticket_id: i64) -> Vec<Expected> {
    let conn = duck(db);
    let mut stmt = conn
        .prepare(
            "SELECT line, source_author, strftime(source_at, '%Y-%m-%d %H:%M:%S'), source_kind,
                    intercom_author, strftime(intercom_at, '%Y-%m-%d %H:%M:%S'), intercom_kind
             FROM reports.rpt_review_thread WHERE ticket_id = ? ORDER BY line",
        )
        .unwrap();
    stmt.query_map([ticket_id], |r| {
        let source = r
            .get::<_, Option<String>>(3)?
            .map(|_| -> duckdb::Result<(String, String)> {
                Ok((
                    r.get::<_, Option<String>>(1)?.unwrap_or("unknown".into()),
                    r.get::<_, Option<String>>(2)?.unwrap_or("no date".into()),
                ))
            })
            .transpose()?;
        let kind: Option<String> = r.get(6)?;
        let intercom = match kind.as_deref() {
            None | Some("same_note") | Some("not_sent") => None,
            Some(_) => Some((
                r.get::<_, Option<String>>(4)?.unwrap_or("unknown".into()),
                r.get::<_, Option<String>>(5)?.unwrap_or("no date".into()),
            )),
        };
        Ok((r.get(0)?, source, intercom))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

async fn text_in(client: &Client, css: &str) -> Option<String> {
    match client.find(Locator::Css(css)).await {
        Ok(el) => Some(el.text().await.unwrap()),
        Err(_) => None,
    }
}

/// Click what `target` finds, and wait for the page it leads to (what `arrived` finds there):
/// a click that navigates returns before the next page is there.
async fn click_to(
    client: &Client,
    target: Locator<'_>,
    arrived: &str,
) -> fantoccini::elements::Element {
    client.find(target).await.unwrap().click().await.unwrap();
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(arrived))
        .await
        .unwrap()
}

/// Wait until the page's script has made every body's frame, and each has loaded.
async fn all_framed(client: &Client) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = client
            .execute(
                "return document.querySelectorAll('div.body.pending').length + [...document.querySelectorAll('iframe.body')].filter(f => !f.contentDocument || f.contentDocument.readyState !== 'complete').length",
                vec![],
            )
            .await
            .unwrap();
        if left == json!(0) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "bodies still waiting for a frame: {left}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Decide on the open ticket through its form, as a person would, and wait for the answer.
async fn decide(client: &Client, reviewer: &str, comment: &str, button: &str) {
    let name = client
        .find(Locator::Css("form input[name=reviewer]"))
        .await
        .unwrap();
    name.clear().await.unwrap();
    name.send_keys(reviewer).await.unwrap();
    client
        .find(Locator::Css("form textarea[name=comment]"))
        .await
        .unwrap()
        .send_keys(comment)
        .await
        .unwrap();
    click_to(
        client,
        Locator::Css(&format!("form button.{button}")),
        "p.notice",
    )
    .await;
}

#[test]
fn a_reviewer_reads_flags_and_approves_threads_in_chromium() {
    if !browser_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some((db, sim)) = staged("ostmig_t_review", dir.path(), None) else {
        return;
    };
    let conn = duck(&db);
    // The two sampled tickets with the longest threads: the first is flagged, the second approved.
    let sampled = |nth: i64| -> (i64, String) {
        conn.query_row(
            "SELECT s.ticket_id, t.number FROM stage.split_sample s
             JOIN staging.stg_tickets t USING (ticket_id)
             JOIN intermediate.int_tickets i USING (ticket_id)
             WHERE i.outcome = 'migrate'
               AND ticket_id IN (SELECT ticket_id FROM outbox.outbox_ticket_events)
             GROUP BY ALL ORDER BY count(*) DESC, s.ticket_id LIMIT 1 OFFSET ?",
            [nth],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let ((flag_id, flag_number), (ok_id, ok_number)) = (sampled(0), sampled(1));
    let in_sample = duck_i64(
        &conn,
        "SELECT count(DISTINCT ticket_id) FROM stage.split_sample",
    );
    drop(conn);
    let (_server, url) = review(&db, &["--reviewer", "Dana Reviewer"]);

    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let (_driver, client) = browser(&dir.path().join("profile")).await;

        // The list: every sampled ticket, none reviewed yet.
        client.goto(&url).await.unwrap();
        let rows = client
            .find_all(Locator::Css("table.tickets tbody tr"))
            .await
            .unwrap();
        assert_eq!(rows.len() as i64, in_sample);
        for row in &rows {
            assert!(row.text().await.unwrap().contains("not reviewed"));
        }

        // A sampled ticket, side by side: every line shows its author and time on each side
        // that has one, exactly as staged; every body frame was filled and sized.
        click_to(&client, Locator::LinkText(&format!("#{flag_number}")), "ol.thread").await;
        let expected = expected_lines(&db, flag_id);
        let entries = duck_i64(
            &duck(&db),
            &format!("SELECT count(*) FROM stage.parts WHERE ticket_id = {flag_id}"),
        );
        let shown_entries = client
            .find_all(Locator::Css(
                "article.osticket.kind-message, article.osticket.kind-response, article.osticket.kind-note, article.osticket.kind-system",
            ))
            .await
            .unwrap()
            .len() as i64;
        assert_eq!(shown_entries, entries, "every osTicket entry is shown");
        assert!(expected.len() >= entries as usize);
        for (line, source, intercom) in &expected {
            let at = |side: &str, what: &str| format!("li#line-{line} article.{side} header {what}");
            let got_source = match text_in(&client, &at("osticket", ".author")).await {
                Some(author) => Some((author, text_in(&client, &at("osticket", "time")).await.unwrap())),
                None => None,
            };
            assert_eq!(&got_source, source, "osTicket side of line {line}");
            let got_intercom = match text_in(&client, &at("intercom", ".author")).await {
                Some(author) => Some((author, text_in(&client, &at("intercom", "time")).await.unwrap())),
                None => None,
            };
            assert_eq!(&got_intercom, intercom, "Intercom side of line {line}");
        }
        // The frames hold the bodies: the page's script framed every body and sized every
        // frame to its content, and the first entry's text is in its frame.
        all_framed(&client).await;
        let unfitted = client
            .execute(
                "return document.querySelectorAll('iframe.body:not(.fitted)').length",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(unfitted, json!(0));
        let first_text = duck_str(
            &duck(&db),
            &format!(
                "SELECT body_text FROM stage.parts WHERE ticket_id = {flag_id} ORDER BY seq LIMIT 1"
            ),
        )
        .unwrap();
        let framed = client
            .execute(
                "return document.querySelector('li.line article.osticket iframe.body').contentDocument.body.innerText",
                vec![],
            )
            .await
            .unwrap();
        let word = first_text
            .split_whitespace()
            .find(|w| w.len() > 4 && w.chars().all(char::is_alphanumeric))
            .unwrap_or("");
        assert!(
            framed.as_str().unwrap().contains(word),
            "{word:?} not in {framed}"
        );

        // Tall enough to show the header and the first lines of the thread side by side.
        client.set_window_size(1400, 1600).await.unwrap();
        all_framed(&client).await;
        let png = client.screenshot().await.unwrap();
        let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("review-ticket.png");
        std::fs::write(&shot, png).unwrap();
        eprintln!("screenshot of the ticket view: {}", shot.display());

        // Flag it with a comment, then approve another.
        decide(&client, "Dana Reviewer", "The table in the first reply lost its borders", "flag").await;
        assert_eq!(
            text_in(&client, "#status").await.as_deref(),
            Some("flagged")
        );
        client.goto(&url).await.unwrap();
        click_to(&client, Locator::LinkText(&format!("#{ok_number}")), "ol.thread").await;
        // The name typed before is remembered.
        let remembered = client
            .find(Locator::Css("form input[name=reviewer]"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(remembered.as_deref(), Some("Dana Reviewer"));
        decide(&client, "Dana Reviewer", "", "approve").await;

        // A flag needs a comment: refused, and said why.
        client.goto(&format!("{url}/ticket/{ok_number}")).await.unwrap();
        let said = click_to(&client, Locator::Css("form button.flag"), "section.problem").await
            .text()
            .await
            .unwrap();
        assert!(said.contains("without a comment"), "{said}");

        // The list counts them.
        client.goto(&format!("{url}/?status=flagged")).await.unwrap();
        let flagged = client
            .find_all(Locator::Css("table.tickets tbody tr"))
            .await
            .unwrap();
        assert_eq!(flagged.len(), 1);
        assert!(flagged[0].text().await.unwrap().contains("lost its borders"));
        client.close().await.unwrap();
    });

    // The decisions, read back from the staging file: who, what, and the digest of what they saw.
    let conn = duck(&db);
    let decisions: Vec<(i64, String, String, String, bool)> = conn
        .prepare(
            "SELECT d.ticket_id, d.verdict, d.comment, d.reviewer, d.payload_sha256 = r.payload_sha256
             FROM review.decision d JOIN reports.rpt_review_tickets r USING (ticket_id)
             ORDER BY d.decision_id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        decisions,
        vec![
            (
                flag_id,
                "flagged".into(),
                "The table in the first reply lost its borders".into(),
                "Dana Reviewer".into(),
                true
            ),
            (
                ok_id,
                "approved".into(),
                "".into(),
                "Dana Reviewer".into(),
                true
            ),
        ]
    );
    drop(conn);

    // The thread-sample workbook carries the sign-off on each line of the two tickets.
    let out = dir.path().join("reports");
    let written = ostmig(
        &[
            "report",
            "thread-sample",
            "--db",
            db.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(written.status.code().is_some_and(|c| c <= 1));
    let conn = duck(&db);
    let signed = duck_i64(
        &conn,
        &format!(
            "SELECT count(*) FROM reports.rpt_thread_sample s JOIN staging.stg_tickets t ON t.number = s.ticket
             WHERE t.ticket_id = {ok_id} AND s.signed_off_by LIKE 'Dana Reviewer: approved on %'"
        ),
    );
    assert!(signed > 0);
    drop(conn);
    assert!(out.join("thread-sample.xlsx").exists());

    // The load: a flagged ticket is a warning; an approval of a payload that changed since
    // (activity history as one summary note now) stops it.
    assert!(
        ostmig::review::gate(&duck(&db))
            .unwrap()
            .is_some_and(|w| w.contains(&format!("#{flag_number}")))
    );
    transform(&db, dir.path(), "events = \"summary\"\n");
    let d = db.to_str().unwrap();
    confirm_mapping(&db);
    record_notes_hidden(&db);
    let refused = ostmig(
        &["load", "--apply", "--db", d, "--intercom-url", &sim.url],
        &[("OSTMIG_INTERCOM_TOKEN", "sim-token-review")],
    );
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    assert!(
        said.contains("would be sent differently from what the reviewer approved")
            && said.contains(&format!("#{ok_number}")),
        "{said}"
    );
    assert_eq!(
        duck_str(
            &duck(&db),
            &format!("SELECT status FROM reports.rpt_review_tickets WHERE ticket_id = {ok_id}")
        )
        .as_deref(),
        Some("approved, changed since")
    );
}

/// Counts every connection made to it: the remote host a hostile body points at.
fn beacon() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut s = stream;
            let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = s.read(&mut [0u8; 1024]);
        }
    });
    (port, hits)
}

#[test]
fn hostile_bodies_render_inert_in_the_review() {
    if !browser_installed() {
        return;
    }
    let (port, hits) = beacon();
    // On top of the corpus: bodies and names that would fetch from the beacon or write to the
    // page, were anything of them to run or load.
    let remote = format!("http://127.0.0.1:{port}");
    let damage = format!(
        "{HOSTILE}
UPDATE ost_thread_entry SET body = CONCAT(body,
  '<img src=\"{remote}/img\"><link rel=\"stylesheet\" href=\"{remote}/css\"><iframe src=\"{remote}/frame\"></iframe>',
  '<video poster=\"{remote}/poster\"></video><object data=\"{remote}/object\"></object><embed src=\"{remote}/embed\">',
  '<meta http-equiv=\"refresh\" content=\"0;url={remote}/refresh\"><base href=\"{remote}/\"><a href=\"x\">relative</a>',
  '<div style=\"background:url({remote}/style)\">styled</div>',
  '<script>top.document.title = \"pwned\"; fetch(\"{remote}/fetch\");</script>',
  '<img src=\"x\" onerror=\"top.document.title = &quot;pwned&quot;\">')
  WHERE id = 4;
UPDATE ost_thread_entry SET poster = '<img src=\"{remote}/poster-name\">Eve' WHERE id = 1;
"
    );
    let dir = tempfile::tempdir().unwrap();
    let Some((db, _sim)) = staged("ostmig_t_review_hostile", dir.path(), Some(&damage)) else {
        return;
    };
    let conn = duck(&db);
    let numbers: Vec<String> = conn
        .prepare(
            "SELECT number FROM staging.stg_tickets WHERE ticket_id IN (1, 2) ORDER BY ticket_id",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(conn);
    assert_eq!(numbers.len(), 2);
    let (_server, url) = review(&db, &[]);

    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let (_driver, client) = browser(&dir.path().join("profile")).await;
        for number in &numbers {
            // Opened by number, from the box at the top, as a reviewer would.
            client.goto(&url).await.unwrap();
            let input = client.find(Locator::Css("form.jump input")).await.unwrap();
            input.send_keys(number).await.unwrap();
            click_to(&client, Locator::Css("form.jump button"), "ol.thread").await;
            // Every body in its frame, and the frames the time to load what they would.
            all_framed(&client).await;
            tokio::time::sleep(Duration::from_secs(2)).await;
            assert!(
                client.get_alert_text().await.is_err(),
                "an alert is open on #{number}"
            );
            let title = client.title().await.unwrap();
            assert!(title.contains(number.as_str()) && !title.contains("pwned"), "{title}");
            // Only the page's own script element exists outside the frames …
            let scripts = client
                .execute("return document.scripts.length", vec![])
                .await
                .unwrap();
            assert_eq!(scripts, json!(1));
            // … and the hostile markup did reach the frames (so this test tests something),
            // where the sandbox keeps it from running.
            let framed = client
                .execute(
                    "return [...document.querySelectorAll('iframe.body')].filter(f => f.contentDocument && f.contentDocument.querySelector('script, [onerror], [onclick]')).length",
                    vec![],
                )
                .await
                .unwrap();
            if number == &numbers[1] {
                assert!(framed.as_u64().unwrap() > 0, "no hostile markup reached a frame");
                // A name with markup is shown as text.
                let authors = client
                    .find_all(Locator::Css("article.osticket header .author"))
                    .await
                    .unwrap();
                let mut names = Vec::new();
                for a in authors {
                    names.push(a.text().await.unwrap());
                }
                assert!(
                    names.contains(&"<script>alert(\"poster\")</script>Mallory".to_string()),
                    "{names:?}"
                );
            }
        }
        client.close().await.unwrap();
    });
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a hostile body made the browser fetch from elsewhere"
    );
}

/// GET `url` without a browser: (status, body, set-cookie).
fn get(url: &str, cookie: Option<&str>) -> (u16, String, Option<String>) {
    let (url, cookie) = (url.to_string(), cookie.map(str::to_string));
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let mut request = client.get(&url);
            if let Some(c) = cookie {
                request = request.header("cookie", c);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let set = response
                .headers()
                .get("set-cookie")
                .map(|v| v.to_str().unwrap().to_string());
            (status, response.text().await.unwrap(), set)
        })
    })
    .join()
    .unwrap()
}

/// GET `url` for its bytes: (status, content type, content security policy, length).
fn fetch(url: &str) -> (u16, String, String, i64) {
    let url = url.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let r = reqwest::get(&url).await.unwrap();
            let header = |name: &str| {
                r.headers()
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default()
            };
            let (kind, csp) = (header("content-type"), header("content-security-policy"));
            let status = r.status().as_u16();
            (status, kind, csp, r.bytes().await.unwrap().len() as i64)
        })
    })
    .join()
    .unwrap()
}

#[test]
fn after_a_load_the_review_shows_what_intercom_holds_and_stays_private() {
    let dir = tempfile::tempdir().unwrap();
    let Some((db, sim)) = staged("ostmig_t_review_readback", dir.path(), None) else {
        return;
    };
    let (d, token) = (
        db.to_str().unwrap(),
        ("OSTMIG_INTERCOM_TOKEN", "sim-token-review"),
    );
    confirm_mapping(&db);
    record_notes_hidden(&db);
    let loaded = ostmig(
        &["load", "--apply", "--db", d, "--intercom-url", &sim.url],
        &[token],
    );
    expect_exit(&loaded, 0, "load --apply");
    let verified = ostmig(&["verify", "--db", d, "--intercom-url", &sim.url], &[token]);
    expect_exit(&verified, 0, "verify");

    // Every line the load sent is found in what Intercom holds, as sent: the local Intercom
    // keeps what it is given.
    let conn = duck(&db);
    let sent = duck_i64(
        &conn,
        "SELECT count(*) FROM reports.rpt_review_thread WHERE ledger_type IS NOT NULL
           AND ticket_id IN (SELECT ticket_id FROM intermediate.int_tickets WHERE outcome = 'migrate')",
    );
    let arrived = duck_i64(
        &conn,
        "SELECT count(*) FROM reports.rpt_review_readback r JOIN reports.rpt_review_thread t USING (ticket_id, line)
         WHERE r.target = 'main' AND t.ledger_type IS NOT NULL AND r.readback_kind <> 'missing'",
    );
    assert!(sent > 100);
    assert_eq!(arrived, sent);
    let differing = duck_i64(
        &conn,
        "SELECT count(*) FROM reports.rpt_review_readback WHERE len(readback_differences) > 0
           AND readback_kind NOT LIKE 'intercom_%'",
    );
    assert_eq!(differing, 0);
    // A part removed in Intercom after the load shows as missing from what it holds.
    let (number, part): (String, String) = conn
        .query_row(
            "SELECT l.ticket_key, l.intercom_id FROM load.ledger l
             WHERE l.object_type = 'part' AND l.status = 'created' ORDER BY l.source_key::BIGINT LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    conn.execute_batch(&format!(
        "UPDATE load.readback SET body = replace(body::VARCHAR, '\"id\":\"{part}\"', '\"id\":\"gone-{part}\"')::JSON
         WHERE object_type = 'ticket' AND source_key = '{number}'"
    ))
    .unwrap();
    drop(conn);

    let (_server, url) = review(&db, &[]);
    let (status, page, _) = get(&format!("{url}/ticket/{number}"), None);
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("as verify read it back from the workspace"),
        "{page}"
    );
    assert!(page.contains("Not in Intercom"));
    assert!(page.contains("not in Intercom: the load sent it, the read-back does not hold it"));
    assert!(page.contains("Intercom&#x27;s own part") || page.contains("Intercom's own part"));
    let (_, outbox, _) = get(&format!("{url}/ticket/{number}?shown=outbox"), None);
    assert!(outbox.contains("as the load will send it"));

    // Files open from the page, byte for byte as the staging file holds them; an image osTicket
    // shows inside a body (cid:) is served to its frame.
    let conn = duck(&db);
    let (with_image, file_id, key, bytes): (String, i64, String, i64) = conn
        .query_row(
            "SELECT t.number, a.file_id, f.key, sum(octet_length(c.filedata))::BIGINT
             FROM stage.part_attachment a
             JOIN stage.parts p USING (entry_id)
             JOIN staging.stg_tickets t ON t.ticket_id = p.ticket_id
             JOIN staging.base_file f ON f.id = a.file_id
             JOIN raw.file_chunk c ON c.file_id = a.file_id
             WHERE a.role = 'inline_image'
             GROUP BY ALL ORDER BY a.file_id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    drop(conn);
    let (_, page, _) = get(&format!("{url}/ticket/{with_image}?shown=outbox"), None);
    // (Inside the escaped frame source, where the page writes "/" as "&#x2f;".)
    assert!(
        page.contains(&key) && !page.contains(&format!("cid:{key}")),
        "the image is not pointed at the review"
    );
    assert!(page.contains(&format!("href=\"/file/file%3A{file_id}\"")));
    let (status, kind, csp, length) = fetch(&format!("{url}/cid/{key}"));
    assert_eq!((status, kind.as_str(), length), (200, "image/png", bytes));
    assert!(csp.starts_with("sandbox"), "{csp}");
    let (status, kind, _, length) = fetch(&format!("{url}/file/file%3A{file_id}"));
    assert_eq!((status, length), (200, bytes));
    assert!(
        kind == "image/png" || kind == "application/octet-stream",
        "{kind}"
    );
    // No other host may be named to reach it (a page elsewhere cannot rebind its name to it).
    let (status, ..) = {
        let port = url.rsplit(':').next().unwrap().to_string();
        let url = format!("http://127.0.0.1:{port}/");
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                let r = reqwest::Client::new()
                    .get(&url)
                    .header("host", format!("evil.example:{port}"))
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), ())
            })
        })
        .join()
        .unwrap()
    };
    assert_eq!(status, 403);

    // Beyond loopback: refused unless told, and then every request needs the printed token.
    let refused = ostmig(&["review", "--db", d, "--listen", "0.0.0.0:0"], &[]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    assert!(said.contains("--allow-remote"), "{said}");
    let (_open, remote) = review_on(&db, "0.0.0.0:0", &["--allow-remote"]);
    // The banner's address: http://0.0.0.0:PORT/?token=…; reached here over loopback.
    let token = remote.split("token=").nth(1).map(str::to_string);
    let port = remote
        .trim_start_matches("http://0.0.0.0:")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let base = format!("http://127.0.0.1:{port}");
    let (status, ..) = get(&format!("{base}/"), None);
    assert_eq!(status, 401);
    let token = token.expect("the banner carries the token");
    let (status, _, cookie) = get(&format!("{base}/?token={token}"), None);
    assert_eq!(status, 200);
    let cookie = cookie.expect("the token is kept in a cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let jar = cookie.split(';').next().unwrap().to_string();
    let (status, ..) = get(&format!("{base}/ticket/{number}"), Some(&jar));
    assert_eq!(status, 200);
    let (status, ..) = get(
        &format!("{base}/ticket/{number}"),
        Some("ostmig_token=wrong"),
    );
    assert_eq!(status, 401);
}
