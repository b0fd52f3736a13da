//! Every stage writes atomically (issue 9): each one that writes the staging file or the
//! customer's files is SIGKILLed at random moments of its run; after each kill the staging file
//! opens (DuckDB replays its WAL) and holds the complete output of a run — never half of one —
//! and every workbook present is whole; then the stage runs again to the same result.
//! (Snapshot and load have their own kill tests in tests/snapshot.rs and tests/load.rs.)
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// What a stage's complete output looks like, read from the staging file. Any half-written
/// state differs from it (the reference and a rerun write the same rows).
type Fingerprint = fn(&duckdb::Connection) -> String;

fn counts(conn: &duckdb::Connection, relations: &[&str]) -> String {
    relations
        .iter()
        .map(|r| {
            format!(
                "{r}={}",
                duck_i64(conn, &format!("SELECT count(*) FROM {r}"))
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn split_output(conn: &duckdb::Connection) -> String {
    // Every entry is accounted for (a part, an exclusion or a review item) only when the whole
    // output is there.
    let unaccounted = duck_i64(
        conn,
        "SELECT count(*) FROM raw.thread_entry e WHERE e.id NOT IN (
             SELECT entry_id FROM stage.parts UNION ALL SELECT entry_id FROM stage.split_excluded
             UNION ALL SELECT object_id FROM stage.review_queue WHERE object_type = 'thread_entry')",
    );
    format!(
        "unaccounted={unaccounted} {}",
        counts(
            conn,
            &[
                "stage.parts",
                "stage.part_attachment",
                "stage.split_excluded",
                "stage.review_queue",
                "stage.split_sample",
            ]
        )
    )
}

fn transform_output(conn: &duckdb::Connection) -> String {
    // The latest run's models, each relation holding exactly the rows that run recorded.
    let mut stmt = conn
        .prepare(
            "SELECT relation, row_count FROM meta.model_run
             WHERE run_id = (SELECT max(run_id) FROM meta.model_run) ORDER BY relation",
        )
        .unwrap();
    let recorded: Vec<(String, Option<i64>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(recorded.len() > 20, "the transform recorded its models");
    recorded
        .iter()
        .map(|(relation, rows)| {
            let actual = duck_i64(conn, &format!("SELECT count(*) FROM {relation}"));
            if let Some(rows) = rows {
                assert_eq!(actual, *rows, "{relation} holds what its run recorded");
            }
            format!("{relation}={actual}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn mapping_output(conn: &duckdb::Connection) -> String {
    let entries = duck_i64(conn, "SELECT count(*) FROM mapping.entry");
    let confirmed = duck_i64(
        conn,
        "SELECT entries FROM mapping.confirmation ORDER BY confirmed_at DESC LIMIT 1",
    );
    assert_eq!(
        entries, confirmed,
        "the entries are the latest confirmation's"
    );
    format!(
        "entries={entries} {}",
        duck_str(
            conn,
            "SELECT string_agg(class || ':' || source || ':' || key || '=' || coalesce(value, ''), ',' ORDER BY ALL) FROM mapping.entry"
        )
        .unwrap_or_default()
    )
}

/// Run `args` once to its end, returning how long it took.
fn complete(args: &[String], env: &[(&str, &str)]) -> Duration {
    let started = Instant::now();
    let strs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ostmig(&strs, env);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    started.elapsed()
}

/// Kill `args` at `trials` random moments of a run; after each, `check` the staging file.
fn kill_at_random(
    rng: &mut rand_chacha::ChaCha8Rng,
    args: &[String],
    env: &[(&str, &str)],
    trials: usize,
    mut check: impl FnMut(),
) {
    let took = complete(args, env);
    for trial in 0..trials {
        let ms = rand::Rng::random_range(rng, 5..(took.as_millis() as u64).max(10));
        let mut child = Command::new(bin());
        for (k, _) in std::env::vars() {
            if k.starts_with("OSTMIG_") {
                child.env_remove(k);
            }
        }
        let mut child = child
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(ms));
        let ended_first = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        eprintln!(
            "{} trial {trial}: {} after {ms} ms",
            args[0],
            if ended_first { "finished" } else { "killed" }
        );
        check();
    }
}

#[test]
fn every_stage_killed_mid_way_leaves_whole_output() {
    require_mariadb!();
    let seed: u64 = std::env::var("OSTMIG_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("kill moments from seed {seed} (OSTMIG_CRASH_SEED to replay)");
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);

    let db = "ostmig_t_crash";
    fixture_db(db, "ost_", 400);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    snapshot(db, &path, &[]);
    let p = path.to_str().unwrap().to_string();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();

    let stages: [(Vec<String>, Fingerprint); 2] = [
        (s(&["split", "--db", &p, "--sample", "20"]), split_output),
        (s(&["transform", "--db", &p]), transform_output),
    ];
    for (args, fingerprint) in &stages {
        complete(args, &[]);
        let reference = fingerprint(&duck(&path));
        kill_at_random(&mut rng, args, &[], 6, || {
            assert_eq!(
                fingerprint(&duck(&path)),
                reference,
                "{} killed mid-way",
                args[0]
            );
        });
    }

    // The mapping sign-off.
    let mapping = dir.path().join("mapping.toml");
    let m = mapping.to_str().unwrap().to_string();
    complete(&s(&["map", "propose", "--db", &p, "--file", &m]), &[]);
    let confirm = s(&[
        "map",
        "confirm",
        "--db",
        &p,
        "--file",
        &m,
        "--by",
        "Crash Test",
    ]);
    complete(&confirm, &[]);
    let reference = mapping_output(&duck(&path));
    kill_at_random(&mut rng, &confirm, &[], 6, || {
        assert_eq!(
            mapping_output(&duck(&path)),
            reference,
            "map confirm killed"
        );
    });

    // The customer's workbooks: each file present is the whole workbook, byte for byte. (A plain
    // truncate-and-write leaves a half file only for microseconds, so this rarely catches one;
    // the guarantee is the rename in `ostmig::write_atomically`.)
    let out = dir.path().join("reports");
    let report = s(&[
        "report",
        "--db",
        &p,
        "--out",
        out.to_str().unwrap(),
        "--markdown",
    ]);
    let epoch = [("SOURCE_DATE_EPOCH", "1700000000")];
    complete(&report, &epoch);
    let reference: Vec<(String, Vec<u8>)> = files(&out);
    assert!(reference.len() >= 10, "five workbooks and their Markdown");
    kill_at_random(&mut rng, &report, &epoch, 6, || {
        for (name, bytes) in files(&out) {
            let whole = reference.iter().find(|(n, _)| *n == name).map(|(_, b)| b);
            assert_eq!(whole, Some(&bytes), "{name} is whole");
        }
    });
}

/// The visible files of `dir` (temporary files start with a dot), with their bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    all.sort();
    all
}
