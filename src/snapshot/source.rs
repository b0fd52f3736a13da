//! The osTicket MySQL/MariaDB side of a snapshot: connecting (with errors a user can act on),
//! the catalog from `information_schema`, table-prefix detection, grants and time zone.
//! Nothing here writes to the source: the only statements sent are SELECT, SHOW, SET SESSION
//! and the read-only transaction; the session itself is read-only
//! (`tests/snapshot.rs::the_source_connection_cannot_write`).
use std::time::Duration;

use anyhow::Context;
use chrono::FixedOffset;
use futures::TryStreamExt;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlDatabaseError, MySqlSslMode};
use sqlx::{AssertSqlSafe, ConnectOptions, Executor, Row};

use crate::error::{Hinted, hinted};
use crate::settings::{ENV_MYSQL_PASSWORD, Source};
use crate::snapshot::typemap::{Kind, kind_for};

/// Connect as utf8mb4 with statement logging off (logged SQL could carry data).
pub async fn connect(src: &Source) -> anyhow::Result<MySqlConnection> {
    let mut opts = MySqlConnectOptions::new()
        .host(&src.host)
        .port(src.port)
        .username(&src.user)
        .database(&src.database)
        .charset("utf8mb4")
        .ssl_mode(MySqlSslMode::Preferred)
        .disable_statement_logging();
    if let Some(pw) = &src.password {
        opts = opts.password(pw.expose());
    }
    let attempt = tokio::time::timeout(Duration::from_secs(15), opts.connect()).await;
    let mut conn = match attempt {
        Err(_) => {
            return hinted(
                format!(
                    "cannot reach MySQL at {}:{} (no answer within 15 s)",
                    src.host, src.port
                ),
                "check the host and port, and that a firewall lets this machine in",
            );
        }
        Ok(Err(e)) => return Err(explain(e, src).into()),
        Ok(Ok(conn)) => conn,
    };
    // TIMESTAMP columns print in the session zone: pin it so they arrive as UTC. The long
    // net_write_timeout keeps the server from dropping a stream while DuckDB is busy writing.
    conn.execute("SET SESSION time_zone = '+00:00', SESSION net_write_timeout = 3600, SESSION net_read_timeout = 3600")
        .await
        .context("setting up the session")?;
    // Read-only for the whole session, not just the snapshot's transaction: even an account
    // with write grants cannot change the help desk through this connection.
    conn.execute("SET SESSION TRANSACTION READ ONLY")
        .await
        .context("making the session read-only")?;
    Ok(conn)
}

/// Turn a driver error into one line that says what to do. Never includes the password.
pub fn explain(e: sqlx::Error, src: &Source) -> Hinted {
    let target = format!("{}:{}", src.host, src.port);
    match &e {
        sqlx::Error::Database(db) => {
            let number = db
                .try_downcast_ref::<MySqlDatabaseError>()
                .map(|m| m.number())
                .unwrap_or(0);
            match number {
                1045 => Hinted::new(
                    format!(
                        "MySQL at {target} refused user '{}': wrong password or user",
                        src.user
                    ),
                    format!(
                        "set the password in {ENV_MYSQL_PASSWORD} (not on the command line) and check the user name"
                    ),
                ),
                1044 | 1049 => Hinted::new(
                    format!(
                        "user '{}' cannot open database '{}' on {target} ({})",
                        src.user,
                        src.database,
                        db.message()
                    ),
                    format!(
                        "check the database name, then GRANT SELECT, SHOW VIEW ON `{}`.* TO '{}'@'%'",
                        src.database, src.user
                    ),
                ),
                1142 | 1143 => Hinted::new(
                    format!(
                        "user '{}' lacks a privilege on {target}: {}",
                        src.user,
                        db.message()
                    ),
                    format!(
                        "GRANT SELECT ON `{}`.* TO '{}'@'%' (read-only is enough)",
                        src.database, src.user
                    ),
                ),
                _ => Hinted::new(
                    format!(
                        "MySQL at {target} returned error {number}: {}",
                        db.message()
                    ),
                    "fix the cause named by the server, then retry",
                ),
            }
        }
        sqlx::Error::Io(io) => Hinted::new(
            format!("cannot reach MySQL at {target}: {io}"),
            "check the host and port, and that the server is running and listens on that address",
        ),
        sqlx::Error::Tls(t) => Hinted::new(
            format!("TLS with MySQL at {target} failed: {t}"),
            "check the server's certificate, or connect over a trusted network",
        ),
        other => Hinted::new(
            format!("talking to MySQL at {target} failed: {other}"),
            "check that the server is MySQL 5.7+/MariaDB 10.3+ and retry",
        ),
    }
}

