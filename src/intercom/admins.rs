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
    duck.execute_batch("BEGIN TRANSACTION; DELETE FROM raw_intercom.admin;")?;
    let result = (|| -> anyhow::Result<()> {
        let mut app = duck.appender_to_db("admin", "raw_intercom")?;
        let now = chrono::Utc::now().naive_utc();
        for a in &list.admins {
            let id = super::id_text(&a.id);
            app.append_row(duckdb::params![
                id,
                a.name,
                a.email,
                a.has_inbox_seat,
                a.away_mode_enabled,
                now,
                file.display().to_string()
            ])?;
        }
        app.flush().context("storing the admins")?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            duck.execute_batch("COMMIT")?;
            Ok(list.admins.len())
        }
        Err(e) => {
            let _ = duck.execute_batch("ROLLBACK");
            Err(e.context(format!(
                "importing {} (two admins with the same id?)",
                file.display()
            )))
        }
    }
}
