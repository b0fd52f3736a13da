//! `ostmig snapshot` and `ostmig discover` against a real MariaDB.
mod common;

use common::*;
use sha2::{Digest, Sha256};

/// Every prefixed table arrives, and its DuckDB row count equals the source's COUNT(*).
fn assert_counts_match(db: &str, prefix: &str, duck_path: &std::path::Path) {
    let tables = admin_sql(
        None,
        &format!(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA='{db}' AND TABLE_TYPE='BASE TABLE' AND TABLE_NAME LIKE '{}%'",
            prefix.replace('_', "\\_")
        ),
    );
    let tables: Vec<&str> = tables.lines().collect();
    assert!(
        tables.len() > 30,
        "expected an osTicket schema in {db}, found {tables:?}"
    );
    let conn = duck(duck_path);
    let copied = duck_i64(
        &conn,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'",
    );
    assert_eq!(
        copied as usize,
        tables.len(),
        "every prefixed table is copied"
    );
    for t in tables {
        let source = admin_i64(Some(db), &format!("SELECT COUNT(*) FROM `{t}`"));
        let raw = &t[prefix.len()..];
        let staged = duck_i64(&conn, &format!("SELECT count(*) FROM raw.\"{raw}\""));
        assert_eq!(staged, source, "row count of {t}");
        let (counted, recorded): (i64, i64) = conn
            .query_row(
                "SELECT rows_counted, rows_copied FROM meta.snapshot_table WHERE table_name = ? AND snapshot_id = (SELECT max(snapshot_id) FROM meta.snapshot)",
                [raw],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            (counted, recorded),
            (source, source),
            "meta.snapshot_table for {t}"
        );
    }
}