/// An error while a table streams, after the consistent snapshot began: the server went away
/// (restart, crash, a killed connection, a network cut) or the table changed under the read.
/// The staging file is rolled back by the caller, so every hint can say the previous snapshot
/// is unchanged.
pub fn explain_mid_copy(e: sqlx::Error, src: &Source, table: &str, rows: i64) -> Hinted {
    let target = format!("{}:{}", src.host, src.port);
    let number = match &e {
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<MySqlDatabaseError>()
            .map(|m| m.number())
            .unwrap_or(0),
        _ => 0,
    };
    let kept = "nothing was written: the previous snapshot in the staging file is unchanged";
    let lost = |why: String| {
        Hinted::new(
            format!(
                "lost the connection to MySQL at {target} while copying {table} after {rows} rows ({why}); {kept}"
            ),
            "check that the server is up (it may have restarted or killed the session, see its error log) and run the snapshot again",
        )
    };
    match (&e, number) {
        // ER_NO_SUCH_TABLE: dropped or renamed between the catalog read and its turn.
        (sqlx::Error::Database(db), 1146) => Hinted::new(
            format!(
                "table {table} disappeared from {target} during the snapshot ({}); {kept}",
                db.message()
            ),
            "someone dropped or renamed it while ostmig read (an osTicket upgrade?): run the snapshot again once the schema is stable",
        ),
        // ER_TABLE_DEF_CHANGED: altered after the snapshot's transaction started.
        (sqlx::Error::Database(db), 1412) => Hinted::new(
            format!(
                "table {table} was altered on {target} during the snapshot ({}); {kept}",
                db.message()
            ),
            "run the snapshot again once the schema change (an osTicket upgrade?) has finished",
        ),
        // Server shutdown, connection killed, query interrupted, server gone / lost.
        (sqlx::Error::Database(db), 1053 | 1317 | 1927 | 2006 | 2013) => {
            lost(db.message().to_string())
        }
        (sqlx::Error::Io(io), _) => lost(io.to_string()),
        (sqlx::Error::Protocol(p), _) => lost(p.clone()),
        _ => {
            let h = explain(e, src);
            Hinted::new(
                format!("copying {table} after {rows} rows: {}; {kept}", h.message),
                h.hint,
            )
        }
    }
}

/// Read a column of a text-protocol row as a string (NULL → None).
pub fn text(row: &sqlx::mysql::MySqlRow, i: usize) -> Option<String> {
    row.try_get_unchecked::<Option<&[u8]>, _>(i)
        .ok()
        .flatten()
        .map(|b| String::from_utf8_lossy(b).into_owned())
}

/// Run a text-protocol query and collect every row as strings.
pub async fn rows(
    conn: &mut MySqlConnection,
    sql: &str,
) -> anyhow::Result<Vec<Vec<Option<String>>>> {
    let mut out = Vec::new();
    let mut stream = sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).fetch(&mut *conn);
    while let Some(row) = stream.try_next().await? {
        out.push((0..row.len()).map(|i| text(&row, i)).collect());
    }
    Ok(out)
}

#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub mysql_type: String,
    pub character_set: Option<String>,
    pub kind: Kind,
    pub primary_key: bool,
}

#[derive(Clone, Debug)]
pub struct Table {
    /// Name in MySQL, with prefix.
    pub source: String,
    /// Name in DuckDB's `raw` schema: prefix removed.
    pub raw: String,
    pub engine: Option<String>,
    pub source_bytes: Option<i64>,
    /// InnoDB's estimate: only for progress bars before the exact count arrives.
    pub estimated_rows: i64,
    pub columns: Vec<Column>,
}

