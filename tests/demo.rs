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
    if !have_mariadbd() {
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
            "--mariadb",
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
        8
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
    let all = state["tickets"].as_object().unwrap();
    let tickets: Vec<&Value> = all
        .values()
        .filter(|t| t["category"] == "Customer")
        .collect();
    assert_eq!(
        tickets.len() as i64,
        duck_i64(&conn, "SELECT count(*) FROM outbox.outbox_tickets")
    );
    assert_the_tasks_arrived(&conn, all);
    let parts: i64 = tickets.iter().map(|t| posted_parts(t).len() as i64).sum();
    assert_eq!(
        parts,
        duck_i64(
            &conn,
            "SELECT (SELECT count(*) FROM outbox.outbox_ticket_parts)
                  + (SELECT count(DISTINCT entry_id || ':' || batch) FROM outbox.outbox_attachments WHERE carrier = 'note')
                  + (SELECT count(*) FROM outbox.outbox_ticket_participants WHERE kind = 'note')
                  + (SELECT count(*) FROM outbox.outbox_ticket_events)
                  + (SELECT count(*) FROM outbox.outbox_field_files)"
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
        duck_i64(
            &conn,
            "SELECT (SELECT count(*) FROM outbox.outbox_attachments)
                  + (SELECT coalesce(sum(files), 0) FROM outbox.outbox_field_files)"
        )
    );
    // A form's file-upload answers arrive as files of a note naming the field.
    assert!(
        duck_i64(&conn, "SELECT count(*) FROM outbox.outbox_field_files") > 0,
        "the fixture's RMA photos"
    );
    assert!(tickets.iter().any(|t| posted_parts(t).iter().any(|p| {
        p["body"]
            .as_str()
            .unwrap_or_default()
            .contains("Files of the field")
            && p["attachments"][0]["name"] == "device.jpg"
    })));
    let pasted = duck_i64(
        &conn,
        "SELECT count(*) FROM outbox.outbox_attachments WHERE image_n IS NOT NULL",
    );
    assert!(pasted > 0);
    assert!(
        tickets
            .iter()
            .all(|t| posted_parts(t).iter().all(|p| !p["body"]
                .as_str()
                .unwrap_or_default()
                .contains("src=\"data:"))),
        "a body still holds a data: image"
    );
    // The knowledge base is the Help Center; a rollback of its phase takes it away and leaves
    // the tickets.
    assert_the_knowledge_base_arrived(&state);
    assert_the_customer_context_arrived(&state);
    drop(conn);
    let sim = Sim::start(&[
        "--state",
        dir.path().join("intercom-state.json").to_str().unwrap(),
    ])
    .unwrap();
    let out = ostmig(
        &[
            "rollback",
            "--db",
            dir.path().join("migration.duckdb").to_str().unwrap(),
            "--intercom-url",
            &sim.url,
            "--phase",
            "articles",
            "--apply",
        ],
        &[("OSTMIG_INTERCOM_TOKEN", "demo-token")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = sim.state();
    for kb in ["collections", "articles", "internal_articles"] {
        assert_eq!(after[kb], serde_json::json!({}), "{kb} rolled back");
    }
    assert_eq!(after["tickets"].as_object().unwrap().len(), all.len());
    let conn = duck(&dir.path().join("migration.duckdb"));
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM load.ledger WHERE object_type IN ('collection', 'article', 'internal_article') AND status <> 'rolled_back'"
        ),
        0
    );
    drop(conn);
    // The whole rollback: the contact and company notes go with their contact and company
    // (Intercom deletes no note), and the ledger says so.
    let out = ostmig(
        &[
            "rollback",
            "--db",
            dir.path().join("migration.duckdb").to_str().unwrap(),
            "--intercom-url",
            &sim.url,
            "--apply",
        ],
        &[("OSTMIG_INTERCOM_TOKEN", "demo-token")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = sim.state();
    assert_eq!(after["notes"], serde_json::json!({}));
    assert_eq!(after["contacts"], serde_json::json!({}));
    assert_eq!(after["tickets"], serde_json::json!({}), "tickets and tasks");
    drop(sim);
    let conn = duck(&dir.path().join("migration.duckdb"));
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM load.ledger WHERE object_type IN ('contact_note', 'company_note') AND status = 'rolled_back'"
        ),
        4
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM load.ledger WHERE object_type IN ('task', 'task_note', 'task_state') AND status <> 'rolled_back'"
        ),
        0,
        "a task's notes and state go with it"
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

/// Every task on a migrated ticket is a back-office ticket linked both ways to that ticket,
/// with its thread as notes (never a comment a customer could see) and its state; the task on
/// no ticket is not there.
fn assert_the_tasks_arrived(conn: &duckdb::Connection, all: &serde_json::Map<String, Value>) {
    let tasks: Vec<&Value> = all
        .values()
        .filter(|t| t["category"] == "Back-office")
        .collect();
    assert_eq!(
        tasks.len() as i64,
        duck_i64(conn, "SELECT count(*) FROM outbox.outbox_tasks")
    );
    assert!(!tasks.is_empty());
    assert_eq!(
        duck_i64(conn, "SELECT count(*) FROM raw.task") - tasks.len() as i64,
        1,
        "the task on no ticket is listed, not sent"
    );
    for task in tasks {
        let links = task["linked_objects"]["data"].as_array().unwrap();
        assert_eq!(links.len(), 1, "{task}");
        let ticket = &all[links[0]["id"].as_str().unwrap()];
        assert_eq!(ticket["category"], "Customer");
        assert!(
            ticket["linked_objects"]["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["id"] == task["id"]),
            "the ticket links back"
        );
        let number = task["ticket_attributes"]["osTicket task number"]
            .as_str()
            .unwrap();
        let entries = duck_i64(
            conn,
            &format!(
                "SELECT count(*) FROM stage.task_parts p JOIN raw.task t ON t.id = p.task_id WHERE t.number = '{number}'"
            ),
        );
        let notes = posted_parts(task);
        assert_eq!(notes.len() as i64, entries, "{number}");
        assert!(notes.iter().all(|p| p["part_type"] == "note"));
        let open = duck_i64(
            conn,
            &format!("SELECT count(*) FROM raw.task WHERE number = '{number}' AND flags & 1 = 1"),
        ) == 1;
        assert_eq!(task["open"], open, "{number}");
        assert_eq!(
            task["contacts"]["contacts"][0]["id"],
            ticket["contacts"]["contacts"][0]["id"]
        );
    }
}

/// A new user's machine: no MariaDB to go through, no `../shared` beside the working folder,
/// only the binary. The help desk goes straight into the staging file and the migration is as
/// complete and verified as through MariaDB.
#[test]
fn the_demo_needs_nothing_outside_the_binary() {
    let home = tempfile::tempdir().unwrap();
    assert!(!home.path().join("../shared").exists());
    let out = std::process::Command::new(bin())
        .args(["demo", "--dir", "demo", "--tickets", "40", "--no-mariadb"])
        .current_dir(home.path())
        .env_remove("OSTMIG_INTERCOM_SPEC")
        .env_remove("OSTMIG_DB")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr
            .lines()
            .next()
            .unwrap_or_default()
            .contains("straight into the staging file"),
        "{stderr}"
    );
    // Output for people: two screens at most, ending with what to look at next.
    let said = format!("{}{stderr}", String::from_utf8_lossy(&out.stdout));
    assert!(
        said.lines().count() <= 60,
        "{} lines:\n{said}",
        said.lines().count()
    );
    assert!(
        said.contains("checks passed") && said.contains("What to look at next"),
        "{said}"
    );
    let conn = duck(&home.path().join("demo/migration.duckdb"));
    assert_eq!(
        duck_str(
            &conn,
            "SELECT string_agg(DISTINCT kind, ',') FROM meta.snapshot"
        )
        .unwrap(),
        "fixture"
    );
    // As a snapshot of the same help desk would: times in UTC from its db_timezone, the
    // double-encoded names repaired, zero dates counted.
    assert_eq!(
        duck_str(&conn, "SELECT source_time_zone FROM meta.snapshot").unwrap(),
        "America/New_York"
    );
    assert!(duck_i64(&conn, "SELECT repaired_values FROM meta.snapshot") > 0);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM meta.snapshot_issue WHERE problem = 'mojibake_repaired'"
        ),
        duck_i64(&conn, "SELECT repaired_values FROM meta.snapshot")
    );
    assert!(duck_i64(&conn, "SELECT zero_dates FROM meta.snapshot") > 0);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw.\"user\" WHERE name LIKE '%Ã%'"
        ),
        0
    );
    // Loaded and verified, every ticket.
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM load.verify_mismatch"),
        0
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM load.ledger WHERE object_type = 'ticket' AND status = 'created'"
        ),
        duck_i64(&conn, "SELECT count(*) FROM outbox.outbox_tickets")
    );
    assert!(duck_i64(&conn, "SELECT count(*) FROM outbox.outbox_tickets") > 20);
    drop(conn);

    // The amenities of a CLI: a version that says what it speaks, completions, JSON for
    // scripts from every command that reports.
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin())
            .args(args)
            .current_dir(home.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let version = run(&["--version"]);
    assert!(
        version.contains("2.16") && version.contains("osTicket"),
        "{version}"
    );
    let completions = run(&["completions", "bash"]);
    assert!(completions.contains("ostmig") && completions.contains("demo"));
    let db = "demo/migration.duckdb";
    let plan: Value = serde_json::from_str(&run(&["load", "--db", db, "--json"])).unwrap();
    let phases = plan.as_array().unwrap();
    assert_eq!(phases.len(), 8);
    assert!(
        phases.iter().all(|p| p["sent"] == 0),
        "everything is loaded: {plan}"
    );
    // One table of object types: an unknown phase is a usage error everywhere, and the
    // rollback plan of one phase lists that phase's objects only.
    for cmd in ["load", "rollback"] {
        let out = std::process::Command::new(bin())
            .args([cmd, "--db", db, "--phase", "tpyo"])
            .current_dir(home.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {stderr}");
        assert!(
            stderr.contains("tpyo") && stderr.contains("tickets"),
            "{stderr}"
        );
    }
    let undo: Value = serde_json::from_str(&run(&[
        "rollback", "--db", db, "--phase", "contacts", "--json",
    ]))
    .unwrap();
    let undo = undo.as_array().unwrap();
    assert_eq!(undo.len(), 1, "{undo:?}");
    assert_eq!(undo[0]["object_type"], "contact");
    assert!(undo[0]["to_undo"].as_i64().unwrap() > 0);
    let written: Value =
        serde_json::from_str(&run(&["report", "--db", db, "--out", "again", "--json"])).unwrap();
    assert!(
        written
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["workbook"] == "reconciliation.xlsx")
    );
}
