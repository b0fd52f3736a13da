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
    // As for admins: drop the teams that are gone, upsert the rest (see admins::import).
    let ids: Vec<String> = list.teams.iter().map(|t| super::id_text(&t.id)).collect();
    warehouse::in_transaction(&duck, "BEGIN TRANSACTION;", "the team import", || {
        duck.execute(
            "DELETE FROM raw_intercom.team WHERE NOT list_contains(CAST(? AS VARCHAR[]), id)",
            [serde_json::to_string(&ids)?],
        )?;
        let now = chrono::Utc::now()
            .naive_utc()
            .format("%Y-%m-%d %H:%M:%S%.6f")
            .to_string();
        let mut upsert = duck.prepare(
            "INSERT OR REPLACE INTO raw_intercom.team VALUES (?, ?, CAST(? AS VARCHAR[]), CAST(? AS TIMESTAMP), ?)",
        )?;
        for (t, id) in list.teams.iter().zip(&ids) {
            let admins: Vec<String> = t.admin_ids.iter().map(super::id_text).collect();
            upsert
                .execute(duckdb::params![
                    id,
                    t.name,
                    serde_json::to_string(&admins)?,
                    now,
                    file.display().to_string()
                ])
                .with_context(|| format!("storing team {id} (listed twice?)"))?;
        }
        Ok(list.teams.len())
    })
}
