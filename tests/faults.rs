//! Faults during a snapshot (issue 9): the source server restarts, the session is killed, a
//! table is dropped — each ends with a clear error or a consistent snapshot, and the staging
//! file keeps the previous snapshot intact.
mod common;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

/// A snapshot started with the reader-side fault hook: it stops before copying `table` and
/// waits for the returned resume file.
struct Paused {
    child: Child,
    resume: PathBuf,
    stderr: std::io::BufReader<std::process::ChildStderr>,
}

impl Paused {
    fn start(source: &str, password: &str, duck: &Path, table: &str) -> Paused {
        let resume = duck.with_extension("resume");
        let _ = std::fs::remove_file(&resume);
        let mut child = Command::new(bin())
            .args([
                "snapshot",
                "--source",
                source,
                "--db",
                duck.to_str().unwrap(),
            ])
            .env("OSTMIG_MYSQL_PASSWORD", password)
            .env("OSTMIG_FAULT_PAUSE_BEFORE_TABLE", table)
            .env("OSTMIG_FAULT_RESUME_FILE", &resume)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "the snapshot ended before it reached {table}"
            );
            if line.contains("fault hook: reader paused") {
                break;
            }
        }
        Paused {
            child,
            resume,
            stderr,
        }
    }

    /// Let it go on; returns its exit code and the rest of its stderr.
    fn resume(mut self) -> (Option<i32>, String) {
        std::fs::write(&self.resume, b"").unwrap();
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stderr, &mut rest).unwrap();
        (self.child.wait().unwrap().code(), rest)
    }
}

/// What a previous, complete snapshot must still look like after a failed one.
fn assert_previous_intact(duck_path: &Path, entries: i64) {
    let conn = duck(duck_path);
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM meta.snapshot"),
        1,
        "the failed snapshot is not recorded"
    );
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM raw.thread_entry"),
        entries
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM meta.snapshot_table WHERE rows_copied <> rows_counted"
        ),
        0
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'"
        ),
        duck_i64(
            &conn,
            "SELECT count(*) FROM meta.snapshot_table WHERE snapshot_id = 1"
        ),
        "every raw table of the previous snapshot is there"
    );
}

fn assert_lost_connection(code: Option<i32>, stderr: &str) {
    assert_eq!(code, Some(2), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line in {stderr}"));
    assert!(
        error.contains("lost the connection to MySQL")
            && error.contains("thread_entry")
            && error.contains("previous snapshot in the staging file is unchanged")
            && error.contains("hint: check that the server is up"),
        "{error}"
    );
}

#[test]
fn a_killed_source_session_fails_clearly_and_keeps_the_previous_snapshot() {
    require_mariadb!();
    let db = "ostmig_t_fault_kill";
    fixture_db(db, "ost_", 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    snapshot(db, &path, &[]);
    let entries = duck_i64(&duck(&path), "SELECT count(*) FROM raw.thread_entry");

    let paused = Paused::start(&url("ostmig_ro", db), "ro-pass", &path, "thread_entry");
    // The copy's session is the first one; a side count (see `count_beside`) may still be open.
    let ids = admin_sql(
        None,
        &format!(
            "SELECT id FROM information_schema.processlist WHERE user = 'ostmig_ro' AND db = '{db}' ORDER BY id"
        ),
    );
    let ids: Vec<&str> = ids.lines().collect();
    assert!(!ids.is_empty(), "the snapshot's session is listed");
    admin_sql(None, &format!("KILL CONNECTION {}", ids[0]));
    let (code, stderr) = paused.resume();
    assert_lost_connection(code, &stderr);
    assert_previous_intact(&path, entries);
    // The next snapshot completes.
    snapshot(db, &path, &[]);
}

#[test]
fn a_table_dropped_mid_snapshot_waits_for_it_and_the_copy_is_consistent() {
    require_mariadb!();
    let db = "ostmig_t_fault_drop";
    fixture_db(db, "ost_", 200);
    let users = admin_i64(Some(db), "SELECT count(*) FROM ost_user");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    let paused = Paused::start(&url("ostmig_ro", db), "ro-pass", &path, "thread_entry");
    // The snapshot's transaction opened every table first, so it holds their metadata locks:
    // a DROP (an upgrade, an admin) waits until the snapshot ends instead of tearing it.
    let dropper = std::thread::spawn(move || {
        admin_sql(
            Some("ostmig_t_fault_drop"),
            "SET SESSION lock_wait_timeout = 300; DROP TABLE ost_user",
        )
    });
    let waiting = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        admin_sql(
            None,
            "SELECT count(*) FROM information_schema.processlist WHERE db = 'ostmig_t_fault_drop' AND state LIKE 'Waiting for table metadata lock%'",
        )
        .trim()
            != "0"
    });
    assert!(waiting, "the DROP waits for the snapshot");
    let (code, stderr) = paused.resume();
    assert_eq!(code, Some(0), "{stderr}");
    dropper.join().unwrap();
    assert_eq!(
        admin_sql(
            None,
            &format!(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = '{db}' AND table_name = 'ost_user'"
            )
        )
        .trim(),
        "0",
        "the DROP went through after the snapshot"
    );
    let conn = duck(&path);
    assert_eq!(duck_i64(&conn, "SELECT count(*) FROM raw.user"), users);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM meta.snapshot_table WHERE rows_copied <> rows_counted"
        ),
        0
    );
}

