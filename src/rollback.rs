//! `ostmig rollback`: undo exactly what `load.ledger` says this tool created, in reverse
//! dependency order. Objects the load found existing are never touched. Intercom cannot delete
//! ticket types, their attributes or data attributes: those are archived. Replies, notes and
//! files go with their ticket. Resumable: each undone object is marked `rolled_back`.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::intercom::client::{ApiError, Client};
use crate::load::ledger::{Key, Ledger, Target};
use crate::warehouse;

/// Undo order (the reverse of the load's dependency order): object type, action, load phase.
const ORDER: &[(&str, &str, &str)] = &[
    ("ticket", "delete", "tickets"),
    ("contact", "delete", "contacts"),
    ("company", "delete", "companies"),
    ("tag", "delete", "schema"),
    ("ticket_type_attribute", "archive", "schema"),
    ("ticket_type", "archive", "schema"),
    ("data_attribute", "archive", "schema"),
];

/// What goes with a deleted ticket.
const WITH_TICKET: &[&str] = &["part", "event", "attachment_note", "ticket_state"];

#[derive(Debug, Default, Clone, Serialize)]
pub struct Undo {
    pub object_type: String,
    pub action: String,
    pub to_undo: i64,
    pub undone: i64,
    pub failed: i64,
}

fn created(ledger: &Ledger, object_type: &str) -> anyhow::Result<Vec<(String, String, String)>> {
    ledger.with(|c| {
        let mut stmt = c.prepare(&ledger.sql(
            "SELECT source_key, intercom_id, phase FROM load.ledger
             WHERE object_type = ? AND status = 'created' AND intercom_id IS NOT NULL ORDER BY last_at DESC",
        ))?;
        let rows = stmt
            .query_map([object_type], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    })
}

/// The plan: how many objects of each type would be undone.
pub fn plan(db: &Path, target: Target) -> anyhow::Result<Vec<Undo>> {
    let ledger = Ledger::new(warehouse::open(db)?, target);
    ORDER
        .iter()
        .map(|(t, action, _)| {
            Ok(Undo {
                object_type: t.to_string(),
                action: action.to_string(),
                to_undo: created(&ledger, t)?.len() as i64,
                ..Default::default()
            })
        })
        .collect()
}

/// Undo what the ledger says was created; `phase` limits it to one load phase.
pub fn run(db: &Path, url: &str, phase: Option<&str>, target: Target) -> anyhow::Result<Vec<Undo>> {
    let client = Client::new(url, crate::intercom::client::token_from_env()?, 4)?;
    let ledger = Ledger::new(warehouse::open(db)?, target);
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(client.reachable())?;
    let mut out = Vec::new();
    for (object_type, action, load_phase) in ORDER {
        if phase.is_some_and(|p| p != *load_phase) {
            continue;
        }
        let mut undo = Undo {
            object_type: object_type.to_string(),
            action: action.to_string(),
            ..Default::default()
        };
        for (key, id, phase) in created(&ledger, object_type)? {
            undo.to_undo += 1;
            let result = rt.block_on(undo_one(&client, &ledger, object_type, &id));
            let k = Key {
                object_type,
                key: &key,
                phase: &phase,
                ticket: None,
            };
            match result {
                // Already gone (deleted by hand, or by a rollback that died before recording).
                Ok(())
                | Err(ApiError {
                    status: Some(404), ..
                }) => {
                    ledger.outcome(k, "rolled_back", None, None)?;
                    if *object_type == "ticket" {
                        ledger.with(|c| {
                            c.execute(
                                &ledger.sql(&format!(
                                    "UPDATE load.ledger SET status = 'rolled_back', last_at = now()::TIMESTAMP
                                     WHERE ticket_key = ? AND object_type IN ({})",
                                    WITH_TICKET.iter().map(|t| warehouse::literal(t)).collect::<Vec<_>>().join(", ")
                                )),
                                [&key],
                            )
                        })?;
                    }
                    undo.undone += 1;
                }
                Err(e) => {
                    // Keep it `created` so a rerun tries again; say why in last_error.
                    ledger.with(|c| {
                        c.execute(
                            &ledger.sql(
                                "UPDATE load.ledger SET last_error = ?, last_at = now()::TIMESTAMP
                             WHERE object_type = ? AND source_key = ?",
                            ),
                            duckdb::params![format!("rollback: {e}"), object_type, key],
                        )
                    })?;
                    undo.failed += 1;
                }
            }
        }
        out.push(undo);
    }
    Ok(out)
}

async fn undo_one(
    client: &Client,
    ledger: &Ledger,
    object_type: &str,
    id: &str,
) -> Result<(), ApiError> {
    let _: Value = match object_type {
        "ticket" => client.delete_ticket(id).await?,
        "contact" => client.delete_contact(id).await?,
        "company" => client.delete_company(id).await?,
        "tag" => client.delete_tag(id).await?,
        "ticket_type" => client.archive_ticket_type(id).await?,
        "data_attribute" => client.archive_data_attribute(id).await?,
        "ticket_type_attribute" => {
            let type_id = ledger
                .with(|c| {
                    c.query_row(
                        &ledger.sql("SELECT max(intercom_id) FROM load.ledger WHERE object_type = 'ticket_type' AND status IN ('created', 'existing', 'rolled_back')"),
                        [],
                        |r| r.get::<_, Option<String>>(0),
                    )
                })
                .ok()
                .flatten()
                .unwrap_or_default();
            client.archive_ticket_type_attribute(&type_id, id).await?
        }
        _ => Value::Null,
    };
    Ok(())
}

pub fn print(undo: &[Undo], planned: bool) {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    if planned {
        table.set_header(["object", "action", "created by ostmig"]);
        for u in undo {
            table.add_row(vec![
                u.object_type.clone(),
                u.action.clone(),
                u.to_undo.to_string(),
            ]);
        }
    } else {
        table.set_header(["object", "action", "to undo", "undone", "failed"]);
        for u in undo {
            table.add_row(vec![
                u.object_type.clone(),
                u.action.clone(),
                u.to_undo.to_string(),
                u.undone.to_string(),
                u.failed.to_string(),
            ]);
        }
    }
    println!("{table}");
}
