//! The no-database fallback (issue 10): the staff panel's CSV exports of the real osTicket 1.17
//! database — written here with osTicket's default export columns from the same rows — plus its
//! saved ticket pages give the same contacts, companies, tickets and parts as the database path
//! for the fields both provide; what differs is what `reports.rpt_fallback_gaps` lists.
mod common;

use std::path::Path;

use common::*;

/// `SELECT`s producing osTicket's three exports, with the headers its `Export` class writes
/// (tickets: `CustomQueue::getExportableFields`, users: Name/Organization/Email + the user form
/// by label, organizations: Name + Users/Account Manager).
const EXPORTS: &[(&str, &str, &str)] = &[
    (
        "Tickets-20261201.csv",
        "Ticket Number,Date Created,Subject,From,From Email,Priority,Department,Help Topic,Source,Current Status,Last Updated,SLA Due Date,Due Date,Closed Date,Overdue,Merged,Linked,Answered,Agent Assigned,Team Assigned,Thread Count,Reopen Count,Attachment Count,Task Count",
        "SELECT t.number, t.created,
                (SELECT v.value FROM ost_form_entry fe JOIN ost_form_entry_values v ON v.entry_id = fe.id
                   JOIN ost_form_field ff ON ff.id = v.field_id
                  WHERE fe.object_type = 'T' AND fe.object_id = t.ticket_id AND ff.name = 'subject' LIMIT 1),
                u.name, ue.address,
                (SELECT p.priority_desc FROM ost_form_entry fe JOIN ost_form_entry_values v ON v.entry_id = fe.id
                   JOIN ost_form_field ff ON ff.id = v.field_id JOIN ost_ticket_priority p ON p.priority_id = v.value_id
                  WHERE fe.object_type = 'T' AND fe.object_id = t.ticket_id AND ff.name = 'priority' LIMIT 1),
                d.name, ht.topic, t.source, s.name, t.lastupdate, t.est_duedate, t.duedate, t.closed,
                t.isoverdue, t.ticket_pid IS NOT NULL, t.flags & 8 <> 0, t.isanswered,
                NULLIF(TRIM(CONCAT_WS(' ', st.firstname, st.lastname)), ''), tm.name,
                (SELECT count(*) FROM ost_thread th JOIN ost_thread_entry e ON e.thread_id = th.id
                  WHERE th.object_type = 'T' AND th.object_id = t.ticket_id), 0, 0, 0
         FROM ost_ticket t
         LEFT JOIN ost_user u ON u.id = t.user_id
         LEFT JOIN ost_user_email ue ON ue.id = u.default_email_id
         LEFT JOIN ost_department d ON d.id = t.dept_id
         LEFT JOIN ost_help_topic ht ON ht.topic_id = t.topic_id
         LEFT JOIN ost_ticket_status s ON s.id = t.status_id
         LEFT JOIN ost_staff st ON st.staff_id = t.staff_id
         LEFT JOIN ost_team tm ON tm.team_id = t.team_id
         ORDER BY t.ticket_id",
    ),
    (
        "Users-20261201.csv",
        "Name,Organization,Email,Phone Number,Internal Notes",
        "SELECT u.name, o.name, ue.address,
                (SELECT v.value FROM ost_form_entry fe JOIN ost_form_entry_values v ON v.entry_id = fe.id
                   JOIN ost_form_field ff ON ff.id = v.field_id
                  WHERE fe.object_type = 'U' AND fe.object_id = u.id AND ff.name = 'phone' LIMIT 1), ''
         FROM ost_user u
         LEFT JOIN ost_organization o ON o.id = u.org_id
         LEFT JOIN ost_user_email ue ON ue.id = u.default_email_id
         ORDER BY u.id",
    ),
    (
        "Organizations-20261201.csv",
        "Name,Address,Phone,Website,Internal Notes,Users,Account Manager",
        "SELECT o.name, '', '', '', '', (SELECT count(*) FROM ost_user u WHERE u.org_id = o.id), ''
         FROM ost_organization o ORDER BY o.id",
    ),
];

