//! `ostmig intercom import-admins FILE`: store a saved `GET /admins` response (`admin.list`) in
//! `raw_intercom.admin`, replacing the previous list.

use std::path::Path;

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
    store(db, list, file)
}

/// Store a list fetched from the API (`source` says where from).
pub fn import_value(db: &Path, body: serde_json::Value, source: &str) -> anyhow::Result<usize> {
    let list: AdminList = serde_json::from_value(body)?;
    store(db, list, Path::new(source))
}

fn store(db: &Path, list: AdminList, file: &Path) -> anyhow::Result<usize> {
    let duck = warehouse::open(db)?;
    let rows = list
        .admins
        .iter()
        .map(|a| {
            let values = (
                super::id_text(&a.id),
                a.name.clone(),
                a.email.clone(),
                a.has_inbox_seat,
                a.away_mode_enabled,
            );
            (super::id_text(&a.id), values)
        })
        .collect();
    super::replace_list(&duck, "admin", "?, ?, ?, ?, ?", file, rows)
}
