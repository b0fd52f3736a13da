//! `ostmig intercom import-admins FILE`: store a saved `GET /admins` response (`admin.list`) in
//! `raw_intercom.admin`, replacing the previous list.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use crate::warehouse;

#[derive(Debug, Deserialize)]
struct AdminList {
    #[serde(rename = "type")]
    kind: String,
    admins: Vec<Admin>,
}

#[derive(Debug, Deserialize)]
struct Admin {
    /// A string in the spec; some exports carry numbers, so accept both.
    id: serde_json::Value,
    name: Option<String>,
    email: Option<String>,
    has_inbox_seat: Option<bool>,
    away_mode_enabled: Option<bool>,
}

/// Import the list; returns how many admins it holds.
pub fn import(db: &Path, file: &Path) -> anyhow::Result<usize> {
    let list: AdminList = super::read_saved(file, "/admins", "admin.list", |l: &AdminList| {
        l.kind.as_str()
    })?;
    let duck = warehouse::open(db)?;
    // Replace the list in one transaction. DuckDB refuses to delete and re-insert the same
    // primary key in one transaction, so drop only the admins that are gone and upsert the rest.
    let ids: Vec<String> = list.admins.iter().map(|a| super::id_text(&a.id)).collect();
    warehouse::in_transaction(&duck, "BEGIN TRANSACTION;", "the admin import", || {
        duck.execute(
            "DELETE FROM raw_intercom.admin WHERE NOT list_contains(CAST(? AS VARCHAR[]), id)",
            [serde_json::to_string(&ids)?],
        )?;
        let now = chrono::Utc::now()
            .naive_utc()
            .format("%Y-%m-%d %H:%M:%S%.6f")
            .to_string();
        let mut upsert = duck.prepare(
            "INSERT OR REPLACE INTO raw_intercom.admin VALUES (?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), ?)",
        )?;
        for (a, id) in list.admins.iter().zip(&ids) {
            upsert
                .execute(duckdb::params![
                    id,
                    a.name,
                    a.email,
                    a.has_inbox_seat,
                    a.away_mode_enabled,
                    now,
                    file.display().to_string()
                ])
                .with_context(|| format!("storing admin {id} (listed twice?)"))?;
        }
        Ok(list.admins.len())
    })
}
