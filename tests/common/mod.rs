//! Test harness: a real MariaDB (started by `.ci/mariadb start`), real DuckDB files, and the
//! real `ostmig` binary. Tests that need MariaDB FAIL when `CI` is set and nothing answers;
//! locally they skip, loudly.
#![allow(dead_code)]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::Duration;

pub const HOST: &str = "127.0.0.1";

/// The HTML subset Intercom takes and the cleaner emits (README, "Splitting threads"), written
/// out here so the tests hold the cleaner to the documented list, not to its own.
pub const ALLOWED_TAGS: &[&str] = &[
    "p", "br", "b", "strong", "i", "em", "u", "a", "ul", "ol", "li", "code", "pre", "h1", "h2",
    "h3", "h4", "h5", "h6", "img",
];

pub fn port() -> u16 {
    std::env::var("OSTMIG_TEST_MYSQL_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(33306)
}

/// Whether the test MariaDB answers. Panics under CI when it does not.
pub fn mariadb_up() -> bool {
    let addr = format!("{HOST}:{}", port());
    let up = TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(2)).is_ok();
    if !up {
        if std::env::var_os("CI").is_some() {
            panic!(
                "CI is set but no MariaDB answers on {addr}: run `bash .ci/mariadb start` first"
            );
        }
        eprintln!(
            "\n*** SKIPPING: no MariaDB on {addr}. Start one with `bash .ci/mariadb start`. ***\n"
        );
    }
    up
}

/// Return from the calling test, loudly, when no MariaDB answers (under CI: fail instead);
/// with a database name, also when the real 1.17 dump is absent, and otherwise load it there.
#[macro_export]
macro_rules! require_mariadb {
    () => {
        if !$crate::common::mariadb_up() {
            return;
        }
    };
    (real117 $db:expr) => {
        if !$crate::common::mariadb_up() || !$crate::common::load_real117($db) {
            return;
        }
    };
}

/// The `mariadb` client connected as the admin user with `flags`, to `db` when given.
fn admin_client(flags: &[&str], db: Option<&str>) -> Command {
    let mut cmd = Command::new("mariadb");
    cmd.args(flags)
        .args(["-h", HOST, "-P", &port().to_string(), "-u", "ostmig_admin"])
        .env("MYSQL_PWD", "admin-pass");
    if let Some(db) = db {
        cmd.arg(db);
    }
    cmd
}

/// The one number a query (a count) answers, run as the admin user.
pub fn admin_i64(db: Option<&str>, sql: &str) -> i64 {
    let out = admin_sql(db, sql);
    out.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{sql} answered {out:?}, not a number"))
}

/// Run SQL as the admin user with the `mariadb` client; returns tab-separated output.
pub fn admin_sql(db: Option<&str>, sql: &str) -> String {
    let out = admin_client(&["-N", "-B"], db)
        .arg("-e")
        .arg(sql)
        .output()
        .expect("the mariadb client is installed");
    assert!(
        out.status.success(),
        "SQL failed: {sql}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ostmig")
}

static LOADS: Mutex<()> = Mutex::new(());

/// (Re)create database `db` from `ostmig fixture`.
pub fn fixture_db(db: &str, prefix: &str, tickets: u32) {
    let _guard = LOADS.lock().unwrap_or_else(|e| e.into_inner());
    admin_sql(
        None,
        &format!("DROP DATABASE IF EXISTS `{db}`; CREATE DATABASE `{db}` CHARACTER SET utf8mb3"),
    );
    let mut generated = Command::new(bin())
        .args([
            "fixture",
            "--tickets",
            &tickets.to_string(),
            "--prefix",
            prefix,
            "--large-attachment-bytes",
            "10489000",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let status = admin_client(&[], Some(db))
        .stdin(generated.stdout.take().unwrap())
        .status()
        .unwrap();
    assert!(generated.wait().unwrap().success(), "ostmig fixture failed");
    assert!(status.success(), "loading the fixture into {db} failed");
}

/// The database written by a real osTicket 1.17, if `../shared/osticket-1.17/` is present.
pub fn real117_dump() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/osticket-1.17/osticket.sql.gz");
    p.exists().then_some(p)
}

pub fn load_real117(db: &str) -> bool {
    let Some(dump) = real117_dump() else {
        if std::env::var_os("CI").is_some() {
            eprintln!(
                "note: ../shared/osticket-1.17 is absent; the real-installation test has nothing to load"
            );
        }
        return false;
    };
    let _guard = LOADS.lock().unwrap_or_else(|e| e.into_inner());
    admin_sql(
        None,
        &format!("DROP DATABASE IF EXISTS `{db}`; CREATE DATABASE `{db}`"),
    );
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "zcat '{}' | mariadb -h {HOST} -P {} -u ostmig_admin {db}",
            dump.display(),
            port()
        ))
        .env("MYSQL_PWD", "admin-pass")
        .status()
        .unwrap();
    assert!(status.success(), "loading the osTicket 1.17 dump failed");
    true
}

