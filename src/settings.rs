//! Where settings come from: flags, then environment. Secrets (the MySQL password, the
//! Intercom token, the agent password) are read from the environment (or a file it names) only
//! and held in [`Secret`], whose `Debug` and `Display` never show the value, so they cannot leak
//! into logs, errors or the DuckDB file. Every environment variable ostmig reads is named here,
//! once (a test fails on an `OSTMIG_` literal anywhere else in `src/`).
use std::fmt;

use url::Url;

use crate::error::{Hinted, hinted};

/// The source URL (may contain the password).
pub const ENV_SOURCE_URL: &str = "OSTMIG_SOURCE_URL";
/// The MySQL password.
pub const ENV_MYSQL_PASSWORD: &str = "OSTMIG_MYSQL_PASSWORD";
/// The staging file, for `--db`.
pub const ENV_DB: &str = "OSTMIG_DB";
/// The Intercom base URL, for `--intercom-url`.
pub const ENV_INTERCOM_URL: &str = "OSTMIG_INTERCOM_URL";
/// The Intercom access token.
pub const ENV_INTERCOM_TOKEN: &str = "OSTMIG_INTERCOM_TOKEN";
/// A file holding the Intercom access token (read when `OSTMIG_INTERCOM_TOKEN` is unset).
pub const ENV_INTERCOM_TOKEN_FILE: &str = "OSTMIG_INTERCOM_TOKEN_FILE";
/// Seconds to wait for one Intercom answer.
pub const ENV_INTERCOM_TIMEOUT: &str = "OSTMIG_INTERCOM_TIMEOUT";
/// An OpenAPI description to judge requests by instead of the embedded one.
pub const ENV_INTERCOM_SPEC: &str = "OSTMIG_INTERCOM_SPEC";
/// How long Intercom's search may lag behind a create, for `--search-window`.
pub const ENV_SEARCH_WINDOW: &str = "OSTMIG_SEARCH_WINDOW";
/// DuckDB's memory cap.
pub const ENV_DUCKDB_MEMORY: &str = "OSTMIG_DUCKDB_MEMORY";
/// The osTicket agent's password, for `snapshot --pages`.
pub const ENV_AGENT_PASSWORD: &str = "OSTMIG_AGENT_PASSWORD";
/// A PEM file of extra CA certificates to trust (a TLS-inspecting proxy's, an internal CA).
pub const ENV_CA_FILE: &str = "OSTMIG_CA_FILE";
/// The log filter (`tracing`'s syntax, e.g. `ostmig=debug`); warnings only by default.
pub const ENV_LOG: &str = "OSTMIG_LOG";

/// What a user may set, in the order of the README's environment table (a test checks that the
/// README names each).
pub const USER_ENVIRONMENT: &[&str] = &[
    ENV_SOURCE_URL,
    ENV_MYSQL_PASSWORD,
    ENV_DB,
    ENV_INTERCOM_URL,
    ENV_INTERCOM_TOKEN,
    ENV_INTERCOM_TOKEN_FILE,
    ENV_INTERCOM_TIMEOUT,
    ENV_INTERCOM_SPEC,
    ENV_SEARCH_WINDOW,
    ENV_DUCKDB_MEMORY,
    ENV_AGENT_PASSWORD,
    ENV_CA_FILE,
    ENV_LOG,
];

/// Test hooks, not for users. Pause the snapshot's writer forever after this many rows, so a
/// test can SIGKILL a snapshot at a known point mid-way.
pub const ENV_FAULT_PAUSE_AFTER_ROWS: &str = "OSTMIG_FAULT_PAUSE_AFTER_ROWS";
/// Pause the snapshot's reader before it copies this raw table until the file named by
/// `OSTMIG_FAULT_RESUME_FILE` exists, so a test can break the source (restart it, kill the
/// session, drop a table) at a known point mid-snapshot.
pub const ENV_FAULT_PAUSE_BEFORE_TABLE: &str = "OSTMIG_FAULT_PAUSE_BEFORE_TABLE";
pub const ENV_FAULT_RESUME_FILE: &str = "OSTMIG_FAULT_RESUME_FILE";

/// The Intercom access token, from `OSTMIG_INTERCOM_TOKEN` or the file `OSTMIG_INTERCOM_TOKEN_FILE`
/// names (its first token); never from the command line, where every user of the machine can
/// read it.
pub fn intercom_token() -> anyhow::Result<Secret> {
    Ok(intercom_tokens()?.swap_remove(0))
}

/// Every access token given: `OSTMIG_INTERCOM_TOKEN`'s one, or the lines of the file
/// `OSTMIG_INTERCOM_TOKEN_FILE` names — one private app's token per line (blank lines and lines
/// starting with `#` are skipped), all apps of the same workspace. `ostmig load` spreads its
/// requests over them, each app within its own rate limit.
pub fn intercom_tokens() -> anyhow::Result<Vec<Secret>> {
    if let Ok(t) = std::env::var(ENV_INTERCOM_TOKEN)
        && !t.trim().is_empty()
    {
        return Ok(vec![Secret::new(t.trim())]);
    }
    if let Some(file) = std::env::var_os(ENV_INTERCOM_TOKEN_FILE) {
        let text = std::fs::read_to_string(&file).map_err(|e| {
            Hinted::new(
                format!("cannot read {ENV_INTERCOM_TOKEN_FILE}: {e}"),
                "point it at a file holding the access token (several apps' tokens: one per line)",
            )
        })?;
        let mut tokens: Vec<Secret> = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let token = Secret::new(line);
            if !tokens.contains(&token) {
                tokens.push(token);
            }
        }
        if tokens.is_empty() {
            return Err(Hinted::new(
                format!("{ENV_INTERCOM_TOKEN_FILE} names a file with no token in it"),
                "write the access token into it (several apps' tokens: one per line)",
            )
            .into());
        }
        return Ok(tokens);
    }
    Err(Hinted::new(
        "no Intercom access token",
        format!(
            "export {ENV_INTERCOM_TOKEN}=… (or {ENV_INTERCOM_TOKEN_FILE}=path); it is never read from the command line"
        ),
    )
    .into())
}