#[test]
fn row_counts_match_the_source_for_every_table() {
    require_mariadb!();
    fixture_db("ostmig_t_counts", "ost_", 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    let out = snapshot("ostmig_t_counts", &path, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("osTicket 1.18"), "{stdout}");
    assert_counts_match("ostmig_t_counts", "ost_", &path);
    let conn = duck(&path);
    // The recorded source carries no secret.
    let source = duck_str(&conn, "SELECT source FROM meta.snapshot").unwrap();
    assert_eq!(source, url("ostmig_ro", "ostmig_t_counts"));
    // Thread entries are one row per entry, as osTicket stores them.
    assert!(duck_i64(&conn, "SELECT count(*) FROM raw.thread_entry") > 200 * 3);
}

#[test]
fn non_default_prefix_is_detected_and_can_be_named() {
    require_mariadb!();
    fixture_db("ostmig_t_prefix", "help_", 40);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    snapshot("ostmig_t_prefix", &path, &[]);
    assert_counts_match("ostmig_t_prefix", "help_", &path);
    assert_eq!(
        duck_str(&duck(&path), "SELECT table_prefix FROM meta.snapshot").as_deref(),
        Some("help_")
    );
    // Naming it works too, and a wrong prefix is explained.
    snapshot("ostmig_t_prefix", &path, &["--prefix", "help_"]);
    let source = url("ostmig_ro", "ostmig_t_prefix");
    let out = ostmig(
        &[
            "snapshot",
            "--source",
            &source,
            "--db",
            path.to_str().unwrap(),
            "--prefix",
            "ost_",
        ],
        &[("OSTMIG_MYSQL_PASSWORD", "ro-pass")],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'help_'") && err.contains("hint:"), "{err}");
}

#[test]
fn types_survive_the_copy() {
    require_mariadb!();
    let db = "ostmig_t_types";
    fixture_db(db, "ost_", 30);
    // Edge values the generator does not produce by itself.
    admin_sql(
        Some(db),
        "UPDATE ost_sequence SET `next` = 18446744073709551615 WHERE id = 1;
         INSERT INTO ost_thread (id, object_id, object_type, created) VALUES (4294967295, 4294967295, 'T', '2025-01-15 09:30:00');
         UPDATE ost_ticket SET created = '2025-07-04 09:30:00' WHERE ticket_id = 2;
         UPDATE ost_ticket SET created = '2025-01-15 09:30:00' WHERE ticket_id = 3;
         SET time_zone = '+00:00';
         UPDATE ost_config SET updated = '2025-03-01 12:00:00' WHERE `key` = 'db_timezone';",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    snapshot(db, &path, &[]);
    let conn = duck(&path);
    // Unsigned maxima.
    assert_eq!(
        duck_str(&conn, "SELECT CAST(\"next\" AS VARCHAR) FROM raw.sequence"),
        Some("18446744073709551615".into())
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw.thread WHERE id = 4294967295"
        ),
        1
    );
    assert_eq!(
        duck_str(&conn, "SELECT typeof(\"next\") FROM raw.sequence"),
        Some("UBIGINT".into())
    );
    // tinyint(1) is not squashed to a boolean: urgency 4 stays 4.
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT max(priority_urgency) FROM raw.ticket_priority"
        ),
        4
    );
    // DATETIME in db_timezone America/New_York → UTC, across DST; TIMESTAMP is already UTC.
    assert_eq!(
        duck_str(
            &conn,
            "SELECT CAST(created AS VARCHAR) FROM raw.ticket WHERE ticket_id = 2"
        ),
        Some("2025-07-04 13:30:00".into())
    );
    assert_eq!(
        duck_str(
            &conn,
            "SELECT CAST(created AS VARCHAR) FROM raw.ticket WHERE ticket_id = 3"
        ),
        Some("2025-01-15 14:30:00".into())
    );
    assert_eq!(
        duck_str(
            &conn,
            "SELECT CAST(updated AS VARCHAR) FROM raw.config WHERE \"key\" = 'db_timezone'"
        ),
        Some("2025-03-01 12:00:00".into())
    );
    assert_eq!(
        duck_str(&conn, "SELECT source_time_zone FROM meta.snapshot"),
        Some("America/New_York".into())
    );
    // Zero dates become NULL and are counted: note has 3 rows × 2 columns of them.
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw.note WHERE created IS NULL AND updated IS NULL"
        ),
        3
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT zero_dates FROM meta.snapshot_table WHERE table_name = 'note'"
        ),
        6
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw.email_account WHERE updated IS NULL"
        ),
        2
    );
    // Blobs are byte-equal, chunk by chunk, including the file over 10 MB.
    let source: std::collections::BTreeMap<(i64, i64), String> = admin_sql(
        Some(db),
        "SELECT file_id, chunk_id, LOWER(SHA2(filedata, 256)) FROM ost_file_chunk",
    )
    .lines()
    .map(|l| {
        let f: Vec<&str> = l.split('\t').collect();
        (
            (f[0].parse().unwrap(), f[1].parse().unwrap()),
            f[2].to_string(),
        )
    })
    .collect();
    let mut stmt = conn
        .prepare("SELECT file_id, chunk_id, filedata FROM raw.file_chunk")
        .unwrap();
    let staged: std::collections::BTreeMap<(i64, i64), String> = stmt
        .query_map([], |r| {
            Ok((
                (r.get(0)?, r.get(1)?),
                hex::encode(Sha256::digest(r.get::<_, Vec<u8>>(2)?)),
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(staged, source);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw.file WHERE size > 10 * 1024 * 1024"
        ),
        1
    );
    let big = duck_i64(
        &conn,
        "SELECT sum(octet_length(filedata)) FROM raw.file_chunk c JOIN raw.file f ON f.id = c.file_id WHERE f.size > 10 * 1024 * 1024",
    );
    assert_eq!(big, 10_489_000);
    // Enum labels stay text, even from a latin1 column.
    assert!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw.ticket WHERE source IN ('Web','Email','Phone','API','Other')"
        ) >= 30
    );
}