/// Run `ostmig` with a clean environment (no OSTMIG_* from the caller) plus `env`.
pub fn ostmig(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("OSTMIG_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    cmd.output().unwrap()
}

/// `out` exited with `code`; if not, the failure shows the command's whole output.
pub fn expect_exit(out: &Output, code: i32, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A whole demo migration of `tickets` tickets (no MariaDB needed): snapshot, transform, load
/// into the simulator, verified clean. Returns the directory (keep it alive) and the staging file.
pub fn demo_migration(tickets: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let tickets = tickets.to_string();
    let out = ostmig(
        &[
            "demo",
            "--dir",
            dir.path().to_str().unwrap(),
            "--tickets",
            &tickets,
            "--no-mariadb",
        ],
        &[],
    );
    expect_exit(&out, 0, "ostmig demo");
    let db = dir.path().join("migration.duckdb");
    (dir, db)
}

pub fn url(user: &str, db: &str) -> String {
    format!("mysql://{user}@{HOST}:{}/{db}", port())
}

/// `ostmig split` on the staging file `db` runs to the end: exit 0, or 1 when it found entries
/// for the review queue.
pub fn split_to_the_end(db: &str, extra: &[&str]) {
    let mut args = vec!["split", "--db", db];
    args.extend_from_slice(extra);
    let out = ostmig(&args, &[]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "split failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Snapshot `db` as the read-only user into `duck`, asserting success.
pub fn snapshot(db: &str, duck: &Path, extra: &[&str]) -> Output {
    let source = url("ostmig_ro", db);
    let mut args = vec![
        "snapshot",
        "--source",
        &source,
        "--db",
        duck.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = ostmig(&args, &[("OSTMIG_MYSQL_PASSWORD", "ro-pass")]);
    assert!(
        out.status.success(),
        "snapshot of {db} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn duck(path: &Path) -> duckdb::Connection {
    duckdb::Connection::open(path).unwrap()
}

pub fn duck_i64(conn: &duckdb::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub fn duck_str(conn: &duckdb::Connection, sql: &str) -> Option<String> {
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A running `ostmig sim` on a free port, stopped when dropped.
pub struct Sim {
    child: std::process::Child,
    pub url: String,
}

impl Sim {
    /// Start the simulator with `args` (it judges by the OpenAPI description built into the
    /// binary); None only where a caller's own prerequisite is missing.
    pub fn start(args: &[&str]) -> Option<Sim> {
        let mut child = Command::new(bin())
            .arg("sim")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("OSTMIG_INTERCOM_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let url =
            ostmig::sim::url_from_banner(&line).unwrap_or_else(|| panic!("sim printed {line:?}"));
        Some(Sim { child, url })
    }

    /// The simulator's whole workspace (GET /__sim/state).
    /// Callable from inside a test's async block too (it runs on its own thread).
    pub fn state(&self) -> serde_json::Value {
        let url = format!("{}/__sim/state", self.url);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() })
        })
        .join()
        .unwrap()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Stoplight Prism (`prism proxy --errors`) in front of `upstream`, stopped when dropped.
/// Found at OSTMIG_PRISM, else where `.ci/run` installs it.
pub struct Prism {
    child: std::process::Child,
    pub url: String,
}

impl Prism {
    pub fn start(upstream: &str) -> Option<Prism> {
        let bin = std::env::var_os("OSTMIG_PRISM")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                    .join(".cache/ostmig-prism/node_modules/.bin/prism")
            });
        if !bin.exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install Prism ({})",
                bin.display()
            );
            eprintln!("*** SKIPPING: no Prism at {} ***", bin.display());
            return None;
        }
        // The description as the errata patch it (where the live API is known to differ from
        // it, e.g. a contact note's path id): the same document the client judges by.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let spec = std::env::temp_dir().join(format!("ostmig-prism-{port}.json"));
        let doc = ostmig::intercom::spec::Spec::open(None).unwrap();
        std::fs::write(&spec, serde_json::to_vec(doc.document()).unwrap()).unwrap();
        let child = Command::new(&bin)
            .arg("proxy")
            .arg(spec)
            .arg(upstream)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "--errors"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let prism = Prism {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        // Prism parses the 1.3 MB description before it listens (a few seconds).
        for _ in 0..600 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(prism);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("Prism did not listen on port {port} within 60 s");
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The parts of a ticket (as the simulator holds it) that a load posts: replies and notes, not
/// the parts Intercom writes itself (state changes, assignments: erratum system-parts).
pub fn posted_parts(ticket: &serde_json::Value) -> Vec<&serde_json::Value> {
    ticket["ticket_parts"]["ticket_parts"]
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .filter(|p| {
                    ["comment", "note", "open"].contains(&p["part_type"].as_str().unwrap_or(""))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The configuration that settles every agent, department and team of the real 1.17 database,
/// with the admin who posts what no agent wrote (its teams "Level I Support" and "Level 1 Crew"
/// are mapped to Support; "Escalations" matches by name).
pub const SETTLED: &str = "[admins]\nfallback = \"Ada.Admin@acme-helpdesk.example\"\n\n\
[admins.map]\nlwong = \"lee.wong@acme-helpdesk.example\"\nocontractor = \"ada.admin@acme-helpdesk.example\"\n\n\
[teams.map]\n\"Support / Tier 2\" = \"Escalations\"\nMaintenance = \"Support\"\n\
\"Level I Support\" = \"Support\"\n\"Level 1 Crew\" = \"Support\"\n";

/// The Intercom workspace of the real 1.17 database's migration, as an `ostmig sim` seed: the
/// admins and teams `SETTLED` maps to (ocontractor and spatel have none; Maintenance and
/// Support / Tier 2 are mapped to existing teams).
pub const SIM_SEED: &str = r#"
[[admins]]
id = "991267001"
name = "Ada Admin"
email = "ada.admin@acme-helpdesk.example"
[[admins]]
id = "991267002"
name = "Jane Doe"
email = "jane.doe@acme-helpdesk.example"
[[admins]]
id = "991267003"
name = "Miguel García"
email = "miguel.garcia@acme-helpdesk.example"
[[admins]]
id = "991267004"
name = "Kevin Chen"
email = "kevin.chen@acme-helpdesk.example"
[[admins]]
id = "991267006"
name = "Lee Wong"
email = "lee.wong@acme-helpdesk.example"
[[teams]]
id = "814865"
name = "Support"
admin_emails = ["ada.admin@acme-helpdesk.example", "kevin.chen@acme-helpdesk.example"]
[[teams]]
id = "814866"
name = "sales"
[[teams]]
id = "814867"
name = "Billing"
admin_emails = ["jane.doe@acme-helpdesk.example"]
[[teams]]
id = "814868"
name = "Escalations"
admin_emails = ["kevin.chen@acme-helpdesk.example"]
# A type the workspace already has, with states only it owns, listed before the defaults: a
# loader that took the first state of each category would be refused (ticket-state-per-type).
[[ticket_types]]
name = "Bug report"
category = "Tracker"
states = [{ label = "Investigating", category = "in_progress" }, { label = "Fixed", category = "resolved" },
          { label = "Needs info", category = "waiting_on_customer" }]
"#;

/// osTicket's knowledge base is the Help Center (issue 22's "done when"): every category a
/// collection nested as it was, except the private one, whose FAQs are internal articles; every
/// other FAQ an article in its collection, published as osTicket showed it or a draft when it
/// was internal, its links kept, its image marked, its script gone.
pub fn assert_the_knowledge_base_arrived(state: &serde_json::Value) {
    let all = |k: &str| -> Vec<serde_json::Value> {
        state[k].as_object().unwrap().values().cloned().collect()
    };
    let collections = all("collections");
    let mut names: Vec<&str> = collections
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["Billing & invoices", "Getting started", "Refunds"]);
    let collection = |name: &str| collections.iter().find(|c| c["name"] == name).unwrap();
    assert_eq!(
        collection("Refunds")["parent_id"],
        collection("Billing & invoices")["id"]
    );
    let articles = all("articles");
    let article = |title: &str| articles.iter().find(|a| a["title"] == title).unwrap();
    assert_eq!(articles.len(), 4);
    let reset = article("How do I reset my password?");
    assert_eq!(reset["state"], "published");
    let body = reset["body"].as_str().unwrap();
    assert!(
        body.contains("https://portal.example.com/login")
            && body.contains("[image: reset-form.png]"),
        "{body}"
    );
    assert_eq!(article("Which browsers are supported?")["state"], "draft");
    let refunds: i64 = collection("Refunds")["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let refund = article("How long does a refund take?");
    assert!(
        refund["parent_ids"]
            .as_array()
            .unwrap()
            .contains(&serde_json::Value::from(refunds)),
        "{refund}"
    );
    assert!(
        !article("How is VAT shown on invoices?")["body"]
            .as_str()
            .unwrap()
            .contains("alert")
    );
    let mut internal: Vec<String> = all("internal_articles")
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect();
    internal.sort_unstable();
    assert_eq!(
        internal,
        ["Escalating to second line", "Refund approvals over 500 €"]
    );
}

/// What osTicket knew about its customers arrived with them (issue 22's customer context):
/// the staff notes as contact and company notes, signed and dated in their text; a user's
/// other address and portal account in contact attributes; an organization's account manager
/// as its contacts' owner.
pub fn assert_the_customer_context_arrived(state: &serde_json::Value) {
    let contacts: Vec<&serde_json::Value> =
        state["contacts"].as_object().unwrap().values().collect();
    let contact = |external_id: &str| {
        *contacts
            .iter()
            .find(|c| c["external_id"] == external_id)
            .unwrap_or_else(|| panic!("no contact {external_id}"))
    };
    let company = state["companies"]
        .as_object()
        .unwrap()
        .values()
        .find(|c| c["company_id"] == "osticket-org-1")
        .unwrap();
    let notes: Vec<&serde_json::Value> = state["notes"].as_object().unwrap().values().collect();
    // Notes 1–3 on users 1–3 (latin1-era text, repaired), 4 on organization 1; 5 is about a
    // deleted user and 6 is empty: listed, not sent.
    assert_eq!(notes.len(), 4, "{notes:?}");
    for (n, external_id) in [
        (1, "osticket-user-1"),
        (2, "osticket-user-2"),
        (3, "osticket-user-3"),
    ] {
        let id = &contact(external_id)["id"];
        let note = notes
            .iter()
            .find(|x| x["contact"]["id"] == *id)
            .unwrap_or_else(|| panic!("no note on {external_id}"));
        let body = note["body"].as_str().unwrap();
        assert!(
            body.contains(&format!("osTicket note {n}, by Avery Admin")),
            "{body}"
        );
        assert!(!body.contains('Ã'), "{body}");
    }
    let on_company = notes
        .iter()
        .find(|x| x["company"]["id"] == company["id"])
        .expect("the organization's note");
    let body = on_company["body"].as_str().unwrap();
    assert!(
        body.contains("<b>March</b>")
            && body.contains("osTicket note 4, by John Doe, 20")
            && body.contains(" UTC"),
        "{body}"
    );
    assert_eq!(on_company["author"]["name"], "John Doe");
    let attrs = &contact("osticket-user-4")["custom_attributes"];
    assert_eq!(
        attrs["osticket-other-emails"], "user4.home@mail.example",
        "{attrs}"
    );
    assert_eq!(
        contact("osticket-user-10")["custom_attributes"]["osticket-portal-account"],
        "active"
    );
    // Organization 1's account manager is John Doe: its members are his.
    let john = state["admins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "John Doe")
        .unwrap()["id"]
        .clone();
    let members: Vec<&&serde_json::Value> = contacts
        .iter()
        .filter(|c| {
            c["companies"]["data"]
                .as_array()
                .is_some_and(|d| d.iter().any(|x| x["id"] == company["id"]))
        })
        .collect();
    assert!(!members.is_empty());
    assert!(members.iter().all(|c| c["owner_id"] == john), "{members:?}");
}

/// What a person records before a load posts osTicket's internal notes: this workspace's plan
/// hides notes from customers (the simulator shows customers nothing). Without it `ostmig
/// check` fails notes_visibility_unconfirmed and the load refuses.
/// The sign-off `load --apply` needs: the proposal, confirmed unchanged.
pub fn confirm_mapping(db: &Path) {
    let file = db.with_extension("mapping.toml");
    let (d, f) = (db.to_str().unwrap(), file.to_str().unwrap());
    for args in [
        &["map", "propose", "--db", d, "--file", f][..],
        &["map", "confirm", "--db", d, "--file", f, "--by", "test"][..],
    ] {
        let out = ostmig(args, &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

pub fn record_notes_hidden(db: &Path) {
    let out = ostmig(
        &[
            "probe",
            "--db",
            db.to_str().unwrap(),
            "--answer",
            "notes_hidden_from_customers=yes",
            "--by",
            "the test (the simulator shows customers no notes)",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The hostile-input corpus (tests/hostile.rs, tests/review.rs), as SQL against the real 1.17 database (ids from its README and rows).
pub const HOSTILE: &str = r#"
SET SESSION sql_mode = '';
-- Script injection in an HTML message (ticket 2) and in a text-format message (ticket 1).
UPDATE ost_thread_entry SET poster = '<script>alert("poster")</script>Mallory',
  body = '<p>Hello</p><script>alert(document.cookie)</script><p onclick="steal()" style="color:red">click me</p><a href="javascript:alert(1)">one</a> <a href=" JaVaScRiPt:alert(2)">two</a> <a href="&#106;avascript:alert(3)">three</a> <a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg==">four</a> <a href="vbscript:msgbox(5)">five</a><img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoNik+" onerror="alert(7)"><iframe src="https://evil.example/"></iframe><svg onload="alert(8)"><circle r="1"/></svg><form action="https://evil.example/"><input name="p"><button formaction="javascript:alert(9)">go</button></form><style>p{background:url(javascript:alert(10))}</style><object data="https://evil.example/x.swf"></object><math><mtext><table><mglyph><style><img src=x onerror=alert(11)>'
  WHERE id = 4;
UPDATE ost_thread_entry SET body = 'Plain text with &lt;script&gt;alert(12)&lt;/script&gt; and <img src=x onerror=alert(13)> written by hand'
  WHERE id = 1;
-- Names: a user, an organization, an agent (named in activity notes), a ticket subject.
UPDATE ost_user SET name = '<script>alert("user")</script>Eve <img src=x onerror=alert(14)>' WHERE id = 37;
UPDATE ost_organization SET name = '<svg onload=alert(15)>Evil & Co' WHERE id = (SELECT id FROM (SELECT min(id) AS id FROM ost_organization) o);
UPDATE ost_staff SET lastname = 'Chen<script>alert(16)</script>' WHERE username = 'kchen';
UPDATE ost_form_entry_values v JOIN ost_form_entry fe ON fe.id = v.entry_id
  SET v.value = '<b onmouseover=alert(17)>Printer</b><script>alert(18)</script> on fire'
  WHERE fe.object_type = 'T' AND fe.object_id = 2 AND v.field_id = 20;
UPDATE ost_ticket__cdata SET subject = '<b onmouseover=alert(17)>Printer</b><script>alert(18)</script> on fire' WHERE ticket_id = 2;
-- A 10 MB single-line body, offloaded as osTicket does with long bodies (ticket 8).
UPDATE ost_thread_entry SET body = '' WHERE id = 56;
INSERT INTO ost_file (id, ft, bk, type, size, `key`, signature, name, created)
  VALUES (9001, 'T', 'D', 'text/html', 10485767, 'hostilelongbodykey0000000000001', 'hostilelongbodysig', 'body.html', NOW());
INSERT INTO ost_file_chunk VALUES (9001, 0, CONCAT('<p>', REPEAT('0123456789abcdef', 655360), '</p>'));
INSERT INTO ost_attachment (object_id, type, file_id, name, inline) VALUES (56, 'H', 9001, 'body.html', 1);
-- Deep nesting: 3,500 levels closed, and 8,000 unclosed list items.
UPDATE ost_thread_entry SET body = CONCAT(REPEAT('<div><b>', 3500), 'deep', REPEAT('</b></div>', 3500)) WHERE id = 58;
UPDATE ost_thread_entry SET body = CONCAT(REPEAT('<ul><li>', 8000), 'unclosed') WHERE id = 60;
-- Zero dates everywhere on ticket 11: the ticket, its entries, its events, its requester.
UPDATE ost_ticket SET created = '0000-00-00 00:00:00', updated = '0000-00-00 00:00:00',
  duedate = '0000-00-00 00:00:00', est_duedate = '0000-00-00 00:00:00', reopened = '0000-00-00 00:00:00',
  closed = '0000-00-00 00:00:00', lastupdate = '0000-00-00 00:00:00' WHERE ticket_id = 11;
UPDATE ost_thread_entry SET created = '0000-00-00 00:00:00', updated = '0000-00-00 00:00:00' WHERE thread_id = 11;
UPDATE ost_thread_event SET timestamp = '0000-00-00 00:00:00' WHERE thread_id = 11;
UPDATE ost_thread SET created = '0000-00-00 00:00:00', lastresponse = '0000-00-00 00:00:00', lastmessage = '0000-00-00 00:00:00' WHERE id = 11;
UPDATE ost_user SET created = '0000-00-00 00:00:00', updated = '0000-00-00 00:00:00' WHERE id = 8;
-- Dangling foreign keys: a requester, an agent, a department, a help topic, a status, an
-- organization, a file and a thread that do not exist.
UPDATE ost_ticket SET user_id = 9999 WHERE ticket_id = 12;
UPDATE ost_thread_entry SET staff_id = 999 WHERE id = 8;
UPDATE ost_ticket SET dept_id = 999, topic_id = 999 WHERE ticket_id = 10;
UPDATE ost_ticket SET status_id = 999 WHERE ticket_id = 4;
UPDATE ost_user SET org_id = 999 WHERE id = 44;
INSERT INTO ost_attachment (object_id, type, file_id, name, inline) VALUES (16, 'H', 99999, 'gone.pdf', 0);
CREATE TEMPORARY TABLE orphan AS SELECT * FROM ost_thread_entry WHERE id = 21;
UPDATE orphan SET id = 90001, thread_id = 99999;
INSERT INTO ost_thread_entry SELECT * FROM orphan;
-- The same address twice, differing in case (an import that bypassed osTicket's index).
ALTER TABLE ost_user_email DROP INDEX address;
CREATE TEMPORARY TABLE twin AS SELECT * FROM ost_user WHERE id = 37;
UPDATE twin SET id = 9001, default_email_id = 9001, name = 'Eve Twin';
INSERT INTO ost_user SELECT * FROM twin;
INSERT INTO ost_user_email (id, user_id, flags, address) VALUES (9001, 9001, 0, ' EVE@Mailbox.Example ');
-- Malformed JSON where osTicket keeps JSON.
UPDATE ost_thread SET extra = '{"ticket_id": 3' WHERE object_type = 'C';
UPDATE ost_thread_event SET data = '{"dept": 3, ' WHERE thread_id = 2;
UPDATE ost_thread_entry SET recipients = '{"to": [', extra = '{]' WHERE id = 8;
UPDATE ost_thread_entry_merge SET data = 'not json';
UPDATE ost_form_field SET configuration = '{"choices": "a' WHERE id = (SELECT id FROM (SELECT min(id) AS id FROM ost_form_field WHERE type = 'choices') f);
UPDATE ost_filter_action SET configuration = '{{';
-- Addresses Intercom would refuse.
UPDATE ost_user_email SET address = 'no display name@mailbox.example' WHERE user_id = 47;
UPDATE ost_user_email SET address = 'news@partner-newsletter' WHERE user_id = 46;
UPDATE ost_user_email SET address = 'paul@@reseller-partner.example' WHERE user_id = 45;
"#;
