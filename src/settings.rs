//! Where settings come from: flags, then environment. Secrets (the MySQL password, later the
//! Intercom token) are read from the environment only and held in [`Secret`], whose `Debug` and
//! `Display` never show the value, so they cannot leak into logs, errors or the DuckDB file.
use std::fmt;

use url::Url;

use crate::error::hinted;

/// Environment variable holding the source URL (may contain the password).
pub const ENV_SOURCE_URL: &str = "OSTMIG_SOURCE_URL";
/// Environment variable holding the MySQL password.
pub const ENV_MYSQL_PASSWORD: &str = "OSTMIG_MYSQL_PASSWORD";

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

    #[test]
    fn missing_database_is_explained() {
        let err = Source::resolve(Some("mysql://ro@db:3306"), None, None).unwrap_err();
        assert!(crate::error::render(&err).contains("names no database"));
    }
}
