//! `ostmig intercom import-teams FILE`: store a saved `GET /teams` response (`team.list`) in
//! `raw_intercom.team`, replacing the previous list.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use crate::warehouse;

#[derive(Debug, Deserialize)]
struct TeamList {
    #[serde(rename = "type")]
    kind: String,
    teams: Vec<Team>,
}

#[derive(Debug, Deserialize)]
struct Team {
    id: serde_json::Value,
    name: Option<String>,
    #[serde(default)]
    admin_ids: Vec<serde_json::Value>,
}

/// Import the list; returns how many teams it holds.
pub fn import(db: &Path, file: &Path) -> anyhow::Result<usize> {
    let list: TeamList =
        super::read_saved(file, "/teams", "team.list", |l: &TeamList| l.kind.as_str())?;
    let duck = warehouse::open(db)?;
    duck.execute_batch("BEGIN TRANSACTION; DELETE FROM raw_intercom.team;")?;
    let result = (|| -> anyhow::Result<()> {
        let now = chrono::Utc::now()
            .naive_utc()
            .format("%Y-%m-%d %H:%M:%S%.6f")
            .to_string();
        let mut insert = duck.prepare(
            "INSERT INTO raw_intercom.team VALUES (?, ?, CAST(? AS VARCHAR[]), CAST(? AS TIMESTAMP), ?)",
        )?;
        for t in &list.teams {
            let admins: Vec<String> = t.admin_ids.iter().map(super::id_text).collect();
            insert
                .execute(duckdb::params![
                    super::id_text(&t.id),
                    t.name,
                    serde_json::to_string(&admins)?,
                    now,
                    file.display().to_string()
                ])
                .with_context(|| format!("storing team {}", super::id_text(&t.id)))?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => {
            duck.execute_batch("COMMIT")?;
            Ok(list.teams.len())
        }
        Err(e) => {
            let _ = duck.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}
