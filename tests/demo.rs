//! `ostmig demo`: the README's first command. A private MariaDB from the installed server
//! programs, the generated help desk, a local Intercom, every stage, the reports — and the
//! result must be a complete, verified migration, not just an exit code.
mod common;

use common::*;
use serde_json::Value;

fn have_mariadbd() -> bool {
    let found = [
        "/usr/sbin/mariadbd",
        "/usr/bin/mariadbd",
        "/usr/local/bin/mariadbd",
    ]
    .iter()
    .any(|p| std::path::Path::new(p).exists());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs MariaDB (.ci/mariadb); mariadbd must be there"
        );
        eprintln!("*** SKIPPING: no mariadbd installed ***");
    }
    found
}

#[test]
fn the_demo_migrates_a_generated_help_desk_end_to_end() {
    if !have_mariadbd() || ostmig::intercom::spec::Spec::locate(None).is_err() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = ostmig(
        &[
            "demo",
            "--dir",
            dir.path().to_str().unwrap(),
            "--tickets",
            "60",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = duck(&dir.path().join("migration.duckdb"));
    // Every phase ran, nothing failed, and verify found no difference.
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(DISTINCT phase) FROM load.phase_result WHERE failed = 0"
        ),
        5
    );
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM load.verify_mismatch"),
        0
    );
    // What the local Intercom holds is what the outboxes say: every ticket once, with every
    // reply, note and file note; every contact and company.
    let state: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("intercom-state.json")).unwrap())
            .unwrap();
    let tickets = state["tickets"].as_object().unwrap();
    assert_eq!(
        tickets.len() as i64,
        duck_i64(&conn, "SELECT count(*) FROM outbox.outbox_tickets")
    );
    let parts: i64 = tickets.values().map(|t| posted_parts(t).len() as i64).sum();
    assert_eq!(
        parts,
        duck_i64(
            &conn,
            "SELECT (SELECT count(*) FROM outbox.outbox_ticket_parts)
                  + (SELECT count(DISTINCT entry_id || ':' || batch) FROM outbox.outbox_attachments WHERE carrier = 'note')
                  + (SELECT count(*) FROM outbox.outbox_ticket_participants WHERE kind = 'note')
                  + (SELECT count(*) FROM outbox.outbox_ticket_events)"
        )
    );
    assert_eq!(
        state["contacts"].as_object().unwrap().len() as i64,
        duck_i64(&conn, "SELECT count(*) FROM outbox.outbox_contacts")
    );
    // Every file arrived, the images pasted into bodies as data: URIs among them.
    let files = state["files"].as_array().unwrap();
    assert_eq!(
        files.len() as i64,
        duck_i64(&conn, "SELECT count(*) FROM outbox.outbox_attachments")
    );
    let pasted = duck_i64(
        &conn,
        "SELECT count(*) FROM outbox.outbox_attachments WHERE image_n IS NOT NULL",
    );
    assert!(pasted > 0);
    assert!(
        tickets
            .values()
            .all(|t| posted_parts(t).iter().all(|p| !p["body"]
                .as_str()
                .unwrap_or_default()
                .contains("src=\"data:"))),
        "a body still holds a data: image"
    );
    // Phone-only requesters arrived too (no e-mail sent as null).
    assert!(
        state["contacts"]
            .as_object()
            .unwrap()
            .values()
            .any(|c| c["email"] == "" && c["phone"].is_string())
    );
    // The reports: the five workbooks (with Markdown), and one CSV per reports.* table.
    let reports = dir.path().join("reports");
    for (name, _) in ostmig::report::DEFINITIONS {
        let def = ostmig::report::definition(name).unwrap();
        assert!(reports.join(&def.file).exists(), "{}", def.file);
        assert!(reports.join(format!("{name}.md")).exists());
    }
    let recon = std::fs::read_to_string(reports.join("reconciliation.md")).unwrap();
    assert!(recon.contains("| tickets | tickets |"), "{recon}");
    let n = duck_i64(
        &conn,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'reports'",
    );
    assert!(n >= 20);
    assert_eq!(
        std::fs::read_dir(reports.join("csv")).unwrap().count() as i64,
        n
    );
    let orphans = std::fs::read_to_string(reports.join("csv/rpt_orphan_users.csv")).unwrap();
    assert!(
        orphans.lines().next().unwrap().contains("match_rule"),
        "{orphans}"
    );
    // The private server and the simulator are gone.
    assert!(
        std::process::Command::new("pgrep")
            .args(["-f", &dir.path().join("mariadb").to_string_lossy()])
            .output()
            .map(|o| o.stdout.is_empty())
            .unwrap_or(true)
    );
}
