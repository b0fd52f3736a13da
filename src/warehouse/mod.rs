//! The DuckDB staging file: one per migration. Opens it, applies the numbered migrations in
//! `sql/migrations/` (append-only, recorded with checksums in `meta.schema_migration`), and
//! hands out connections. Every stage reads and writes only through this file.
use std::path::Path;

use anyhow::Context;
use duckdb::Connection;
use sha2::{Digest, Sha256};

use crate::error::{Hinted, hinted};

/// The migrations shipped with this binary, in order. `tests::every_migration_file_is_listed`
/// fails when a file in `sql/migrations/` is missing here.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_snapshot_meta.sql",
        include_str!("../../sql/migrations/0001_snapshot_meta.sql"),
    ),
    (
        "0002_stage_split.sql",
        include_str!("../../sql/migrations/0002_stage_split.sql"),
    ),
    (
        "0003_transform.sql",
        include_str!("../../sql/migrations/0003_transform.sql"),
    ),
    (
        "0004_intercom_admins.sql",
        include_str!("../../sql/migrations/0004_intercom_admins.sql"),
    ),
    (
        "0005_intercom_teams.sql",
        include_str!("../../sql/migrations/0005_intercom_teams.sql"),
    ),
    (
        "0006_ticket_maps.sql",
        include_str!("../../sql/migrations/0006_ticket_maps.sql"),
    ),
    (
        "0007_load_ledger.sql",
        include_str!("../../sql/migrations/0007_load_ledger.sql"),
    ),
    (
        "0008_load_updates.sql",
        include_str!("../../sql/migrations/0008_load_updates.sql"),
    ),
    (
        "0009_load_sample.sql",
        include_str!("../../sql/migrations/0009_load_sample.sql"),
    ),
    (
        "0010_verify_run.sql",
        include_str!("../../sql/migrations/0010_verify_run.sql"),
    ),
    (
        "0011_mapping.sql",
        include_str!("../../sql/migrations/0011_mapping.sql"),
    ),
    (
        "0012_live_api.sql",
        include_str!("../../sql/migrations/0012_live_api.sql"),
    ),
    (
        "0013_part_image.sql",
        include_str!("../../sql/migrations/0013_part_image.sql"),
    ),
    (
        "0014_verify_readback.sql",
        include_str!("../../sql/migrations/0014_verify_readback.sql"),
    ),
    (
        "0015_shared_sql.sql",
        include_str!("../../sql/migrations/0015_shared_sql.sql"),
    ),
    (
        "0016_sql_hash.sql",
        include_str!("../../sql/migrations/0016_sql_hash.sql"),
    ),
    (
        "0017_limit_in_sql.sql",
        include_str!("../../sql/migrations/0017_limit_in_sql.sql"),
    ),
    (
        "0018_knowledge_base.sql",
        include_str!("../../sql/migrations/0018_knowledge_base.sql"),
    ),
    (
        "0019_tasks.sql",
        include_str!("../../sql/migrations/0019_tasks.sql"),
    ),
    (
        "0020_probe.sql",
        include_str!("../../sql/migrations/0020_probe.sql"),
    ),
    (
        "0021_ledger_app.sql",
        include_str!("../../sql/migrations/0021_ledger_app.sql"),
    ),
    (
        "0022_review.sql",
        include_str!("../../sql/migrations/0022_review.sql"),
    ),
];

/// Storage format written into new staging files.
pub const STORAGE_VERSION: &str = "v1.5.0";

/// Open (creating if needed) the staging file and bring its schema up to date.
pub fn open(path: &Path) -> anyhow::Result<Connection> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        return hinted(
            format!(
                "the folder of the staging file {} does not exist",
                path.display()
            ),
            "create it, or point --db at an existing folder",
        );
    }
    // Files are written in the storage format of DuckDB 1.5 so that the stock `duckdb` shell
    // analysts install (`pip install duckdb-cli`, 1.5.x) opens them; the bundled engine is newer.
    let config = duckdb::Config::default()
        .with("storage_compatibility_version", STORAGE_VERSION)
        // A cap, not DuckDB's 80 % of RAM: measured at 200k tickets (benches/run), transform
        // peaks at 0.71 GB resident instead of 1.06 GB for 5 % more time, and DuckDB spills
        // what does not fit to disk. Bigger machines and sources can raise it.
        .and_then(|c| {
            let limit = std::env::var(crate::settings::ENV_DUCKDB_MEMORY)
                .unwrap_or_else(|_| DEFAULT_MEMORY_LIMIT.to_string());
            c.with("memory_limit", &limit)
        })
        .context("configuring DuckDB")?;
    let conn = Connection::open_with_flags(path, config).map_err(|e| {
        let text = e.to_string();
        if text.contains("lock") {
            Hinted::new(
                format!(
                    "the staging file {} is in use by another process ({text})",
                    path.display()
                ),
                "close the duckdb shell or the other ostmig command that has it open, then retry",
            )
        } else {
            Hinted::new(
                format!("cannot open the staging file {}: {text}", path.display()),
                "check the path and that it is a DuckDB file written by ostmig",
            )
        }
    })?;
    migrate(&conn)?;
    // A load killed before it folded its journal: fold it before anyone reads the ledger.
    crate::load::ledger::fold(&conn)?;
    Ok(conn)
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