/// Every base table of the database, with its columns, from `information_schema`.
pub async fn catalog(conn: &mut MySqlConnection) -> anyhow::Result<Vec<Table>> {
    let tables = rows(
        conn,
        "SELECT TABLE_NAME, ENGINE, COALESCE(DATA_LENGTH,0) + COALESCE(INDEX_LENGTH,0),
                COALESCE(TABLE_ROWS, 0)
         FROM information_schema.TABLES
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    )
    .await
    .context("listing tables from information_schema")?;
    let columns = rows(
        conn,
        "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, COLUMN_KEY
         FROM information_schema.COLUMNS
         WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .await
    .context("listing columns from information_schema")?;
    let mut out: Vec<Table> = tables
        .into_iter()
        .map(|r| Table {
            source: r[0].clone().unwrap_or_default(),
            raw: String::new(),
            engine: r[1].clone(),
            source_bytes: r[2].as_deref().and_then(|b| b.parse().ok()),
            estimated_rows: r[3].as_deref().and_then(|b| b.parse().ok()).unwrap_or(0),
            columns: Vec::new(),
        })
        .collect();
    for c in columns {
        let table = c[0].clone().unwrap_or_default();
        let Some(t) = out.iter_mut().find(|t| t.source == table) else {
            continue; // a view
        };
        let data_type = c[2].clone().unwrap_or_default();
        let column_type = c[3].clone().unwrap_or_default();
        let charset = c[4].clone();
        t.columns.push(Column {
            name: c[1].clone().unwrap_or_default(),
            kind: kind_for(&data_type, &column_type, charset.as_deref()),
            mysql_type: column_type,
            character_set: charset,
            primary_key: c[5].as_deref() == Some("PRI"),
        });
    }
    Ok(out)
}

pub fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `SELECT col, … FROM table`; columns named so the order is ours, not the server's.
pub fn select_all(table: &Table) -> String {
    let cols: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
    format!("SELECT {} FROM {}", cols.join(", "), quote(&table.source))
}

pub fn count_rows(table: &Table) -> String {
    format!("SELECT COUNT(*) FROM {}", quote(&table.source))
}

/// The prefix is whatever precedes `config` in the table that holds
/// `config(core, schema_signature)`; its value is returned too.
pub async fn detect_prefix(
    conn: &mut MySqlConnection,
    catalog: &[Table],
    wanted: Option<&str>,
    database: &str,
) -> anyhow::Result<(String, Option<String>)> {
    let mut found = Vec::new();
    for t in catalog.iter().filter(|t| t.source.ends_with("config")) {
        let has = |n: &str| t.columns.iter().any(|c| c.name == n);
        if !(has("namespace") && has("key") && has("value")) {
            continue;
        }
        let sql = format!(
            "SELECT value FROM {} WHERE namespace = 'core' AND `key` = 'schema_signature'",
            quote(&t.source)
        );
        let sig = rows(conn, &sql)
            .await
            .map_err(|e| match e.downcast::<sqlx::Error>() {
                Ok(sqlx_err) => anyhow::Error::from(Hinted::new(
                    format!("cannot read {}: {sqlx_err}", t.source),
                    format!("GRANT SELECT ON `{database}`.* to the snapshot user"),
                )),
                Err(other) => other,
            })?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten());
        if let Some(sig) = sig {
            found.push((t.source.trim_end_matches("config").to_string(), Some(sig)));
        }
    }
    let names: Vec<String> = found.iter().map(|(p, _)| format!("'{p}'")).collect();
    match wanted {
        Some(p) => found.into_iter().find(|(f, _)| f == p).map(Ok).unwrap_or_else(|| {
            hinted(
                format!("database '{database}' has no osTicket tables with prefix '{p}' (found: {})", if names.is_empty() { "none".into() } else { names.join(", ") }),
                "pass the prefix of TABLE_PREFIX in ost-config.php, or leave --prefix out to detect it",
            )
        }),
        None => match found.len() {
            1 => Ok(found.remove(0)),
            0 => hinted(
                format!("database '{database}' has no osTicket config table with a schema_signature"),
                "check that --source names the osTicket database (the one with the ost_config table)",
            ),
            _ => hinted(
                format!("database '{database}' holds several osTicket installs (prefixes {})", names.join(", ")),
                "choose one with --prefix",
            ),
        },
    }
}

/// Privileges beyond reading, as listed by `SHOW GRANTS`, that apply to this database.
pub async fn write_grants(conn: &mut MySqlConnection, database: &str) -> Vec<String> {
    let Ok(grants) = rows(conn, "SHOW GRANTS").await else {
        return Vec::new();
    };
    const WRITES: &[&str] = &[
        "ALL PRIVILEGES",
        "INSERT",
        "UPDATE",
        "DELETE",
        "DROP",
        "ALTER",
        "CREATE",
        "INDEX",
    ];
    let mut out = Vec::new();
    for g in grants
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
    {
        let Some((privs, rest)) = g.strip_prefix("GRANT ").and_then(|s| s.split_once(" ON "))
        else {
            continue;
        };
        // Grants name a database by a LIKE pattern (`ostmig\_%`.*), or every database (*.*).
        let on_this = rest.starts_with("*.*")
            || rest
                .strip_prefix('`')
                .and_then(|r| r.split_once("`."))
                .is_some_and(|(pattern, _)| grant_pattern_matches(pattern, database));
        if on_this
            && privs
                .split(',')
                .any(|p| WRITES.iter().any(|w| p.trim().starts_with(w)))
        {
            out.push(privs.to_string());
        }
    }
    out
}

