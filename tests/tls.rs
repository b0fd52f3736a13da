//! TLS towards Intercom (issue 9): certificates are always checked, an untrusted one stops the
//! command at once with what to do, a CA given in `OSTMIG_CA_FILE` is trusted, and the token is
//! never sent in clear to anything but this machine. The server is `openssl s_server` over
//! loopback with a certificate made by a throw-away CA.
mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::ostmig;

const TOKEN: &str = "tls-test-token";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An HTTPS server for 127.0.0.1 whose certificate is signed by `ca.pem` in `dir`, serving the
/// files of `dir` (`GET /admins` answers with the file `admins`). Killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn https_server(dir: &Path) -> Server {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=ostmig test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
        ],
    );
    std::fs::write(dir.join("admins"), r#"{"type":"admin.list","admins":[{"type":"admin","id":"7","name":"Ada Admin","email":"ada@acme-helpdesk.example","has_inbox_seat":true,"away_mode_enabled":false}]}"#).unwrap();
    std::fs::write(dir.join("teams"), r#"{"type":"team.list","teams":[]}"#).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("openssl")
        .args(["s_server", "-quiet", "-WWW", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-cert", "leaf.pem", "-key", "leaf.key"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "s_server did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child,
        url: format!("https://127.0.0.1:{port}"),
    }
}

fn pull(db: &Path, url: &str, extra_env: &[(&str, &str)]) -> std::process::Output {
    let mut env = vec![("OSTMIG_INTERCOM_TOKEN", TOKEN)];
    env.extend_from_slice(extra_env);
    ostmig(
        &[
            "intercom",
            "pull",
            "--db",
            db.to_str().unwrap(),
            "--intercom-url",
            url,
        ],
        &env,
    )
}

#[test]
fn an_untrusted_certificate_stops_at_once_and_a_given_ca_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let server = https_server(dir.path());
    let db = dir.path().join("m.duckdb");

    let started = Instant::now();
    let refused = pull(&db, &server.url, &[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("certificate")
            && stderr.contains("does not trust")
            && stderr.contains("OSTMIG_CA_FILE"),
        "{stderr}"
    );
    assert!(!stderr.contains(TOKEN));
    // Not retried ten times with backoff: a certificate does not become trusted by waiting.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );

    let ca = dir.path().join("ca.pem");
    let trusted = pull(
        &db,
        &server.url,
        &[("OSTMIG_CA_FILE", ca.to_str().unwrap())],
    );
    assert!(
        trusted.status.success(),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    let conn = common::duck(&db);
    assert_eq!(
        common::duck_str(&conn, "SELECT email FROM raw_intercom.admin").as_deref(),
        Some("ada@acme-helpdesk.example")
    );

    // A file that holds no certificate is an error naming the variable, not a silent default.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let bad = pull(
        &db,
        &server.url,
        &[("OSTMIG_CA_FILE", junk.to_str().unwrap())],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot use OSTMIG_CA_FILE"));
}

#[test]
fn the_token_never_travels_in_clear_off_this_machine() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.duckdb");
    // No connection is attempted: the URL is refused before any request (example.com is
    // reserved; nothing would answer anyway).
    for url in ["http://intercom.example.com", "ftp://127.0.0.1:21"] {
        let out = pull(&db, url, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
        assert!(
            stderr.contains("without TLS") && stderr.contains("hint: use https://"),
            "{stderr}"
        );
    }
    // No command offers a switch to skip certificate checks.
    for cmd in [
        &["load", "--help"][..],
        &["intercom", "pull", "--help"],
        &["verify", "--help"],
    ] {
        let help = String::from_utf8_lossy(&ostmig(cmd, &[]).stdout).to_lowercase();
        assert!(
            !help.contains("insecure") && !help.contains("no-verify"),
            "{help}"
        );
    }
}
