//! Talking to Intercom. For now: the workspace's admins and teams, imported from saved
//! `GET /admins` and `GET /teams` responses so matching works offline.

pub mod admins;
pub mod teams;

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::Hinted;

/// Read a saved API response body, checking its `type` (`admin.list`, `team.list`).
pub(crate) fn read_saved<T: DeserializeOwned>(
    file: &Path,
    endpoint: &str,
    kind: &str,
    kind_of: impl Fn(&T) -> &str,
) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        Hinted::new(
            format!("cannot read {}: {e}", file.display()),
            format!("save Intercom's response first: curl -H \"Authorization: Bearer $TOKEN\" -H 'Intercom-Version: 2.15' https://api.intercom.io{endpoint} > saved.json"),
        )
    })?;
    let value: T = serde_json::from_str(&text).map_err(|e| {
        Hinted::new(
            format!("{} is not the body of GET {endpoint}: {e}", file.display()),
            format!("the file must be the JSON body of GET {endpoint} ({{\"type\":\"{kind}\",…}})"),
        )
    })?;
    if kind_of(&value) != kind {
        return Err(Hinted::new(
            format!(
                "{} has type {:?}, not {kind:?}",
                file.display(),
                kind_of(&value)
            ),
            format!("save the body of GET {endpoint}, not of another endpoint"),
        )
        .into());
    }
    Ok(value)
}

/// Intercom ids are strings in the spec; some exports carry numbers.
pub(crate) fn id_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
