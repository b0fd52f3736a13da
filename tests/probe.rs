//! `ostmig probe` against the simulator in each of its modes: the answer each mode gives is
//! the answer recorded, the workspace is left as it was found, `ostmig check` acts on the
//! participants answer, and a probe killed at random moments is cleaned up by the next run.
mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;

const TOKEN: &str = "sim-token-probe";

/// How many questions `ostmig probe --apply` answers.
const QUESTIONS: usize = 8;

/// A workspace with an admin and a Customer ticket type (the probe's ticket needs one).
const SEED: &str = r#"
[[admins]]
id = "991267001"
name = "Ada Admin"
email = "ada.admin@acme-helpdesk.example"
[[ticket_types]]
name = "Support request"
category = "Customer"
[[ticket_types.states]]
label = "New"
category = "submitted"
"#;

fn sim(dir: &std::path::Path, mode: &[&str]) -> Option<Sim> {
    let seed = dir.join("workspace.toml");
    std::fs::write(&seed, SEED).unwrap();
    let mut args = vec!["--seed", seed.to_str().unwrap()];
    args.extend_from_slice(mode);
    Sim::start(&args)
}

fn probe(db: &std::path::Path, url: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["probe", "--db", db.to_str().unwrap(), "--intercom-url", url];
    args.extend_from_slice(extra);
    ostmig(&args, &[("OSTMIG_INTERCOM_TOKEN", TOKEN)])
}