#[test]
fn a_source_server_restarted_mid_snapshot_fails_clearly_and_keeps_the_previous_snapshot() {
    // A private server: the shared one serves the other tests.
    let dir = tempfile::tempdir().unwrap();
    let mut server = match ostmig::demo::PrivateMariadb::start(&dir.path().join("mariadb")) {
        Ok(s) => s,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have mariadbd: {e:#}"
            );
            eprintln!("*** SKIPPING: {e:#} ***");
            return;
        }
    };
    server.load_fixture(200).unwrap();
    let source = server.url();
    let path = dir.path().join("m.duckdb");
    let snapshot_private = || {
        let out = ostmig(
            &[
                "snapshot",
                "--source",
                &source,
                "--db",
                path.to_str().unwrap(),
            ],
            &[("OSTMIG_MYSQL_PASSWORD", "demo")],
        );
        assert!(out.status.success(), "{out:?}");
    };
    snapshot_private();
    let entries = duck_i64(&duck(&path), "SELECT count(*) FROM raw.thread_entry");

    let paused = Paused::start(&source, "demo", &path, "thread_entry");
    server.crash();
    server.serve().unwrap();
    let (code, stderr) = paused.resume();
    assert_lost_connection(code, &stderr);
    assert_previous_intact(&path, entries);

    // After the restart (InnoDB recovered), a new snapshot completes and matches.
    snapshot_private();
    let conn = duck(&path);
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM raw.thread_entry"),
        entries
    );
    assert_eq!(
        duck_i64(&conn, "SELECT max(snapshot_id) FROM meta.snapshot"),
        2
    );
}

#[test]
fn a_write_between_the_copy_and_the_side_count_is_settled_inside_the_copys_snapshot() {
    require_mariadb!();
    let db = "ostmig_t_fault_count";
    // Big enough that the copy outlasts the side count.
    fixture_db(db, "ost_", 400);
    let before = admin_i64(Some(db), "SELECT count(*) FROM ost_user");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    // The copy's snapshot has started; the side count's has not. A help desk user signs up.
    let paused = Paused::start(&url("ostmig_ro", db), "ro-pass", &path, "(counts)");
    admin_sql(
        Some(db),
        "INSERT INTO ost_user (org_id, default_email_id, status, name, created, updated)
         VALUES (0, 0, 0, 'Late Signup', NOW(), NOW())",
    );
    let (code, stderr) = paused.resume();
    assert_eq!(code, Some(0), "{stderr}");
    let conn = duck(&path);
    // The copy holds the rows of its own snapshot, and the count that is recorded is that
    // snapshot's too (the side count saw one row more).
    assert_eq!(duck_i64(&conn, "SELECT count(*) FROM raw.user"), before);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT rows_counted FROM meta.snapshot_table WHERE table_name = 'user'"
        ),
        before
    );
}

#[test]
fn a_user_allowed_one_connection_still_gets_a_counted_snapshot() {
    require_mariadb!();
    let db = "ostmig_t_fault_oneconn";
    fixture_db(db, "ost_", 50);
    // DBAs often cap a migration account's sessions; the side count is then refused and the
    // copying connection counts instead.
    admin_sql(
        None,
        &format!(
            "DROP USER IF EXISTS 'ostmig_one'@'%'; CREATE USER 'ostmig_one'@'%' IDENTIFIED BY 'one-pass' WITH MAX_USER_CONNECTIONS 1;
             GRANT SELECT ON `{db}`.* TO 'ostmig_one'@'%'"
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    let out = ostmig(
        &[
            "snapshot",
            "--source",
            &url("ostmig_one", db),
            "--db",
            path.to_str().unwrap(),
        ],
        &[("OSTMIG_MYSQL_PASSWORD", "one-pass")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = duck(&path);
    let entries = admin_i64(Some(db), "SELECT count(*) FROM ost_thread_entry");
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT rows_counted FROM meta.snapshot_table WHERE table_name = 'thread_entry'"
        ),
        entries
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM meta.snapshot_table WHERE rows_copied <> rows_counted OR rows_counted IS NULL"
        ),
        0
    );
}
