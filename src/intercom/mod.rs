//! Talking to Intercom: the REST client (`client`), the OpenAPI description that judges it
//! (`spec`), and the workspace's admins and teams, fetched (`pull`) or imported from saved
//! `GET /admins` and `GET /teams` responses so matching works offline.

pub mod admins;
pub mod client;
pub mod errata;
pub mod help_center;
pub mod live;
pub mod notes;
pub mod pace;
pub mod retry;
pub mod spec;
pub mod teams;

use std::path::Path;

use anyhow::Context;
use duckdb::Connection;
use serde::de::DeserializeOwned;

use crate::error::Hinted;
use crate::warehouse;

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

/// Replace the rows of `raw_intercom.<table>` with a freshly saved list, in one transaction.
///
/// DuckDB refuses to delete and re-insert the same primary key in one transaction, so only the
/// rows whose id is gone are deleted and the rest are upserted. Each row's values are `values`
/// (the table's columns up to `imported_at`), followed by the import time and `source`.
pub(crate) fn replace_list<P: duckdb::Params>(
    duck: &Connection,
    table: &str,
    placeholders: &str,
    source: &Path,
    rows: Vec<(String, P)>,
) -> anyhow::Result<usize> {
    let ids = serde_json::to_string(&rows.iter().map(|(id, _)| id).collect::<Vec<_>>())?;
    warehouse::in_transaction(
        duck,
        "BEGIN TRANSACTION;",
        &format!("the {table} import"),
        || {
            duck.execute(
            &format!(
                "DELETE FROM raw_intercom.{table} WHERE NOT list_contains(CAST(? AS VARCHAR[]), id)"
            ),
            [&ids],
        )?;
            let now = chrono::Utc::now()
                .naive_utc()
                .format("%Y-%m-%d %H:%M:%S%.6f")
                .to_string();
            duck.execute(
                "SET VARIABLE ostmig_import = {'at': CAST(? AS TIMESTAMP), 'source': ?}",
                duckdb::params![now, source.display().to_string()],
            )?;
            let mut upsert = duck.prepare(&format!(
            "INSERT OR REPLACE INTO raw_intercom.{table}
             VALUES ({placeholders}, getvariable('ostmig_import').at, getvariable('ostmig_import').source)"
        ))?;
            let n = rows.len();
            for (id, values) in rows {
                upsert
                    .execute(values)
                    .with_context(|| format!("storing {table} {id} (listed twice?)"))?;
            }
            Ok(n)
        },
    )
}

/// `ostmig intercom pull`: fetch admins and teams from the API into `raw_intercom`.
/// An API error with what to do about it: no answer at all means the URL or the network, a
/// 401 the token.
pub fn explain(e: client::ApiError, url: &str) -> anyhow::Error {
    let hint = match e.status {
        None if e.code() == Some(client::TLS_CERTIFICATE) => format!(
            "{url} presented a certificate this machine does not trust, and ostmig always checks certificates: check --intercom-url; behind a TLS-inspecting proxy, put its CA certificate (PEM) in a file and name it in {}",
            crate::settings::ENV_CA_FILE
        ),
        None => format!(
            "check --intercom-url ({url}) and that this machine can reach it; to rehearse offline, run `ostmig sim` and point --intercom-url at it"
        ),
        Some(401) | Some(403) => format!(
            "check the access token in {} (or {}): it is refused",
            crate::settings::ENV_INTERCOM_TOKEN,
            crate::settings::ENV_INTERCOM_TOKEN_FILE
        ),
        Some(_) => return e.into(),
    };
    Hinted::new(e.to_string(), hint).into()
}

pub fn pull(db: &Path, url: &str) -> anyhow::Result<(usize, usize)> {
    let client = client::Client::new(url, crate::settings::intercom_token()?, 2)?;
    let (admins, teams, attributes, types) = crate::block_on(async {
        let admins = client.list_admins().await.map_err(|e| explain(e, url))?;
        let teams = client.list_teams().await.map_err(|e| explain(e, url))?;
        let mut attributes = Vec::new();
        for model in ["contact", "company"] {
            let list = client
                .list_data_attributes(model)
                .await
                .map_err(|e| explain(e, url))?;
            attributes.extend(list["data"].as_array().cloned().unwrap_or_default());
        }
        // Each type read whole: its states are listed there (erratum ticket-state-per-type).
        let mut types = Vec::new();
        let listed = client
            .list_ticket_types()
            .await
            .map_err(|e| explain(e, url))?;
        for t in listed["data"].as_array().into_iter().flatten() {
            let one = client
                .get_ticket_type(&id_text(&t["id"]))
                .await
                .map_err(|e| explain(e, url))?;
            types.push(one);
        }
        anyhow::Ok((admins, teams, attributes, types))
    })?;
    let a = admins::import_value(db, admins, &format!("GET {url}/admins"))?;
    let t = teams::import_value(db, teams, &format!("GET {url}/teams"))?;
    store_workspace(db, &attributes, &types, url)?;
    Ok((a, t))
}

/// Keep the workspace's data attributes and ticket types with their states (replacing what an
/// earlier pull stored), for the checks that refuse a load Intercom would refuse half-way.
fn store_workspace(
    db: &Path,
    attributes: &[serde_json::Value],
    types: &[serde_json::Value],
    url: &str,
) -> anyhow::Result<()> {
    let duck = warehouse::open(db)?;
    warehouse::in_transaction(&duck, "BEGIN TRANSACTION;", "the workspace pull", || {
        duck.execute_batch(
            "DELETE FROM raw_intercom.data_attribute; DELETE FROM raw_intercom.ticket_type_state;",
        )?;
        let mut attr = duck.prepare(
            "INSERT INTO raw_intercom.data_attribute VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
        )?;
        for a in attributes {
            attr.execute(duckdb::params![
                id_text(&a["id"]),
                a["model"].as_str().unwrap_or_default(),
                a["name"].as_str().unwrap_or_default(),
                a["data_type"].as_str(),
                a["custom"].as_bool(),
                a["archived"].as_bool(),
                format!("GET {url}/data_attributes"),
            ])?;
        }
        let mut state = duck.prepare(
            "INSERT INTO raw_intercom.ticket_type_state VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
        )?;
        for t in types {
            let states = live::ticket_type_states(t);
            let none = [serde_json::Value::Null];
            for s in if states.is_empty() { &none[..] } else { states } {
                state.execute(duckdb::params![
                    id_text(&t["id"]),
                    t["name"].as_str().unwrap_or_default(),
                    t["archived"].as_bool(),
                    s.get("id").map(id_text),
                    s["category"].as_str(),
                    s["internal_label"].as_str(),
                    format!("GET {url}/ticket_types/{}", id_text(&t["id"])),
                ])?;
            }
        }
        duck.execute(
            "INSERT INTO raw_intercom.pull_log VALUES ('data_attributes', ?, now()::TIMESTAMP, ?), ('ticket_types', ?, now()::TIMESTAMP, ?)",
            duckdb::params![attributes.len() as i64, url, types.len() as i64, url],
        )?;
        Ok(())
    })
}
