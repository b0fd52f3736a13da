//! `ostmig probe` against the simulator in each of its modes: the answer each mode gives is
//! the answer recorded, the workspace is left as it was found, `ostmig check` acts on the
//! participants answer, and a probe killed at random moments is cleaned up by the next run.
mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;

const TOKEN: &str = "sim-token-probe";

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

/// Nothing of the probe's is left: no contact, no ticket, every journal row removed.
fn assert_left_as_found(db: &std::path::Path, state: &Value) {
    assert_eq!(state["contacts"], serde_json::json!({}), "contacts left");
    assert_eq!(state["tickets"], serde_json::json!({}), "tickets left");
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
    let out = probe(&db, &live.url, &["--apply", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["answers"].as_array().unwrap().len(), 4);
    assert_eq!(
        answers(&db),
        [
            ("backdated_replies_keep_time".into(), "yes".into()),
            ("deletes_allowed".into(), "yes".into()),
            ("participants_on_tickets".into(), "yes".into()),
            ("search_lag_seconds".into(), "0".into()),
        ]
    );
    assert_left_as_found(&db, &live.state());
    drop(live);

    // A workspace whose search lags and that refuses participants on tickets.
    // It also moves a reply older than its ticket to the ticket's time.
    let Some(strict) = sim(
        dir.path(),
        &[
            "--search-lag",
            "2",
            "--refuse-participants",
            "--clamp-backdated",
        ],
    ) else {
        return;
    };
    let out = probe(&db, &strict.url, &["--apply"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = answers(&db);
    assert_eq!(got[0], ("backdated_replies_keep_time".into(), "no".into()));
    assert_eq!(got[1], ("deletes_allowed".into(), "yes".into()));
    assert_eq!(got[2], ("participants_on_tickets".into(), "no".into()));
    let lag: i64 = got[3].1.parse().unwrap();
    assert!((2..=4).contains(&lag), "lag {lag}");
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
    drop(strict);

    // A plan without deletes: no ticket is made (it could not be removed), and rollback will
    // be refused: both recorded.
    let Some(locked) = sim(dir.path(), &["--restrict-deletes"]) else {
        return;
    };
    let out = probe(&db, &locked.url, &["--apply"]);
    assert_eq!(out.status.code(), Some(0));
    let got = answers(&db);
    assert_eq!(
        got[0],
        ("backdated_replies_keep_time".into(), "not probed".into())
    );
    assert_eq!(got[1], ("deletes_allowed".into(), "no".into()));
    assert_eq!(
        got[2],
        ("participants_on_tickets".into(), "not probed".into())
    );
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
        let out = probe(&db, &sim.url, &["--apply", "--max-lag", "5"]);
        out.status.code() == Some(0)
    });
    assert!(done, "the probe did not finish cleanly after the kills");
    assert_left_as_found(&db, &sim.state());
    assert_eq!(answers(&db).len(), 4);
}