/// Apply pending migrations, each in its own transaction; refuse to run when an applied file
/// was edited, because the file would then no longer describe the database.
pub fn migrate(conn: &Connection) -> anyhow::Result<()> {
    conn.execute_batch(
        "CREATE SCHEMA IF NOT EXISTS meta;
         CREATE TABLE IF NOT EXISTS meta.schema_migration (
             version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,
             checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp::TIMESTAMP);",
    )
    .context("creating meta.schema_migration")?;
    // A newer ostmig applied migrations this one does not know: its tables may have changed
    // shape, and writing with the older code could damage them.
    let newest: Option<(i32, String)> = conn
        .query_row(
            "SELECT version, name FROM meta.schema_migration ORDER BY version DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    let known = MIGRATIONS
        .iter()
        .filter_map(|(n, _)| n[..4].parse::<i32>().ok())
        .max()
        .unwrap_or(0);
    if let Some((version, name)) = newest.filter(|(v, _)| *v > known) {
        return hinted(
            format!(
                "this staging file was written by a newer ostmig (it has migration {name}, this ostmig {} knows up to {known:04})",
                env!("CARGO_PKG_VERSION")
            ),
            format!(
                "use the ostmig that wrote it, or a newer one (cargo install --path . from an up-to-date checkout); migration {version} cannot be undone by an older version"
            ),
        );
    }
    // One read of what is applied, not one per migration: every command opens the file, and
    // `ostmig review` opens it for every page (each statement costs about a millisecond).
    let applied: std::collections::HashMap<i32, String> = conn
        .prepare("SELECT version, checksum FROM meta.schema_migration")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (name, sql) in MIGRATIONS {
        let version: i32 = name[..4]
            .parse()
            .with_context(|| format!("migration {name} must start with a 4-digit number"))?;
        let sum = checksum(sql);
        match applied.get(&version).cloned() {
            Some(existing) if existing == sum => continue,
            Some(_) => {
                return hinted(
                    format!(
                        "migration {name} was edited after it was applied to this staging file"
                    ),
                    "migrations are append-only: restore the file and put the change in a new, higher-numbered migration",
                );
            }
            None => {
                let tx = format!(
                    "BEGIN TRANSACTION;\n{sql}\n;INSERT INTO meta.schema_migration (version, name, checksum) VALUES ({version}, '{name}', '{sum}');\nCOMMIT;"
                );
                if let Err(e) = conn.execute_batch(&tx) {
                    let _ = conn.execute_batch("ROLLBACK");
                    return Err(e).with_context(|| format!("applying migration {name}"));
                }
            }
        }
    }
    Ok(())
}

/// A file's bytes by the name outbox_attachments gives them: `file:<id>` from the snapshot
/// (osTicket keeps them in file_chunk, 256 KB per row), `image:<entry>:<n>` a pasted image the
/// split decoded. The load sends them; `ostmig review` shows them.
pub fn file_bytes(c: &Connection, reference: &str) -> anyhow::Result<Vec<u8>> {
    let parts: Vec<&str> = reference.split(':').collect();
    match parts.as_slice() {
        ["file", id] => {
            let id: i64 = id.parse()?;
            let mut stmt = c.prepare(
                "SELECT filedata FROM raw.file_chunk WHERE file_id = ? ORDER BY chunk_id",
            )?;
            let mut out = Vec::new();
            for chunk in stmt.query_map([id], |r| r.get::<_, Vec<u8>>(0))? {
                out.extend(chunk?);
            }
            Ok(out)
        }
        ["image", entry, n] => {
            let (entry, n): (i64, i32) = (entry.parse()?, n.parse()?);
            c.query_row(
                "SELECT data FROM stage.part_image WHERE entry_id = ? AND n = ?",
                duckdb::params![entry, n],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .map_err(Into::into)
        }
        _ => anyhow::bail!("{reference:?} names no file"),
    }
}

/// Quote an identifier for DuckDB.
/// Run `work` in a transaction opened by `begin` (a `BEGIN TRANSACTION; …` batch); commit and
/// checkpoint when it succeeds, roll back when it fails, so a failed or interrupted stage leaves
/// the previous output in place.
pub fn in_transaction<T>(
    duck: &Connection,
    begin: &str,
    what: &str,
    work: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    duck.execute_batch(begin)
        .with_context(|| format!("starting {what}"))?;
    match work() {
        Ok(v) => {
            duck.execute_batch("COMMIT; CHECKPOINT;")
                .with_context(|| format!("committing {what}"))?;
            Ok(v)
        }
        Err(e) => {
            let _ = duck.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// DuckDB's memory cap unless OSTMIG_DUCKDB_MEMORY says otherwise.
pub const DEFAULT_MEMORY_LIMIT: &str = "768MB";

pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quote a string literal for DuckDB.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_listed() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/sql/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(files, listed);
    }

    #[test]
    fn edited_migration_is_refused_with_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.duckdb");
        let conn = open(&path).unwrap();
        conn.execute(
            "UPDATE meta.schema_migration SET checksum = 'x' WHERE version = 1",
            [],
        )
        .unwrap();
        let err = migrate(&conn).unwrap_err();
        let text = crate::error::render(&err);
        assert!(
            text.contains("0001_snapshot_meta.sql") && text.contains("append-only"),
            "{text}"
        );
        // Re-opening an unchanged file is a no-op.
        conn.execute(
            "UPDATE meta.schema_migration SET checksum = ? WHERE version = 1",
            [checksum(MIGRATIONS[0].1)],
        )
        .unwrap();
        migrate(&conn).unwrap();
    }

    #[test]
    fn a_file_from_a_newer_ostmig_is_refused_with_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.duckdb");
        let conn = open(&path).unwrap();
        conn.execute(
            "INSERT INTO meta.schema_migration (version, name, checksum) VALUES (9999, '9999_future.sql', 'x')",
            [],
        )
        .unwrap();
        drop(conn);
        let err = open(&path).unwrap_err();
        let text = crate::error::render(&err);
        assert!(
            text.contains("newer ostmig") && text.contains("9999_future.sql"),
            "{text}"
        );
    }
}