/// A value that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The only way to read the value: call sites are easy to audit with grep.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The osTicket MySQL/MariaDB database to read.
#[derive(Clone, Debug)]
pub struct Source {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub database: String,
    pub password: Option<Secret>,
}

impl Source {
    /// `mysql://user@host:port/db`: safe to print, log and store.
    pub fn redacted(&self) -> String {
        format!(
            "mysql://{}@{}:{}/{}",
            self.user, self.host, self.port, self.database
        )
    }

    /// Resolve the source from the `--source` flag (`from_flag`) or the environment.
    /// A password in a URL given on the command line is refused: argv is visible to every user
    /// of the machine through `ps`.
    pub fn resolve(
        from_flag: Option<&str>,
        env_url: Option<String>,
        env_password: Option<String>,
    ) -> anyhow::Result<Self> {
        let (raw, from_argv) = match (from_flag, env_url) {
            (Some(flag), _) => (flag.to_string(), true),
            (None, Some(env)) => (env, false),
            (None, None) => {
                return hinted(
                    "no source database given",
                    format!(
                        "pass --source mysql://USER@HOST:PORT/DATABASE or set {ENV_SOURCE_URL}; \
                         put the password in {ENV_MYSQL_PASSWORD}"
                    ),
                );
            }
        };
        let url = match Url::parse(&raw) {
            Ok(url) => url,
            // Never echo `raw`: it may hold a password.
            Err(e) => {
                return hinted(
                    format!("the source URL is not a valid URL ({e})"),
                    "write it as mysql://USER@HOST:PORT/DATABASE",
                );
            }
        };
        if url.scheme() != "mysql" && url.scheme() != "mariadb" {
            return hinted(
                format!("the source URL has scheme '{}'", url.scheme()),
                "write it as mysql://USER@HOST:PORT/DATABASE",
            );
        }
        if from_argv && url.password().is_some() {
            return hinted(
                "the --source URL contains a password, which other users can read from the process list",
                format!(
                    "remove it from the URL and set {ENV_MYSQL_PASSWORD} (or put the whole URL in {ENV_SOURCE_URL})"
                ),
            );
        }
        let host = match url.host_str() {
            Some(h) if !h.is_empty() => h.trim_matches(['[', ']']).to_string(),
            _ => {
                return hinted(
                    "the source URL has no host",
                    "write it as mysql://USER@HOST:PORT/DATABASE",
                );
            }
        };
        let database = url.path().trim_start_matches('/').to_string();
        if database.is_empty() || database.contains('/') {
            return hinted(
                format!("the source URL {} names no database", redact_url(&url)),
                "add the osTicket database name as the path: mysql://USER@HOST:PORT/osticket",
            );
        }
        let user = percent_decode(url.username());
        if user.is_empty() {
            return hinted(
                "the source URL names no user",
                "write it as mysql://USER@HOST:PORT/DATABASE, ideally with a read-only user",
            );
        }
        let password = match env_password {
            Some(p) => Some(Secret::new(p)),
            None => url.password().map(|p| Secret::new(percent_decode(p))),
        };
        Ok(Self {
            host,
            port: url.port().unwrap_or(3306),
            user,
            database: percent_decode(&database),
            password,
        })
    }
}

fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_password(None);
    u.to_string()
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_on_argv_is_refused_without_echoing_it() {
        let err = Source::resolve(Some("mysql://ro:hunter2@db:3306/ost"), None, None).unwrap_err();
        let text = crate::error::render(&err);
        assert!(text.contains("OSTMIG_MYSQL_PASSWORD"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn password_in_env_url_is_accepted_and_redacted() {
        let s = Source::resolve(
            None,
            Some("mysql://ro:p%40ss@db.example:3307/ost".into()),
            None,
        )
        .unwrap();
        assert_eq!(s.password.as_ref().unwrap().expose(), "p@ss");
        assert_eq!(s.redacted(), "mysql://ro@db.example:3307/ost");
        assert!(!format!("{s:?}").contains("p@ss"));
    }

    #[test]
    fn env_password_wins_and_default_port_applies() {
        let s = Source::resolve(Some("mysql://ro@db/ost"), None, Some("x".into())).unwrap();
        assert_eq!(s.port, 3306);
        assert_eq!(s.password.unwrap().expose(), "x");
    }

    /// Every `OSTMIG_` name is a constant above: a literal elsewhere (a lookup, a hint) is a
    /// setting with two spellings waiting to drift apart.
    #[test]
    fn every_environment_name_is_spelled_here_only() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stray = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("settings.rs")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (n, line) in text.lines().enumerate() {
                        // Doc comments may name a variable (they become --help); code may not.
                        if line.contains("OSTMIG_") && !line.trim_start().starts_with("//") {
                            stray.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                        }
                    }
                }
            }
        }
        assert!(
            stray.is_empty(),
            "use a settings::ENV_* constant:\n{}",
            stray.join("\n")
        );
    }

    #[test]
    fn the_readme_names_every_variable_a_user_may_set() {
        let readme = include_str!("../README.md");
        for name in USER_ENVIRONMENT {
            assert!(
                readme.contains(&format!("`{name}`")),
                "README does not name `{name}`"
            );
        }
    }

    #[test]
    fn missing_database_is_explained() {
        let err = Source::resolve(Some("mysql://ro@db:3306"), None, None).unwrap_err();
        assert!(crate::error::render(&err).contains("names no database"));
    }
}