#[test]
fn double_encoded_text_is_repaired_and_listed() {
    require_mariadb!();
    let db = "ostmig_t_charset";
    fixture_db(db, "ost_", 30);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    snapshot(db, &path, &[]);
    let conn = duck(&path);
    // latin1 table holding UTF-8 bytes.
    assert_eq!(
        duck_str(&conn, "SELECT body FROM raw.note WHERE id = 1"),
        Some("Kunde Jürgen Groß bevorzugt Rückruf – nicht per E-Mail.".into())
    );
    assert_eq!(
        duck_str(&conn, "SELECT body FROM raw.note WHERE id = 3"),
        Some("Contact: Zoë O’Brien “urgent only”".into())
    );
    // Correct latin1 text is not "repaired".
    assert_eq!(
        duck_str(&conn, "SELECT body FROM raw.note WHERE id = 2"),
        Some("Café order: always ship to the back entrance".into())
    );
    // Mojibake in a utf8 column.
    assert!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw.\"user\" WHERE name = 'Jürgen Groß-Müller'"
        ) >= 1
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw.\"user\" WHERE name LIKE '%Ã%'"
        ),
        0
    );
    // Each repair is listed with table, key and column.
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM meta.snapshot_issue WHERE table_name = 'note' AND problem = 'mojibake_repaired' AND row_key IN ('id=1', 'id=3') AND column_name = 'body'"
        ),
        2
    );
    let listed = duck_i64(
        &conn,
        "SELECT count(*) FROM meta.snapshot_issue WHERE table_name = 'user' AND column_name = 'name'",
    );
    assert_eq!(
        listed,
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw.\"user\" WHERE name = 'Jürgen Groß-Müller'"
        )
    );
}

fn one_line_error(out: &std::process::Output, password: &str) -> String {
    assert_eq!(out.status.code(), Some(2), "exit code 2 on error");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error line: {err}");
    assert!(lines[0].contains("hint:"), "{err}");
    assert!(
        !err.contains(password) && !String::from_utf8_lossy(&out.stdout).contains(password),
        "password echoed: {err}"
    );
    lines[0].to_string()
}

#[test]
fn connection_failures_are_one_line_with_a_hint() {
    require_mariadb!();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    let db = path.to_str().unwrap();
    // Wrong password.
    let out = ostmig(
        &[
            "snapshot",
            "--source",
            &url("ostmig_ro", "ostmig_t_counts"),
            "--db",
            db,
        ],
        &[("OSTMIG_MYSQL_PASSWORD", "Wr0ng-Secret-pw")],
    );
    let line = one_line_error(&out, "Wr0ng-Secret-pw");
    assert!(
        line.contains("wrong password") && line.contains("OSTMIG_MYSQL_PASSWORD"),
        "{line}"
    );
    // Password inside the URL in the environment is used but never printed.
    let env_url = format!(
        "mysql://ostmig_ro:Env-Url-Secret@{HOST}:{}/ostmig_t_counts",
        port()
    );
    let out = ostmig(
        &["snapshot", "--db", db],
        &[("OSTMIG_SOURCE_URL", &env_url)],
    );
    one_line_error(&out, "Env-Url-Secret");
    // Unreachable host: nothing listens on port 1.
    let out = ostmig(
        &[
            "snapshot",
            "--source",
            &format!("mysql://ostmig_ro@{HOST}:1/ostmig_t_counts"),
            "--db",
            db,
        ],
        &[("OSTMIG_MYSQL_PASSWORD", "ro-pass")],
    );
    let line = one_line_error(&out, "ro-pass");
    assert!(line.contains("cannot reach"), "{line}");
    // Missing privileges.
    let out = ostmig(
        &[
            "snapshot",
            "--source",
            &url("ostmig_nopriv", "ostmig_t_counts"),
            "--db",
            db,
        ],
        &[("OSTMIG_MYSQL_PASSWORD", "nopriv-pass")],
    );
    let line = one_line_error(&out, "nopriv-pass");
    assert!(line.contains("GRANT SELECT"), "{line}");
    // A password on the command line is refused before anything connects.
    let out = ostmig(
        &[
            "snapshot",
            "--source",
            &format!("mysql://ostmig_ro:Argv-Secret@{HOST}:{}/x", port()),
            "--db",
            db,
        ],
        &[],
    );
    one_line_error(&out, "Argv-Secret");
    // None of this created a snapshot.
    if path.exists() {
        assert_eq!(
            duck_i64(&duck(&path), "SELECT count(*) FROM meta.snapshot"),
            0
        );
    }
}