fn answers(db: &std::path::Path) -> Vec<(String, String)> {
    let conn = duck(db);
    let mut stmt = conn
        .prepare("SELECT question_id, answer FROM probe.result ORDER BY question_id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Nothing of the probe's is left: no contact, no ticket, every journal row removed, and its
/// data attribute (if the workspace took it) archived.
fn assert_left_as_found(db: &std::path::Path, state: &Value) {
    assert_eq!(state["contacts"], serde_json::json!({}), "contacts left");
    assert_eq!(state["tickets"], serde_json::json!({}), "tickets left");
    let attributes = state["data_attributes"].as_array().unwrap();
    let probes: Vec<&Value> = attributes
        .iter()
        .filter(|a| {
            a["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("ostmig_probe"))
        })
        .collect();
    assert!(probes.len() <= 1, "{probes:?}");
    assert!(probes.iter().all(|a| a["archived"] == true), "{probes:?}");
    assert_eq!(
        duck_i64(
            &duck(db),
            "SELECT count(*) FROM probe.object WHERE removed_at IS NULL"
        ),
        0
    );
}

/// A transformed staging file of a small generated help desk (what `ostmig check` reads).
fn staging(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("m.duckdb");
    let d = db.to_str().unwrap();
    for args in [
        &["fixture", "--tickets", "10", "--db", d][..],
        &["split", "--db", d][..],
        &["transform", "--db", d][..],
    ] {
        let out = ostmig(args, &[]);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    db
}

#[test]
fn the_probe_records_what_each_mode_of_the_workspace_does_and_leaves_it_as_found() {
    let dir = tempfile::tempdir().unwrap();
    let db = staging(dir.path());

    // Without --apply: the plan, and nothing is created.
    let Some(live) = sim(dir.path(), &[]) else {
        return;
    };
    let out = probe(&db, &live.url, &[]);
    assert_eq!(out.status.code(), Some(0));
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(
        plan.contains("participant") && plan.contains("search"),
        "{plan}"
    );
    assert_eq!(live.state()["contacts"], serde_json::json!({}));

    // The permissive workspace: deletes allowed, search at once, participants accepted.
    // It keeps a customer's files and takes requests as large as the probe tries (2 MiB).
    let out = probe(
        &db,
        &live.url,
        &["--apply", "--json", "--max-request-mb", "2"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["answers"].as_array().unwrap().len(), QUESTIONS);
    assert_eq!(
        answers(&db),
        [
            ("backdated_replies_keep_time".into(), "yes".into()),
            ("contact_reply_files".into(), "yes".into()),
            ("deletes_allowed".into(), "yes".into()),
            // 2 MiB of base64 less the room the probe leaves for the note's JSON.
            (
                "largest_request_bytes".into(),
                (2 * 1024 * 1024 - 4096).to_string()
            ),
            ("participants_on_tickets".into(), "yes".into()),
            ("search_lag_seconds".into(), "0".into()),
            ("ticket_search_lag_seconds".into(), "0".into()),
            ("underscore_in_attribute_names".into(), "yes".into()),
        ]
    );
    // Intercom cannot delete a data attribute: the probe's one is archived, and listed.
    assert!(
        json["archived"][0]
            .as_str()
            .is_some_and(|a| a.contains("ostmig_probe_underscore")),
        "{json}"
    );
    assert_left_as_found(&db, &live.state());
    drop(live);

    // A workspace whose search lags and that refuses participants on tickets. It also moves a
    // reply older than its ticket to the ticket's time, drops the files of a customer's reply
    // and refuses requests over 1.5 MB.
    let Some(strict) = sim(
        dir.path(),
        &[
            "--search-lag",
            "2",
            "--refuse-participants",
            "--clamp-backdated",
            "--drop-contact-reply-files",
            "--max-request-bytes",
            "1500000",
            "--refuse-underscore-names",
        ],
    ) else {
        return;
    };
    let out = probe(&db, &strict.url, &["--apply", "--max-request-mb", "4"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: std::collections::BTreeMap<String, String> = answers(&db).into_iter().collect();
    assert_eq!(got["backdated_replies_keep_time"], "no");
    assert_eq!(got["contact_reply_files"], "no");
    assert_eq!(got["deletes_allowed"], "yes");
    // 1 MiB went through, 2 MiB did not.
    assert_eq!(
        got["largest_request_bytes"],
        (1024 * 1024 - 4096).to_string()
    );
    assert_eq!(got["participants_on_tickets"], "no");
    assert_eq!(got["underscore_in_attribute_names"], "no");
    for q in ["search_lag_seconds", "ticket_search_lag_seconds"] {
        let lag: i64 = got[q].parse().unwrap();
        assert!((2..=4).contains(&lag), "{q}: lag {lag}");
    }
    let evidence = duck_str(
        &duck(&db),
        "SELECT evidence FROM probe.result WHERE question_id = 'largest_request_bytes'",
    )
    .unwrap();
    assert!(evidence.contains("413"), "{evidence}");
    assert_left_as_found(&db, &strict.state());
    // The evidence names the request and Intercom's answer, never the token.
    let evidence = duck_str(
        &duck(&db),
        "SELECT evidence FROM probe.result WHERE question_id = 'participants_on_tickets'",
    )
    .unwrap();
    assert!(
        evidence.contains("/customers") && evidence.contains("404"),
        "{evidence}"
    );
    assert!(!evidence.contains(TOKEN));
    // With participants = "add" (the default) the check refuses the load, and says what to do.
    let out = ostmig(&["check", "--db", db.to_str().unwrap(), "--json"], &[]);
    let checks: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let refused = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "probe_participants_refused")
        .unwrap();
    assert_eq!(refused["failing_rows"], 1, "{refused}");
    assert_eq!(refused["severity"], "error");
    // Where old reply times are not kept, the next transform writes each entry's time into it.
    let count_dated = || {
        duck_i64(
            &duck(&db),
            "SELECT count(*) FROM intermediate.int_ticket_parts WHERE body LIKE '%Posted in osTicket on 20%'",
        )
    };
    assert_eq!(count_dated(), 0);
    let out = ostmig(&["transform", "--db", db.to_str().unwrap()], &[]);
    assert!(out.status.success());
    assert_eq!(
        count_dated(),
        duck_i64(
            &duck(&db),
            "SELECT count(*) FROM intermediate.int_ticket_parts"
        )
    );
    // This workspace refuses _ in attribute names: a name mapped with one is refused by the
    // check, before the schema phase could fail on it.
    let refused_names = |db: &std::path::Path| {
        let out = ostmig(&["check", "--db", db.to_str().unwrap(), "--json"], &[]);
        let checks: Value = serde_json::from_slice(&out.stdout).unwrap();
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == "probe_attribute_names_refused")
            .unwrap()["failing_rows"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(refused_names(&db), 0);
    let mapping = dir.path().join("mapping.toml");
    let (d, m) = (db.to_str().unwrap(), mapping.to_str().unwrap());
    assert!(
        ostmig(&["map", "propose", "--db", d, "--file", m], &[])
            .status
            .success()
    );
    let text = std::fs::read_to_string(&mapping).unwrap();
    assert!(text.contains("attribute = \"osticket-tier\""), "{text}");
    std::fs::write(
        &mapping,
        text.replace(
            "attribute = \"osticket-tier\"",
            "attribute = \"osticket_tier\"",
        ),
    )
    .unwrap();
    let out = ostmig(
        &["map", "confirm", "--db", d, "--file", m, "--by", "test"],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ostmig(&["transform", "--db", d], &[]).status.success());
    assert_eq!(refused_names(&db), 1);
    drop(strict);

    // A plan without deletes: no ticket is made (it could not be removed), and rollback will
    // be refused: both recorded.
    let Some(locked) = sim(dir.path(), &["--restrict-deletes"]) else {
        return;
    };
    let out = probe(&db, &locked.url, &["--apply"]);
    assert_eq!(out.status.code(), Some(0));
    let got: std::collections::BTreeMap<String, String> = answers(&db).into_iter().collect();
    assert_eq!(got["deletes_allowed"], "no");
    for q in [
        "backdated_replies_keep_time",
        "contact_reply_files",
        "largest_request_bytes",
        "participants_on_tickets",
        "ticket_search_lag_seconds",
    ] {
        assert_eq!(got[q], "not probed", "{q}");
    }
    assert_left_as_found(&db, &locked.state());
}

#[test]
fn a_probe_killed_at_random_moments_is_cleaned_up_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.duckdb");
    // Slow enough that the kills land inside the experiments.
    let Some(sim) = sim(dir.path(), &["--latency-ms", "40", "--search-lag", "1"]) else {
        return;
    };
    let seed: u64 = std::env::var("OSTMIG_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("kill moments from seed {seed} (OSTMIG_KILL_SEED to replay)");
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
    let mut left_something = false;
    for _ in 0..6 {
        let ms = rand::Rng::random_range(&mut rng, 100..1800);
        let mut child = Command::new(bin())
            .args([
                "probe",
                "--apply",
                "--max-request-mb",
                "2",
                "--db",
                db.to_str().unwrap(),
                "--intercom-url",
                &sim.url,
            ])
            .env("OSTMIG_INTERCOM_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(ms));
        let _ = child.kill();
        let _ = child.wait();
        let state = sim.state();
        left_something |= state["contacts"].as_object().is_some_and(|c| !c.is_empty())
            || state["tickets"].as_object().is_some_and(|t| !t.is_empty());
    }
    eprintln!("a kill left probe objects behind: {left_something}");
    // The next runs remove whatever the kills left (a ticket may wait for search to see it).
    // A ticket whose create answer a kill lost is looked for until a search window has passed.
    let done = (0..5).any(|attempt| {
        if attempt > 0 {
            std::thread::sleep(Duration::from_secs(2));
        }
        let out = probe(
            &db,
            &sim.url,
            &["--apply", "--max-lag", "5", "--max-request-mb", "2"],
        );
        out.status.code() == Some(0)
    });
    assert!(done, "the probe did not finish cleanly after the kills");
    assert_left_as_found(&db, &sim.state());
    assert_eq!(answers(&db).len(), QUESTIONS);
}

/// The simulator's seed for a generated help desk: its agents as admins, its departments as
/// teams (what `ostmig demo` seeds its local Intercom with).
fn seed_for(db: &std::path::Path, file: &std::path::Path) -> String {
    let conn = duck(db);
    let mut stmt = conn
        .prepare(
            "SELECT trim(concat_ws(' ', trim(firstname), trim(lastname))), lower(trim(email))
             FROM raw.staff WHERE nullif(trim(email), '') IS NOT NULL ORDER BY staff_id",
        )
        .unwrap();
    let admins: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let teams: Vec<String> = conn
        .prepare("SELECT full_name FROM staging.stg_departments ORDER BY full_name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let seed = serde_json::json!({
        "admins": admins.iter().map(|(n, e)| serde_json::json!({"name": n, "email": e})).collect::<Vec<_>>(),
        "teams": teams.iter().map(|n| serde_json::json!({"name": n, "admin_emails": []})).collect::<Vec<_>>(),
    });
    std::fs::write(file, serde_json::to_vec(&seed).unwrap()).unwrap();
    admins[0].1.clone()
}

fn ok(out: &std::process::Output, what: &str) {
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every part of the workspace's tickets that holds a file, with its author's type.
fn file_carriers(state: &Value) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for t in state["tickets"].as_object().unwrap().values() {
        for p in posted_parts(t) {
            let n = p["attachments"].as_array().map_or(0, |a| a.len());
            if n > 0 {
                out.push((p["author"]["type"].as_str().unwrap_or("").to_string(), n));
            }
        }
    }
    out
}

/// A generated help desk through the whole pipeline into a workspace of the given mode, with
/// `ostmig probe` between the schema phase and the load: the load's requests follow the answers.
fn load_after_probe(mode: &[&str]) -> Option<(tempfile::TempDir, std::path::PathBuf, Sim)> {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.duckdb");
    let d = db.to_str().unwrap();
    // Ticket 1's first message carries a 2 MB file: within attachments.limit_bytes, beyond
    // what a workspace that refuses requests over 1.5 MB can take.
    for args in [
        &[
            "fixture",
            "--tickets",
            "12",
            "--seed",
            "1",
            "--large-attachment-bytes",
            "2000000",
            "--db",
            d,
        ][..],
        &["split", "--db", d, "--sample", "50"][..],
        &["transform", "--db", d][..],
    ] {
        ok(&ostmig(args, &[]), &format!("{args:?}"));
    }
    let seed = dir.path().join("workspace.json");
    let fallback = seed_for(&db, &seed);
    let mut args = vec!["--seed", seed.to_str().unwrap()];
    args.extend_from_slice(mode);
    let sim = Sim::start(&args)?;
    let config = dir.path().join("ostmig.toml");
    std::fs::write(&config, format!("[admins]\nfallback = \"{fallback}\"\n")).unwrap();
    let c = config.to_str().unwrap();
    let mapping = dir.path().join("mapping.toml");
    let m = mapping.to_str().unwrap();
    let token = [("OSTMIG_INTERCOM_TOKEN", TOKEN)];
    for args in [
        &["intercom", "pull", "--db", d, "--intercom-url", &sim.url][..],
        &["transform", "--db", d, "--config", c][..],
        &["map", "propose", "--db", d, "--file", m][..],
        &["map", "confirm", "--db", d, "--file", m, "--by", "test"][..],
        // The Customer ticket type the probe's ticket needs.
        &[
            "load",
            "--db",
            d,
            "--intercom-url",
            &sim.url,
            "--phase",
            "schema",
            "--apply",
        ][..],
        &[
            "probe",
            "--db",
            d,
            "--intercom-url",
            &sim.url,
            "--apply",
            "--max-request-mb",
            "4",
        ][..],
    ] {
        ok(&ostmig(args, &token), &format!("{args:?}"));
    }
    // The outbox was built before the answers: the load refuses it until transform runs again;
    // it posts internal notes only once someone recorded that the plan hides them (the schema
    // phase above needed neither).
    let out = ostmig(
        &["load", "--db", d, "--intercom-url", &sim.url, "--apply"],
        &token,
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && said.contains("probe_answers_changed")
            && said.contains("notes_visibility_unconfirmed"),
        "{said}"
    );
    record_notes_hidden(&db);
    for args in [
        &["transform", "--db", d, "--config", c][..],
        &["load", "--db", d, "--intercom-url", &sim.url, "--apply"][..],
        &["verify", "--db", d, "--intercom-url", &sim.url][..],
    ] {
        let out = ostmig(args, &token);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Some((dir, db, sim))
}

#[test]
fn a_load_after_the_probe_sends_what_its_answers_call_for() {
    // A workspace that keeps a customer's files and takes every request the probe tried.
    let Some((_dir, db, sim)) = load_after_probe(&[]) else {
        return;
    };
    let conn = duck(&db);
    let on_reply = duck_i64(
        &conn,
        "SELECT count(*) FROM outbox.outbox_ticket_parts WHERE endpoint = 'conversations'",
    );
    assert!(on_reply > 0, "no customer reply carries files");
    let state = sim.state();
    let carriers = file_carriers(&state);
    // Each customer reply with files carries them itself: no note after it.
    assert_eq!(
        carriers.iter().filter(|(who, _)| who == "user").count() as i64,
        on_reply,
        "{carriers:?}"
    );
    assert!(
        state["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["size"] == 2_000_000),
        "the 2 MB file did not arrive"
    );
    assert_eq!(
        duck_str(
            &conn,
            "SELECT value FROM intermediate.int_workspace_strategy WHERE decision = 'contact_reply_files'"
        )
        .unwrap(),
        "on_reply"
    );
    drop(conn);
    // A workspace found to refuse deletes: rollback refuses before it asks Intercom anything
    // (this one would allow them), and nothing is undone.
    let Some(locked) = sim_with_seed(&db, &["--restrict-deletes"]) else {
        return;
    };
    let out = probe(&db, &locked.url, &["--apply"]);
    assert_eq!(out.status.code(), Some(0));
    let before = sim.state()["tickets"].as_object().unwrap().len();
    let out = ostmig(
        &[
            "rollback",
            "--db",
            db.to_str().unwrap(),
            "--intercom-url",
            &sim.url,
            "--apply",
        ],
        &[("OSTMIG_INTERCOM_TOKEN", TOKEN)],
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && said.contains("ostmig probe") && said.contains("deletes"),
        "{said}"
    );
    assert_eq!(sim.state()["tickets"].as_object().unwrap().len(), before);

    // A workspace that drops a customer's files and refuses requests over 1.5 MB.
    let Some((_dir, db, sim)) = load_after_probe(&[
        "--drop-contact-reply-files",
        "--max-request-bytes",
        "1500000",
    ]) else {
        return;
    };
    let conn = duck(&db);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM outbox.outbox_ticket_parts WHERE endpoint = 'conversations'"
        ),
        0
    );
    let state = sim.state();
    let carriers = file_carriers(&state);
    assert!(!carriers.is_empty());
    assert!(
        carriers.iter().all(|(who, _)| who == "admin"),
        "{carriers:?}"
    );
    // The 2 MB file cannot travel in a request the workspace takes: listed with its reason.
    assert!(
        !state["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["size"] == 2_000_000)
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM reports.rpt_attachment_exclusions
             WHERE size = 2000000 AND reason LIKE 'larger than one request the workspace takes%'"
        ),
        1
    );
    // Every file request stayed under what the probe saw accepted.
    let cap = duck_i64(
        &conn,
        "SELECT (SELECT value FROM intermediate.int_workspace_strategy WHERE decision = 'request_bytes')::BIGINT",
    );
    assert_eq!(cap, 1024 * 1024 - 4096);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM (SELECT entry_id, batch, sum(4 * ((size + 2) // 3)) AS b
                                   FROM outbox.outbox_attachments GROUP BY ALL) WHERE b > (SELECT (SELECT value FROM intermediate.int_workspace_strategy WHERE decision = 'request_bytes')::BIGINT)"
        ),
        0
    );
}

/// A simulator seeded like [`load_after_probe`]'s, in another mode.
fn sim_with_seed(db: &std::path::Path, mode: &[&str]) -> Option<Sim> {
    let seed = db.with_file_name("workspace.json");
    let s = seed.to_str().unwrap().to_string();
    let mut args = vec!["--seed", s.as_str()];
    args.extend_from_slice(mode);
    Sim::start(&args)
}