/// One CSV field, quoted as PHP's fputcsv quotes it.
fn field(v: &str) -> String {
    if v == "NULL" {
        return String::new();
    }
    let v = v.replace("\\n", "\n").replace("\\t", "\t");
    format!("\"{}\"", v.replace('"', "\"\""))
}

fn write_exports(db: &str, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (file, header, sql) in EXPORTS {
        // osTicket writes `;` where the locale's decimal separator is a comma: the users
        // export is written that way here, and with its columns in another order.
        let semicolons = file.starts_with("Users");
        let order = |mut v: Vec<String>| {
            if semicolons {
                v.reverse();
            }
            v
        };
        let sep = if semicolons { ";" } else { "," };
        let mut out = order(header.split(',').map(String::from).collect()).join(sep);
        out.push('\n');
        for line in admin_sql(Some(db), sql).lines() {
            let row: Vec<String> = line.split('\t').map(field).collect();
            out.push_str(&order(row).join(sep));
            out.push('\n');
        }
        std::fs::write(dir.join(file), out).unwrap();
    }
}

fn ok(out: &std::process::Output) {
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn csv_exports_and_saved_pages_give_what_the_database_gives() {
    let db = "ostmig_t_csv";
    require_mariadb!(real117 db);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ostmig.toml");
    std::fs::write(&config, SETTLED).unwrap();
    let c = config.to_str().unwrap();
    let rendered = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/osticket-1.17/rendered");
    let r = rendered.to_str().unwrap();

    // The database path.
    let from_db = dir.path().join("db.duckdb");
    let d = from_db.to_str().unwrap();
    ok(&snapshot(db, &from_db, &[]));
    ok(&ostmig(&["split", "--db", d], &[]));
    ok(&ostmig(&["transform", "--db", d, "--config", c], &[]));

    // The fallback: exports and saved pages only.
    let exports = dir.path().join("exports");
    write_exports(db, &exports);
    let from_csv = dir.path().join("csv.duckdb");
    let f = from_csv.to_str().unwrap();
    let out = ostmig(
        &["snapshot", "--csv", exports.to_str().unwrap(), "--db", f],
        &[],
    );
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("not imported"),
        "the export columns it cannot use are named"
    );
    ok(&ostmig(&["split", "--db", f, "--rendered", r], &[]));
    ok(&ostmig(&["transform", "--db", f, "--config", c], &[]));

    let conn = duck(&from_db);
    conn.execute_batch(&format!("ATTACH '{f}' AS csv (READ_ONLY)"))
        .unwrap();
    assert_eq!(
        duck_str(
            &conn,
            "SELECT kind FROM csv.meta.snapshot ORDER BY snapshot_id DESC LIMIT 1"
        )
        .as_deref(),
        Some("csv")
    );
    let differs = |what: &str, db_side: &str, csv_side: &str| {
        let both = |schema: &str, q: &str| q.replace("{s}", schema);
        let sql = format!(
            "SELECT string_agg(x, ' | ') FROM (
                 (SELECT * FROM ({}) EXCEPT ALL SELECT * FROM ({})) UNION ALL
                 (SELECT * FROM ({}) EXCEPT ALL SELECT * FROM ({}))) AS t(x)",
            both("", db_side),
            both("csv.", csv_side),
            both("csv.", csv_side),
            both("", db_side)
        );
        let found = duck_str(&conn, &sql);
        assert_eq!(
            found, None,
            "{what} differ between the database and the exports"
        );
    };

    // Companies and contacts: name, e-mail, phone, company.
    let companies = "SELECT payload->>'name' FROM {s}outbox.outbox_companies";
    differs("companies", companies, companies);
    // The company is compared where osTicket made the user a member: the exports carry no
    // organization domains, so the fallback proposes no company by domain (a listed gap).
    let contacts = "SELECT concat_ws(' / ', c.payload->>'email', c.payload->>'name', c.payload->>'phone',
                           CASE WHEN c.company_rule = 'member' THEN o.name END)
                    FROM {s}outbox.outbox_contacts c LEFT JOIN {s}staging.stg_organizations o ON o.org_id = c.org_id";
    differs("contacts", contacts, contacts);
    assert!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM outbox.outbox_contacts WHERE company_rule NOT IN ('member')"
        ) > 0,
        "the database path links some users by domain"
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM csv.outbox.outbox_contacts WHERE company_rule NOT IN ('member')"
        ),
        0,
        "the fallback links none by domain"
    );

    // Tickets: every ticket the database path migrates, with title, requester, priority and
    // state. The exports also list merged children as tickets of their own (no merges in CSV).
    let tickets = "SELECT concat_ws(' / ', t.number, t.title, u.email, s.priority_label, t.state_category)
                   FROM {s}intermediate.int_tickets t JOIN {s}staging.stg_tickets s USING (ticket_id)
                   LEFT JOIN {s}staging.stg_users u ON u.user_id = s.user_id
                   WHERE t.outcome = 'migrate' {only}";
    let merged = "AND t.number NOT IN (SELECT number FROM db.intermediate.int_tickets WHERE outcome = 'merged')";
    differs(
        "tickets",
        &tickets.replace("{only}", ""),
        &tickets.replace("{only}", merged),
    );
    let extra = duck_i64(
        &conn,
        "SELECT count(*) FROM csv.intermediate.int_tickets c JOIN db.intermediate.int_tickets d USING (number)
         WHERE c.outcome = 'migrate' AND d.outcome = 'merged'",
    );
    assert_eq!(
        extra,
        duck_i64(
            &conn,
            "SELECT count(*) FROM db.intermediate.int_tickets WHERE outcome = 'merged'"
        ),
        "the only extra tickets are merged children, a listed gap"
    );

    // Parts of the tickets whose pages were saved: same entries, order, time and text.
    let parts = "SELECT concat_ws(' / ', t.number, p.entry_id, p.seq, p.created_at, regexp_replace(p.body_text, '\\s+', ' ', 'g'))
                 FROM {s}stage.parts p JOIN {s}raw.ticket t ON t.ticket_id = p.ticket_id
                 WHERE t.number IN (SELECT t2.number FROM csv.stage.parts p2 JOIN csv.raw.ticket t2 ON t2.ticket_id = p2.ticket_id)";
    differs("parts", parts, parts);
    assert!(
        duck_i64(&conn, "SELECT count(*) FROM csv.stage.parts") >= 40,
        "the saved pages' entries are parts"
    );

    // What the fallback cannot carry is listed, and only for a CSV snapshot.
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM db.reports.rpt_fallback_gaps"),
        0
    );
    let gaps = duck_str(
        &conn,
        "SELECT string_agg(object, ', ' ORDER BY sort) FROM csv.reports.rpt_fallback_gaps",
    )
    .unwrap_or_default();
    for object in [
        "thread entries",
        "attachments",
        "custom fields",
        "SLA plans",
        "merges and links",
    ] {
        assert!(gaps.contains(object), "{object} missing from {gaps}");
    }
}

