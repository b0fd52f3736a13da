//! `ostmig demo`: a whole migration on one machine with no setup — a generated osTicket help
//! desk, a local Intercom, and `ostmig run --apply` between them.
//!
//! The help desk lives in a private MariaDB when its server programs are installed: the
//! installed `mariadbd`, started on a fresh data directory inside --dir, listening on loopback
//! only, and stopped when the demo ends (also on error). Without them it is written straight
//! into the staging file (`ostmig fixture --db`), which every later stage reads the same way. The
//! simulator is this binary's `ostmig sim`, seeded with admins and teams that match the help
//! desk's agents and departments, as a customer provisions them before a migration.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::error::Hinted;
use crate::settings;
use crate::{Outcome, warehouse};

/// The demo's database and login. The server runs with grant tables off, on loopback, for
/// the demo's lifetime only: any password works, so this one is not a secret.
const DATABASE: &str = "osticket";
const DEMO_PASSWORD: &str = "demo";
const DEMO_TOKEN: &str = "demo-token-not-a-secret";

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    /// SIGTERM first (the simulator saves its state, MariaDB shuts down cleanly), SIGKILL
    /// after 10 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain(["/usr/sbin".into(), "/usr/local/sbin".into()]);
    for dir in dirs {
        for name in names {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Whether MariaDB's server programs are installed (the demo then goes through a real one).
fn have_mariadb() -> bool {
    find(&["mariadbd", "mysqld"]).is_some()
        && find(&["mariadb-install-db", "mysql_install_db"]).is_some()
        && find(&["mariadb", "mysql"]).is_some()
}

fn missing_mariadb() -> anyhow::Error {
    Hinted::new(
        "the demo needs MariaDB's server programs (mariadbd, mariadb-install-db, mariadb), and they are not installed",
        "install them (Debian/Ubuntu: apt install mariadb-server; macOS: brew install mariadb); the demo starts its own private server, nothing system-wide",
    )
    .into()
}

/// A private MariaDB server on a fresh data directory, on loopback, with grant tables off;
/// stopped when dropped. The demo's source, and the one the fault tests crash and restart
/// mid-snapshot (they cannot do that to the shared test server).
pub struct PrivateMariadb {
    server: PathBuf,
    dir: PathBuf,
    user: Vec<String>,
    pub port: u16,
    pub socket: PathBuf,
    running: Option<Running>,
}

impl PrivateMariadb {
    /// Initialise a data directory in `dir` (removing what was there) and start the server.
    pub fn start(dir: &Path) -> anyhow::Result<Self> {
        let server = find(&["mariadbd", "mysqld"]).ok_or_else(missing_mariadb)?;
        let install =
            find(&["mariadb-install-db", "mysql_install_db"]).ok_or_else(missing_mariadb)?;
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir.join("data"))?;
        let root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let user: Vec<String> = if root {
            vec!["--user=root".into()]
        } else {
            vec![]
        };
        let status = Command::new(&install)
            .arg("--no-defaults")
            .args(&user)
            .arg(format!("--datadir={}", dir.join("data").display()))
            .stdout(std::fs::File::create(dir.join("install.log"))?)
            .stderr(std::fs::File::create(dir.join("install.err"))?)
            .status()
            .with_context(|| format!("running {}", install.display()))?;
        if !status.success() {
            return Err(Hinted::new(
                format!("{} failed", install.display()),
                format!("see {}", dir.join("install.err").display()),
            )
            .into());
        }
        let mut db = PrivateMariadb {
            server,
            dir: dir.to_path_buf(),
            user,
            port: free_port()?,
            socket: dir.join("mysqld.sock"),
            running: None,
        };
        db.serve()?;
        Ok(db)
    }

    /// Start the server on the data directory and port it already has; wait until it listens.
    pub fn serve(&mut self) -> anyhow::Result<()> {
        let dir = &self.dir;
        let child = Command::new(&self.server)
            .arg("--no-defaults")
            .args(&self.user)
            .arg(format!("--datadir={}", dir.join("data").display()))
            .arg(format!("--socket={}", self.socket.display()))
            .arg(format!("--port={}", self.port))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-grant-tables",
                "--character-set-server=utf8mb3",
                "--collation-server=utf8mb3_general_ci",
                "--max-allowed-packet=64M",
            ])
            .arg(format!("--log-error={}", dir.join("error.log").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", self.server.display()))?;
        self.running = Some(Running(child));
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if started.elapsed() > Duration::from_secs(60) {
                return Err(Hinted::new(
                    "the private MariaDB did not start within 60 s",
                    format!("see {}", dir.join("error.log").display()),
                )
                .into());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(())
    }

    /// SIGKILL the server, as a power cut would; InnoDB recovers at the next `serve`.
    pub fn crash(&mut self) {
        if let Some(mut r) = self.running.take() {
            let _ = r.0.kill();
            let _ = r.0.wait();
            std::mem::forget(r);
        }
    }

    /// Create database `osticket` and pour a generated help desk of `tickets` into it.
    pub fn load_fixture(&self, tickets: u32) -> anyhow::Result<()> {
        load_fixture(&self.socket, tickets)
    }

    /// `mysql://demo@127.0.0.1:PORT/osticket` (any password is accepted).
    pub fn url(&self) -> String {
        format!("mysql://demo@127.0.0.1:{}/{DATABASE}", self.port)
    }
}

/// Create the database and pour the generated help desk into it with the `mariadb` client.
fn load_fixture(socket: &Path, tickets: u32) -> anyhow::Result<()> {
    let client = find(&["mariadb", "mysql"]).ok_or_else(missing_mariadb)?;
    let run = |sql: Option<&str>, db: Option<&str>| -> anyhow::Result<Child> {
        let mut cmd = Command::new(&client);
        cmd.arg("--protocol=socket")
            .arg(format!("--socket={}", socket.display()))
            .args(["-u", "root"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(sql) = sql {
            cmd.args(["-e", sql]);
        }
        if let Some(db) = db {
            cmd.arg(db);
        }
        Ok(cmd.spawn()?)
    };
    let out = run(
        Some(&format!("CREATE DATABASE {DATABASE} CHARACTER SET utf8mb3")),
        None,
    )?
    .wait_with_output()?;
    anyhow::ensure!(
        out.status.success(),
        "creating the demo database: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut child = run(None, Some(DATABASE))?;
    let stdin = child.stdin.take().context("mariadb client stdin")?;
    crate::fixture::generate(
        &crate::fixture::Spec {
            tickets,
            seed: 1,
            prefix: "ost_".into(),
            large_attachment_bytes: 11 * 1024 * 1024,
        },
        std::io::BufWriter::with_capacity(1 << 20, stdin),
    )?;
    let out = child.wait_with_output()?;
    anyhow::ensure!(
        out.status.success(),
        "loading the generated help desk: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// The Intercom workspace a customer would have provisioned: an admin per agent with an
/// e-mail address, a team per department (named by its path) with its agents.
fn write_seed(db: &Path, file: &Path) -> anyhow::Result<String> {
    let duck = warehouse::open(db)?;
    let mut stmt = duck.prepare(
        "SELECT trim(concat_ws(' ', trim(firstname), trim(lastname))), lower(trim(email))
         FROM raw.staff WHERE nullif(trim(email), '') IS NOT NULL ORDER BY staff_id",
    )?;
    let admins: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut stmt = duck.prepare(
        "SELECT d.full_name, coalesce(string_agg(lower(trim(s.email)), ' ' ORDER BY s.staff_id)
                FILTER (WHERE nullif(trim(s.email), '') IS NOT NULL), '')
         FROM staging.stg_departments d LEFT JOIN raw.staff s ON s.dept_id = d.dept_id
         GROUP BY d.full_name ORDER BY d.full_name",
    )?;
    let teams: Vec<(String, Vec<String>)> = stmt
        .query_map([], |r| {
            let emails: String = r.get(1)?;
            Ok((
                r.get(0)?,
                emails.split_whitespace().map(String::from).collect(),
            ))
        })?
        .collect::<Result<_, _>>()?;
    let seed = serde_json::json!({
        "admins": admins.iter().map(|(n, e)| serde_json::json!({"name": n, "email": e})).collect::<Vec<_>>(),
        "teams": teams.iter().map(|(n, e)| serde_json::json!({"name": n, "admin_emails": e})).collect::<Vec<_>>(),
    });
    std::fs::write(file, serde_json::to_vec_pretty(&seed)?)?;
    admins
        .first()
        .map(|a| a.1.clone())
        .context("the generated help desk has no agent with an e-mail address")
}

/// The help desk into the staging file: snapshotted from a private MariaDB loaded with the
/// generated help desk, or (no MariaDB here, or --no-mariadb) generated straight into raw.*.
fn stage_source(
    args: &crate::cli::DemoArgs,
    dir: &Path,
    d: &str,
) -> anyhow::Result<Option<PrivateMariadb>> {
    let tickets = args.tickets.to_string();
    Ok(if args.mariadb || (!args.no_mariadb && have_mariadb()) {
        eprintln!(
            "── a private MariaDB with a generated osTicket help desk ({} tickets) ──",
            args.tickets
        );
        let mariadb = PrivateMariadb::start(&dir.join("mariadb"))?;
        mariadb.load_fixture(args.tickets)?;
        stage(&["snapshot", "--source", &mariadb.url(), "--db", d], &[])?;
        Some(mariadb)
    } else {
        // The same help desk, written into raw.* as a snapshot of it would be: every later
        // stage runs unchanged.
        let why = if args.no_mariadb {
            "--no-mariadb"
        } else {
            "no MariaDB server installed"
        };
        eprintln!(
            "── {why}: the generated help desk ({} tickets) goes straight into the staging file ──",
            args.tickets
        );
        eprintln!(
            "   (for the real snapshot path install MariaDB's server, apt install mariadb-server, and pass --mariadb)"
        );
        stage(
            &[
                "fixture",
                "--tickets",
                &tickets,
                "--seed",
                "1",
                "--large-attachment-bytes",
                "11534336",
                "--db",
                d,
            ],
            &[],
        )?;
        None
    })
}

/// The sign-off a customer gives before anything moves: the demo confirms the proposal as is.
fn sign_off(d: &str, mapping: &Path) -> anyhow::Result<()> {
    let mapping = mapping.to_string_lossy().to_string();
    // The proposal's own advice ("review it, then confirm") is what the next line does.
    quiet_stage(&["map", "propose", "--db", d, "--file", &mapping])?;
    stage(
        &[
            "map",
            "confirm",
            "--db",
            d,
            "--file",
            &mapping,
            "--by",
            "ostmig demo",
        ],
        &[],
    )?;
    Ok(())
}

/// What a migration service does on the customer's sandbox before the load: the schema phase
/// (the probe's ticket needs the Customer ticket type), then `ostmig probe --apply`, whose
/// answers the run's transform follows (a customer's files on their own reply, the request size).
fn probe_workspace(d: &str, config: &Path, url: &str) -> anyhow::Result<()> {
    let config = config.to_string_lossy().to_string();
    eprintln!(
        "\n── the schema phase, then ostmig probe: the load follows its answers (probe.result) ──"
    );
    // Each step's own table is for a person running it by hand; here one line says it all.
    let steps: [&[&str]; 5] = [
        &["intercom", "pull", "--db", d, "--intercom-url", url],
        // What a person checks on a real workspace's plan; the local Intercom shows customers
        // nothing.
        &[
            "probe",
            "--db",
            d,
            "--answer",
            "notes_hidden_from_customers=yes",
            "--by",
            "ostmig demo (the local Intercom shows customers no notes)",
        ],
        &["transform", "--db", d, "--config", &config],
        &[
            "load",
            "--db",
            d,
            "--intercom-url",
            url,
            "--phase",
            "schema",
            "--apply",
        ],
        &[
            "probe",
            "--db",
            d,
            "--intercom-url",
            url,
            "--apply",
            "--max-request-mb",
            "8",
            "--json",
        ],
    ];
    for args in steps {
        quiet_stage(args)?;
    }
    Ok(())
}

/// As [`stage`], with what the command prints dropped unless it fails.
fn quiet_stage(args: &[&str]) -> anyhow::Result<()> {
    let out = ostmig(args)?
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()?;
    if out.status.success() {
        return Ok(());
    }
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    Err(failed(args, out.status.code().unwrap_or(2)))
}

/// The workbooks (with Markdown) and every report table as CSV; how many tables.
fn write_reports(db: &Path, d: &str, reports: &Path) -> anyhow::Result<usize> {
    eprintln!("\n── reports ──");
    stage(
        &[
            "report",
            "--db",
            d,
            "--out",
            &reports.to_string_lossy(),
            "--markdown",
        ],
        &[],
    )?;
    crate::report::export_csv(db, &reports.join("csv"))
}

/// Run `ostmig ARGS` with the demo's credentials; an exit code outside `ok` is an error.
fn stage(args: &[&str], ok: &[i32]) -> anyhow::Result<i32> {
    let code = ostmig(args)?.status()?.code().unwrap_or(2);
    if code == 0 || ok.contains(&code) {
        return Ok(code);
    }
    Err(failed(args, code))
}

/// `ostmig ARGS` as the demo runs each stage: with its credentials in the environment.
fn ostmig(args: &[&str]) -> anyhow::Result<Command> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(args)
        .env(settings::ENV_MYSQL_PASSWORD, DEMO_PASSWORD)
        .env(settings::ENV_INTERCOM_TOKEN, DEMO_TOKEN)
        .env_remove(settings::ENV_DB)
        .env_remove(settings::ENV_INTERCOM_URL);
    Ok(cmd)
}

fn failed(args: &[&str], code: i32) -> anyhow::Error {
    Hinted::new(
        format!("`ostmig {}` failed (exit {code})", args[0]),
        "see its message above; the demo's files are kept for a look",
    )
    .into()
}

fn start_sim(seed: &Path, state: &Path) -> anyhow::Result<(Running, String)> {
    let _ = std::fs::remove_file(state);
    let mut child = Command::new(std::env::current_exe()?)
        .args(["sim", "--listen", "127.0.0.1:0", "--seed"])
        .arg(seed)
        .arg("--state")
        .arg(state)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("sim stdout")?).read_line(&mut line)?;
    let running = Running(child);
    let url = crate::sim::url_from_banner(&line)
        .with_context(|| format!("the local Intercom did not start: {line:?}"))?;
    Ok((running, url))
}

pub fn run(args: crate::cli::DemoArgs) -> anyhow::Result<Outcome> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let dir = std::fs::canonicalize(&args.dir)?;
    let db = dir.join("migration.duckdb");
    let _ = std::fs::remove_file(&db);
    let _ = std::fs::remove_file(dir.join("migration.duckdb.wal"));

    // Snapshot, split and a first transform: the local Intercom is seeded from the agents and
    // departments they stage. Each stage runs as its own `ostmig` command, as a user would
    // type it, with the demo's credentials in the environment, never on a command line.
    let d = db.to_string_lossy().to_string();
    let mariadb = stage_source(&args, &dir, &d)?;
    stage(&["split", "--db", &d, "--sample", "50"], &[0, 1])?;
    stage(&["transform", "--db", &d], &[])?;
    let fallback = write_seed(&db, &dir.join("workspace.json"))?;
    let config = dir.join("ostmig.toml");
    let mut f = std::fs::File::create(&config)?;
    writeln!(
        f,
        "# Written by `ostmig demo`: system entries are posted as notes by this admin.\n[admins]\nfallback = \"{fallback}\""
    )?;
    eprintln!("\n── a local Intercom with the agents as admins and the departments as teams ──");
    let (sim, url) = start_sim(
        &dir.join("workspace.json"),
        &dir.join("intercom-state.json"),
    )?;
    eprintln!("listening on {url}");
    sign_off(&d, &dir.join("mapping.toml"))?;
    probe_workspace(&d, &config, &url)?;
    if args.stop_before_load {
        // The run's transform (it follows the probe's answers); the load is the user's.
        quiet_stage(&[
            "transform",
            "--db",
            &d,
            "--config",
            &config.to_string_lossy(),
        ])?;
        drop(sim);
        drop(mariadb);
        eprintln!(
            "\nReady to load, nothing sent yet. In {dir}:\n  ostmig sim --seed workspace.json --state intercom-state.json --listen 127.0.0.1:4010 &\n  {token}=demo ostmig load --db migration.duckdb --intercom-url http://127.0.0.1:4010 --apply\n  ostmig review --db migration.duckdb   (before or after) the sampled threads side by side in a browser",
            dir = dir.display(),
            token = settings::ENV_INTERCOM_TOKEN
        );
        return Ok(Outcome::Ok);
    }
    let code = stage(
        &[
            "run",
            "--skip-snapshot",
            "--apply",
            "--db",
            &d,
            "--intercom-url",
            &url,
            "--config",
            &config.to_string_lossy(),
        ],
        &[0, 1],
    )?;
    let outcome = if code == 0 {
        Outcome::Ok
    } else {
        Outcome::Problems
    };

    let tables = write_reports(&db, &d, &dir.join("reports"))?;
    drop(sim);
    drop(mariadb);
    eprintln!(
        "\nDone. What to look at next, all in {}:\n  reports/reconciliation.xlsx  every record from osTicket to Intercom, accounted for (also .md; beside it the other workbooks, and every report table as CSV in reports/csv: {tables})\n  migration.duckdb             the staging file, every stage as SQL: duckdb {} -c \"select * from reports.rpt_reconciliation\"\n  intercom-state.json          what the local Intercom holds now (ostmig sim --state … serves it again)\n  ostmig review --db migration.duckdb   the sampled threads beside what Intercom holds, in a browser: approve or flag each",
        dir.display(),
        db.display(),
    );
    Ok(outcome)
}