/// Whether a grant's database pattern (MySQL LIKE syntax: `%`, `_`, `\` escapes) names `database`.
fn grant_pattern_matches(pattern: &str, database: &str) -> bool {
    let mut re = String::from("^");
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    re.push_str(&regex::escape(&n.to_string()));
                }
            }
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::RegexBuilder::new(&re)
        .case_insensitive(true)
        .build()
        .is_ok_and(|r| r.is_match(database))
}

/// The zone osTicket's DATETIME values were written in.
#[derive(Clone, Debug)]
pub enum Zone {
    Named(chrono_tz::Tz),
    Fixed(FixedOffset),
}

impl Zone {
    pub fn name(&self) -> String {
        match self {
            Zone::Named(tz) => tz.name().to_string(),
            Zone::Fixed(off) => off.to_string(),
        }
    }
    pub fn is_utc(&self) -> bool {
        match self {
            Zone::Named(tz) => matches!(
                tz.name(),
                "UTC" | "Etc/UTC" | "Etc/GMT" | "GMT" | "Universal" | "Zulu"
            ),
            Zone::Fixed(off) => off.local_minus_utc() == 0,
        }
    }
}

/// `--source-timezone NAME`, or an error that says how to write one.
pub fn zone_arg(name: &str) -> anyhow::Result<Zone> {
    parse_zone(name).ok_or_else(|| {
        Hinted::new(
            format!("unknown time zone '{name}'"),
            "use an IANA name such as Europe/Berlin or an offset such as +02:00",
        )
        .into()
    })
}

pub fn parse_zone(name: &str) -> Option<Zone> {
    let name = name.trim();
    if let Ok(tz) = name.parse::<chrono_tz::Tz>() {
        return Some(Zone::Named(tz));
    }
    // "+02:00", "-05:00" as MySQL prints offsets
    let (sign, rest) = match name.as_bytes().first()? {
        b'+' => (1, &name[1..]),
        b'-' => (-1, &name[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let secs = sign * (h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60);
    FixedOffset::east_opt(secs).map(Zone::Fixed)
}

/// Find the zone, most specific source first: osTicket's own `db_timezone`, the server's
/// configured zone, its system zone, and last the current offset between NOW() and UTC.
pub async fn time_zone(
    conn: &mut MySqlConnection,
    config_table: &str,
) -> anyhow::Result<(Zone, String)> {
    let sql = format!(
        "SELECT value FROM {} WHERE namespace = 'core' AND `key` = 'db_timezone'",
        quote(config_table)
    );
    if let Some(v) = rows(conn, &sql)
        .await?
        .into_iter()
        .next()
        .and_then(|r| r[0].clone())
        && let Some(z) = parse_zone(&v)
    {
        return Ok((z, "config db_timezone".into()));
    }
    let r = rows(
        conn,
        "SELECT @@global.time_zone, @@system_time_zone, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), CONVERT_TZ(UTC_TIMESTAMP(), '+00:00', @@global.time_zone))",
    )
    .await?;
    let r = r.into_iter().next().unwrap_or_default();
    if let Some(g) = r.first().cloned().flatten()
        && g != "SYSTEM"
        && let Some(z) = parse_zone(&g)
    {
        return Ok((z, "server @@global.time_zone".into()));
    }
    if let Some(s) = r.get(1).cloned().flatten()
        && let Some(z) = parse_zone(&s)
    {
        return Ok((z, "server @@system_time_zone".into()));
    }
    let offset: i32 = r
        .get(2)
        .cloned()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok((
        Zone::Fixed(FixedOffset::east_opt(offset).unwrap_or(FixedOffset::east_opt(0).unwrap())),
        "server offset from UTC now".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::grant_pattern_matches;

    #[test]
    fn grant_patterns_follow_like_syntax() {
        assert!(grant_pattern_matches(r"ostmig\_%", "ostmig_fixture"));
        assert!(!grant_pattern_matches(r"ostmig\_%", "ostmigXfixture"));
        assert!(grant_pattern_matches("osticket", "osticket"));
        assert!(!grant_pattern_matches("osticket", "osticket2"));
        assert!(grant_pattern_matches("help_desk", "helpXdesk"));
    }
}
