//! Secrets never leak: a canary MySQL password and a canary Intercom token go through every
//! command a migration runs (debug logging on, plus failures that print errors), and then every
//! byte the tool produced is searched for them — stdout, stderr, the DuckDB file, the reports,
//! the simulator's saved workspace and every `--help`. Every file it wrote is owner-only (0600).
mod common;

use std::path::Path;

use common::*;

const PASSWORD: &str = "Canary-Mysql-7f3e9a";
const TOKEN: &str = "Canary-Token-91ab2c40";

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn no_secret_appears_in_any_output_file_or_help() {
    require_mariadb!();
    let db = "ostmig_t_canary";
    if !load_real117(db) {
        return;
    }
    admin_sql(
        None,
        &format!(
            "DROP USER IF EXISTS 'ostmig_canary'@'%'; CREATE USER 'ostmig_canary'@'%' IDENTIFIED BY '{PASSWORD}';
             GRANT SELECT, SHOW VIEW ON `ostmig\\_%`.* TO 'ostmig_canary'@'%'"
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("workspace.toml");
    std::fs::write(&seed, SIM_SEED).unwrap();
    let state = dir.path().join("state.json");
    let Some(sim) = Sim::start(&[
        "--seed",
        seed.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ]) else {
        return;
    };
    let duck_file = dir.path().join("m.duckdb");
    let d = duck_file.to_str().unwrap();
    let config = dir.path().join("ostmig.toml");
    std::fs::write(&config, SETTLED).unwrap();
    let c = config.to_str().unwrap();
    let reports = dir.path().join("reports");
    let r = reports.to_str().unwrap();
    let source = url("ostmig_canary", db);
    let env = [
        ("OSTMIG_MYSQL_PASSWORD", PASSWORD),
        ("OSTMIG_INTERCOM_TOKEN", TOKEN),
        ("OSTMIG_LOG", "debug"),
    ];
    let u = sim.url.as_str();
    let mut outputs = Vec::new();
    let mut run = |args: &[&str], ok: &[i32]| {
        let out = ostmig(args, &env);
        let code = out.status.code().unwrap_or(-1);
        assert!(
            ok.contains(&code),
            "ostmig {args:?} exit {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push((args.join(" "), out.stdout, out.stderr));
    };
    run(&["snapshot", "--source", &source, "--db", d], &[0]);
    run(&["discover", "--db", d], &[0]);
    run(&["split", "--db", d, "--sample", "5"], &[0, 1]);
    run(&["intercom", "pull", "--db", d, "--intercom-url", u], &[0]);
    run(&["transform", "--db", d, "--config", c], &[0]);
    run(
        &[
            "probe",
            "--db",
            d,
            "--answer",
            "notes_hidden_from_customers=yes",
            "--by",
            "test",
        ],
        &[0],
    );
    run(&["check", "--db", d], &[0, 1]);
    let m = &dir
        .path()
        .join("mapping.toml")
        .to_string_lossy()
        .to_string();
    run(&["map", "propose", "--db", d, "--file", m], &[0]);
    run(
        &["map", "confirm", "--db", d, "--file", m, "--by", "test"],
        &[0],
    );
    run(&["load", "--db", d, "--intercom-url", u, "--apply"], &[0]);
    run(&["verify", "--db", d, "--intercom-url", u], &[0]);
    run(&["report", "--db", d, "--out", r, "--markdown"], &[0]);
    run(&["rollback", "--db", d, "--intercom-url", u], &[0]);
    run(&["sql", "--db", d, "select * from meta.snapshot"], &[0]);
    run(
        &["sql", "--db", d, "--csv", "select * from load.ledger"],
        &[0],
    );
    // Failures print errors: an unreachable server, a password put in the URL. (An unreachable
    // Intercom is retried for about 40 s before its error: too slow for here; the debug-logged
    // load above already carries the token in every request.)
    let wrong_port = source.replace(&format!(":{}/", port()), ":1/");
    run(&["snapshot", "--source", &wrong_port, "--db", d], &[2]);
    let with_password = source.replace("ostmig_canary@", &format!("ostmig_canary:{PASSWORD}@"));
    run(&["snapshot", "--source", &with_password, "--db", d], &[2]);
    // Every command's help.
    run(&["--help"], &[0]);
    for cmd in [
        "snapshot",
        "discover",
        "split",
        "transform",
        "check",
        "intercom",
        "map",
        "sql",
        "load",
        "verify",
        "rollback",
        "report",
        "run",
        "demo",
        "sim",
        "fixture",
    ] {
        run(&[cmd, "--help"], &[0]);
    }
    drop(sim);

    for (what, stdout, stderr) in &outputs {
        for secret in [PASSWORD, TOKEN] {
            for (name, bytes) in [("stdout", stdout), ("stderr", stderr)] {
                assert!(
                    !String::from_utf8_lossy(bytes).contains(secret),
                    "`ostmig {what}` printed a secret on {name}"
                );
            }
        }
    }
    let mut files = Vec::new();
    files_under(dir.path(), &mut files);
    assert!(files.iter().any(|f| f.ends_with("reconciliation.xlsx")));
    assert!(files.iter().any(|f| f.ends_with("state.json")));
    for f in &files {
        if f.ends_with("ostmig.toml") || f.ends_with("workspace.toml") {
            continue;
        }
        // Everything ostmig wrote holds customer data: owner-only, whatever the umask.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode & 0o077,
            0,
            "{} is {mode:o}, not owner-only",
            f.display()
        );
        let bytes = std::fs::read(f).unwrap();
        for secret in [PASSWORD, TOKEN] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds a secret",
                f.display()
            );
        }
    }
    // The refused URL-with-password attempt says why, without echoing it.
    let (_, _, stderr) = outputs
        .iter()
        .find(|(args, _, _)| args.contains("ostmig_canary:"))
        .expect("the snapshot with a password in its URL ran");
    assert!(String::from_utf8_lossy(stderr).contains("password"));
}