#[test]
fn write_grants_give_a_warning_not_a_failure() {
    require_mariadb!();
    fixture_db("ostmig_t_grants", "ost_", 10);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    let out = ostmig(
        &[
            "snapshot",
            "--source",
            &url("ostmig_rw", "ostmig_t_grants"),
            "--db",
            path.to_str().unwrap(),
        ],
        &[("OSTMIG_MYSQL_PASSWORD", "rw-pass")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning:") && err.contains("read-only user"),
        "{err}"
    );
    let conn = duck(&path);
    assert_eq!(
        duck_i64(&conn, "SELECT len(warnings) FROM meta.snapshot"),
        1
    );
    drop(conn);
    // The read-only user gets no such warning.
    let out = snapshot("ostmig_t_grants", &path, &[]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("read-only user"));
}

#[test]
fn a_killed_snapshot_leaves_the_previous_one_intact() {
    require_mariadb!();
    let db = "ostmig_t_kill";
    fixture_db(db, "ost_", 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    snapshot(db, &path, &[]);
    let before = duck_i64(&duck(&path), "SELECT count(*) FROM raw.thread_entry");
    admin_sql(
        Some(db),
        "INSERT INTO ost_thread_entry (thread_id, type, poster, body, created, updated) SELECT 1, 'N', 'late note', 'added after the first snapshot', NOW(), NOW() FROM ost_thread LIMIT 7",
    );

    // Second snapshot: the writer pauses mid-way (after 3000 rows), then we SIGKILL it.
    let source = url("ostmig_ro", db);
    let mut child = std::process::Command::new(bin())
        .args([
            "snapshot",
            "--source",
            &source,
            "--db",
            path.to_str().unwrap(),
        ])
        .env("OSTMIG_MYSQL_PASSWORD", "ro-pass")
        .env("OSTMIG_FAULT_PAUSE_AFTER_ROWS", "3000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        let n = std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
        assert!(n > 0, "the snapshot ended before the fault hook fired");
        if line.contains("fault hook") {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let conn = duck(&path);
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM meta.snapshot"),
        1,
        "the interrupted snapshot is not recorded"
    );
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM raw.thread_entry"),
        before,
        "the previous raw tables are intact"
    );
    assert_counts_ok_for_previous(&conn);
    drop(conn);
    // And a new run completes and sees the new rows.
    snapshot(db, &path, &[]);
    let conn = duck(&path);
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM raw.thread_entry"),
        before + 7
    );
    assert_eq!(
        duck_i64(&conn, "SELECT max(snapshot_id) FROM meta.snapshot"),
        2
    );
}

fn assert_counts_ok_for_previous(conn: &duckdb::Connection) {
    let mismatched = duck_i64(
        conn,
        "SELECT count(*) FROM meta.snapshot_table WHERE snapshot_id = 1 AND rows_copied <> rows_counted",
    );
    assert_eq!(mismatched, 0);
}

#[test]
fn discover_reports_the_scope() {
    require_mariadb!();
    let db = "ostmig_t_discover";
    fixture_db(db, "ost_", 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    let p = path.to_str().unwrap();
    // Before any snapshot: a clear error.
    let out = ostmig(&["discover", "--db", p], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ostmig snapshot"));
    snapshot(db, &path, &[]);
    let out = ostmig(&["discover", "--db", p, "--json"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let get = |item: &str| -> i64 {
        lines
            .iter()
            .find(|l| l["item"] == item)
            .unwrap_or_else(|| panic!("no line {item}"))["n"]
            .as_i64()
            .unwrap()
    };
    let count = |sql: &str| admin_i64(Some(db), sql);
    assert_eq!(get("tickets"), count("SELECT COUNT(*) FROM ost_ticket"));
    assert_eq!(
        get("merged into another ticket"),
        count("SELECT COUNT(*) FROM ost_thread WHERE object_type='C'")
    );
    assert!(get("merged into another ticket") >= 2);
    assert_eq!(
        get("users without email"),
        count(
            "SELECT COUNT(*) FROM ost_user u WHERE NOT EXISTS (SELECT 1 FROM ost_user_email e WHERE e.user_id=u.id)"
        )
    );
    assert_eq!(get("files over 10 MB"), 1);
    assert_eq!(
        get("superseded edits (hidden)"),
        count("SELECT COUNT(*) FROM ost_thread_entry WHERE flags & 4")
    );
    assert!(
        lines
            .iter()
            .any(|l| l["section"] == "custom fields"
                && l["item"].as_str().unwrap().contains("list-1"))
    );
    // The table form prints too.
    let out = ostmig(&["discover", "--db", p], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("osTicket version") && text.contains("1.18"),
        "{text}"
    );
}

#[test]
fn a_real_osticket_117_database_snapshots_faithfully() {
    require_mariadb!();
    let db = "ostmig_t_real117";
    if !load_real117(db) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    let out = snapshot(db, &path, &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("osTicket 1.17"));
    assert_counts_match(db, "ost_", &path);
    let conn = duck(&path);
    // Facts from the database's README.
    assert_eq!(duck_i64(&conn, "SELECT count(*) FROM raw.ticket"), 62);
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM raw.thread_entry"),
        212
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw.thread WHERE object_type = 'C'"
        ),
        5
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw.thread_entry WHERE flags & 1024 <> 0"
        ),
        5
    );
    assert_eq!(
        duck_i64(&conn, "SELECT max(size) FROM raw.file"),
        13_107_208
    );
    let largest = duck_i64(
        &conn,
        "SELECT sum(octet_length(c.filedata)) FROM raw.file_chunk c JOIN raw.file f ON f.id = c.file_id WHERE f.name = 'full-diagnostics-2025-09.log'",
    );
    assert_eq!(largest, 13_107_208);
    assert_eq!(
        duck_str(&conn, "SELECT name FROM raw.\"user\" WHERE id = 30").map(|n| n.contains('ü')),
        Some(true)
    );
}

#[test]
fn the_stock_duckdb_shell_opens_the_staging_file() {
    require_mariadb!();
    let has_shell = std::process::Command::new("duckdb")
        .arg("-version")
        .output()
        .is_ok();
    if !has_shell {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must provide the duckdb shell (pip install duckdb-cli)"
        );
        eprintln!("*** SKIPPING: no `duckdb` shell on PATH (pip install duckdb-cli) ***");
        return;
    }
    fixture_db("ostmig_t_shell", "ost_", 20);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    snapshot("ostmig_t_shell", &path, &[]);
    let expected = duck_i64(&duck(&path), "SELECT count(*) FROM raw.thread_entry");
    let out = std::process::Command::new("duckdb")
        .arg(&path)
        .args([
            "-csv",
            "-noheader",
            "-c",
            "select count(*) from raw.thread_entry",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        expected.to_string()
    );
}

/// The connection the snapshot reads through refuses every write, even for an account that
/// has write grants (the test's admin): the help desk cannot be changed by this tool.
#[test]
fn the_source_connection_cannot_write() {
    require_mariadb!();
    let db = "ostmig_t_readonly";
    admin_sql(
        None,
        &format!(
            "DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}; CREATE TABLE {db}.ost_config (id INT PRIMARY KEY, value TEXT); INSERT INTO {db}.ost_config VALUES (1, 'before')"
        ),
    );
    let source = ostmig::settings::Source::resolve(
        Some(&format!("mysql://ostmig_admin@{HOST}:{}/{db}", port())),
        None,
        Some("admin-pass".into()),
    )
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Executor;
        let mut conn = ostmig::snapshot::source::connect(&source).await.unwrap();
        for write in [
            "INSERT INTO ost_config VALUES (2, 'x')",
            "UPDATE ost_config SET value = 'after' WHERE id = 1",
            "DELETE FROM ost_config",
            "CREATE TABLE ost_new (id INT)",
            "DROP TABLE ost_config",
            "START TRANSACTION",
        ] {
            let r = conn.execute(write).await;
            if write == "START TRANSACTION" {
                // A new transaction inherits the session's read-only mode.
                r.unwrap();
                let e = conn
                    .execute("UPDATE ost_config SET value = 'after' WHERE id = 1")
                    .await
                    .unwrap_err();
                assert!(e.to_string().contains("READ ONLY"), "{e}");
                conn.execute("ROLLBACK").await.unwrap();
            } else {
                let e = r.unwrap_err();
                assert!(e.to_string().contains("READ ONLY"), "{write}: {e}");
            }
        }
    });
    assert_eq!(
        admin_sql(
            Some(db),
            "SELECT group_concat(id, '=', value) FROM ost_config"
        )
        .trim(),
        "1=before"
    );
}
