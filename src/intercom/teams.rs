//! `ostmig intercom import-teams FILE`: store a saved `GET /teams` response (`team.list`) in
//! `raw_intercom.team`, replacing the previous list.

use std::path::Path;

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
    store(db, list, file)
}

/// Store a list fetched from the API (`source` says where from).
pub fn import_value(db: &Path, body: serde_json::Value, source: &str) -> anyhow::Result<usize> {
    let list: TeamList = serde_json::from_value(body)?;
    store(db, list, Path::new(source))
}

fn store(db: &Path, list: TeamList, file: &Path) -> anyhow::Result<usize> {
    let duck = warehouse::open(db)?;
    let rows = list
        .teams
        .iter()
        .map(|t| {
            let admins: Vec<String> = t.admin_ids.iter().map(super::id_text).collect();
            let values = (
                super::id_text(&t.id),
                t.name.clone(),
                serde_json::to_string(&admins).expect("strings serialise"),
            );
            (super::id_text(&t.id), values)
        })
        .collect();
    super::replace_list(&duck, "team", "?, ?, CAST(? AS VARCHAR[])", file, rows)
}