/// A stand-in for osTicket's staff panel on loopback: the login form with its CSRF token, the
/// login POST, and `scp/tickets.php?number=N` serving the real 1.17 pages saved in
/// ../shared (any other number gets the queue page, as osTicket shows when it finds no ticket).
/// Counts requests in flight, to check the downloader's politeness.
mod panel {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, StatusCode, header};
    use axum::response::{IntoResponse, Response};

    pub const AGENT: &str = "kchen";
    pub const PASSWORD: &str = "Agent-Pass!2024";
    const TOKEN: &str = "3f9c0e2a7b41d8e6c5f0a9b2d4e7c1a8f6b3e0d2";
    const LOGIN: &str = r#"<html><body><form action="login.php" method="post" id="login">
<input type="hidden" name="__CSRFToken__" value="3f9c0e2a7b41d8e6c5f0a9b2d4e7c1a8f6b3e0d2" />
<input type="hidden" name="do" value="scplogin">
<input type="text" name="userid" id="name"><input type="password" name="passwd" id="pass">
<button type="submit" name="submit">Log In</button></form></body></html>"#;

    #[derive(Default)]
    pub struct Panel {
        pub pages: HashMap<String, String>,
        pub queue: String,
        /// The one attachment whose link answers 404 (an expired or deleted file).
        pub gone: i64,
        pub in_flight: AtomicUsize,
        pub max_in_flight: AtomicUsize,
        pub ticket_requests: AtomicUsize,
    }

    fn cookie(headers: &HeaderMap) -> String {
        headers
            .get(header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    async fn login_form() -> Response {
        (
            [(
                header::SET_COOKIE,
                "OSTSESSID=anonymous; path=/scp; HttpOnly",
            )],
            axum::response::Html(LOGIN),
        )
            .into_response()
    }

    async fn login(headers: HeaderMap, body: String) -> Response {
        let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let ok = form.get("__CSRFToken__").map(String::as_str) == Some(TOKEN)
            && cookie(&headers).contains("OSTSESSID=anonymous")
            && form.get("userid").map(String::as_str) == Some(AGENT)
            && form.get("passwd").map(String::as_str) == Some(PASSWORD);
        if !ok {
            return axum::response::Html(LOGIN.replace("<form", "<p>Invalid login</p><form"))
                .into_response();
        }
        (
            StatusCode::FOUND,
            [
                (header::LOCATION, "index.php"),
                (
                    header::SET_COOKIE,
                    "OSTSESSID=agent-session; path=/scp; HttpOnly",
                ),
            ],
        )
            .into_response()
    }

    async fn ticket(
        State(panel): State<Arc<Panel>>,
        headers: HeaderMap,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        if !cookie(&headers).contains("OSTSESSID=agent-session") {
            return (StatusCode::FOUND, [(header::LOCATION, "login.php")]).into_response();
        }
        panel.ticket_requests.fetch_add(1, Ordering::SeqCst);
        let now = panel.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        panel.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        panel.in_flight.fetch_sub(1, Ordering::SeqCst);
        let number = q.get("number").cloned().unwrap_or_default();
        let html = panel.pages.get(&number).unwrap_or(&panel.queue).clone();
        axum::response::Html(html).into_response()
    }

    /// The bytes the stand-in serves for attachment `id`.
    pub fn bytes_of(id: i64) -> Vec<u8> {
        format!("attachment {id} as the stand-in panel serves it\n")
            .repeat(40)
            .into_bytes()
    }

    async fn file(
        State(panel): State<Arc<Panel>>,
        headers: HeaderMap,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        let id: i64 = q.get("id").and_then(|i| i.parse().ok()).unwrap_or(0);
        if !cookie(&headers).contains("OSTSESSID=agent-session") || id == panel.gone {
            return StatusCode::NOT_FOUND.into_response();
        }
        ([(header::CONTENT_TYPE, "image/png")], bytes_of(id)).into_response()
    }

    /// Serve on a free loopback port from a thread of its own; returns the help desk's URL.
    pub fn start(panel: Arc<Panel>) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let app = axum::Router::new()
                    .route("/scp/login.php", axum::routing::get(login_form).post(login))
                    .route("/scp/tickets.php", axum::routing::get(ticket))
                    .route("/file.php", axum::routing::get(file))
                    .with_state(panel);
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        url
    }
}

#[test]
fn ticket_pages_download_politely_after_an_agent_login_and_split_like_saved_ones() {
    let db = "ostmig_t_pages";
    require_mariadb!(real117 db);
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    write_exports(db, &exports);
    let path = dir.path().join("m.duckdb");
    let p = path.to_str().unwrap();
    ok(&ostmig(
        &["snapshot", "--csv", exports.to_str().unwrap(), "--db", p],
        &[],
    ));

    let rendered = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/osticket-1.17/rendered");
    let mut panel = panel::Panel::default();
    for entry in std::fs::read_dir(&rendered).unwrap() {
        let file = entry.unwrap().path();
        let html = std::fs::read_to_string(&file).unwrap_or_default();
        if file.to_string_lossy().ends_with("-view.html")
            && let Some(number) = ostmig::split::rendered::parse_page(&html).and_then(|p| p.number)
        {
            panel.pages.insert(number, html);
        } else if file.to_string_lossy().ends_with("queue-open.html") {
            panel.queue = html;
        }
    }
    assert!(panel.pages.len() >= 3, "the saved views name their tickets");
    let saved = panel.pages.len();
    let mut linked: Vec<i64> = panel
        .pages
        .values()
        .filter_map(|h| ostmig::split::rendered::parse_page(h))
        .flat_map(|p| p.entries.into_iter().flat_map(|e| e.links))
        .filter_map(|l| l.attachment_id)
        .collect();
    linked.sort();
    linked.dedup();
    assert!(linked.len() >= 3, "the saved pages link files: {linked:?}");
    panel.gone = linked[0];
    let panel = std::sync::Arc::new(panel);
    let url = panel::start(panel.clone());

    // A wrong password: refused at the login, with what to do, and never echoed.
    let wrong = "not-the-Pass-7731";
    let out = ostmig(
        &[
            "snapshot",
            "--pages",
            &url,
            "--agent",
            panel::AGENT,
            "--db",
            p,
        ],
        &[("OSTMIG_AGENT_PASSWORD", wrong)],
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("refused the login") && said.contains("OSTMIG_AGENT_PASSWORD"),
        "{said}"
    );
    assert!(!said.contains(wrong));

    // The right one: every ticket asked for, two at a time at most; the missing ones listed.
    let out = ostmig(
        &[
            "snapshot",
            "--pages",
            &url,
            "--agent",
            panel::AGENT,
            "--db",
            p,
            "--concurrency",
            "2",
            "--per-second",
            "200",
        ],
        &[("OSTMIG_AGENT_PASSWORD", panel::PASSWORD)],
    );
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use std::sync::atomic::Ordering;
    assert_eq!(panel.ticket_requests.load(Ordering::SeqCst), 62);
    assert!(panel.max_in_flight.load(Ordering::SeqCst) <= 2);
    assert!(said.contains("not a ticket page"), "{said}");
    let conn = duck(&path);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw_pages.page WHERE html IS NOT NULL"
        ) as usize,
        saved
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw_pages.page WHERE html IS NULL AND problem IS NOT NULL"
        ),
        62 - saved as i64
    );
    // Every linked file fetched once with the session, but the one whose link is gone.
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM raw_pages.file") as usize,
        linked.len()
    );
    assert_eq!(
        duck_str(
            &conn,
            "SELECT string_agg(attachment_id::VARCHAR, ',') FROM raw_pages.file WHERE problem LIKE 'HTTP 404%'"
        ),
        Some(linked[0].to_string())
    );
    assert!(said.contains("not fetched"), "{said}");
    for id in &linked[1..] {
        let size = duck_i64(
            &conn,
            &format!("SELECT sum(octet_length(filedata)) FROM raw.file_chunk WHERE file_id = {id}"),
        );
        assert_eq!(
            size as usize,
            panel::bytes_of(*id).len(),
            "file {id} stored whole"
        );
    }
    drop(conn);

    // Split from the stored pages = split from the same pages saved in a folder.
    let parts = |conn: &duckdb::Connection| {
        duck_str(
            conn,
            "SELECT string_agg(entry_id || ':' || ticket_id || ':' || md5(body_html), ',' ORDER BY entry_id) FROM stage.parts",
        )
    };
    ok(&ostmig(
        &["split", "--db", p, "--rendered", rendered.to_str().unwrap()],
        &[],
    ));
    let from_folder = parts(&duck(&path));
    ok(&ostmig(&["split", "--db", p, "--pages"], &[]));
    let conn = duck(&path);
    assert!(duck_i64(&conn, "SELECT count(*) FROM stage.parts") >= 40);
    assert_eq!(parts(&conn), from_folder);
    // The fetched files are the snapshot's now (uploaded by the load); the gone one is listed.
    assert_eq!(
        duck_i64(
            &conn,
            &format!(
                "SELECT count(DISTINCT attachment_id) FROM stage.part_attachment WHERE storage = 'D' AND size > 0 AND attachment_id <> {}",
                linked[0]
            )
        ) as usize,
        linked.len() - 1
    );
    assert_eq!(
        duck_str(
            &conn,
            &format!(
                "SELECT storage FROM stage.part_attachment WHERE attachment_id = {} LIMIT 1",
                linked[0]
            )
        )
        .as_deref(),
        Some("page")
    );
    drop(conn);

    // And on into a local Intercom: agents mapped by the names the export shows, departments
    // by their exported names; everything staged arrives, verify finds no difference.
    let seed = dir.path().join("workspace.toml");
    std::fs::write(&seed, SIM_SEED).unwrap();
    let Some(sim) = Sim::start(&["--seed", seed.to_str().unwrap()]) else {
        return;
    };
    let config = dir.path().join("ostmig.toml");
    std::fs::write(&config, BY_NAME).unwrap();
    let token = [("OSTMIG_INTERCOM_TOKEN", "sim-token-csv")];
    ok(&ostmig(
        &["intercom", "pull", "--db", p, "--intercom-url", &sim.url],
        &token,
    ));
    ok(&ostmig(
        &["transform", "--db", p, "--config", config.to_str().unwrap()],
        &[],
    ));
    record_notes_hidden(&path);
    let check = ostmig(&["check", "--db", p], &[]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let mapping = dir.path().join("mapping.toml");
    let m = mapping.to_str().unwrap();
    ok(&ostmig(&["map", "propose", "--db", p, "--file", m], &[]));
    ok(&ostmig(
        &["map", "confirm", "--db", p, "--file", m, "--by", "test"],
        &[],
    ));
    let load = ostmig(
        &["load", "--apply", "--db", p, "--intercom-url", &sim.url],
        &token,
    );
    assert_eq!(
        load.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&load.stdout)
    );
    let verify = ostmig(&["verify", "--db", p, "--intercom-url", &sim.url], &token);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let state = sim.state();
    let conn = duck(&path);
    assert_eq!(
        state["tickets"].as_object().unwrap().len() as i64,
        duck_i64(&conn, "SELECT count(*) FROM outbox.outbox_tickets")
    );
    let uploaded = state["files"].as_array().map_or(0, |f| f.len());
    assert_eq!(
        uploaded,
        linked.len() - 1,
        "every fetched file uploaded once"
    );
}

/// The agents and departments of the real 1.17 help desk as its exports name them.
const BY_NAME: &str = r#"[admins]
fallback = "ada.admin@acme-helpdesk.example"

[admins.map]
"Ada Admin" = "ada.admin@acme-helpdesk.example"
"Jane Doe" = "jane.doe@acme-helpdesk.example"
"Miguel García Núñez" = "miguel.garcia@acme-helpdesk.example"
"Kevin Chen" = "kevin.chen@acme-helpdesk.example"
"Sara O'Patel" = "ada.admin@acme-helpdesk.example"
"Lee Wong" = "lee.wong@acme-helpdesk.example"
"Olivia Contractor" = "ada.admin@acme-helpdesk.example"

[teams.map]
"Tier 2" = "Escalations"
Maintenance = "Support"
"#;
