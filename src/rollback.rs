//! `ostmig rollback`: undo exactly what `load.ledger` says this tool created, in reverse
//! dependency order. Objects the load found existing are never touched. Intercom cannot delete
//! ticket types, their attributes or data attributes: those are archived. Replies, notes and
//! files go with their ticket; contact and company notes with their contact or company (the API
//! deletes no note, so those on a contact the load adopted stay). Resumable: each undone object is marked `rolled_back`.
//!
//! Intercom can refuse ticket deletes on a plan without them (403 api_plan_restricted, erratum
//! delete-plan-restricted): the rollback asks before it deletes anything, and a contact or
//! company is never deleted while a ticket of theirs is still there (it would be orphaned).

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::error::Hinted;
use crate::intercom::client::{ApiError, Client};
use crate::intercom::help_center::Content;
use crate::load::ledger::{Key, Ledger, Target};
use crate::load::objects::{self, ObjectType, Phase};
use crate::warehouse;

/// What goes with a deleted ticket, contact or company, as SQL list items.
fn with_parent_list() -> String {
    objects::with_parent()
        .map(|o| warehouse::literal(o.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn action(o: &ObjectType) -> &'static str {
    match o.undo {
        objects::Undo::Archive => "archive",
        _ => "delete",
    }
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Undo {
    pub object_type: String,
    pub action: String,
    pub to_undo: i64,
    pub undone: i64,
    pub failed: i64,
    /// Kept on purpose: a contact or company whose ticket is still in Intercom.
    pub kept: i64,
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

/// The plan: how many objects of each type would be undone (of one load phase's, with
/// `phase`).
pub fn plan(db: &Path, phase: Option<Phase>, target: Target) -> anyhow::Result<Vec<Undo>> {
    let ledger = Ledger::new(warehouse::open(db)?, target);
    objects::undo_order()
        .filter(|o| phase.is_none_or(|p| p == o.phase))
        .map(|o| {
            Ok(Undo {
                object_type: o.name.to_string(),
                action: action(o).to_string(),
                to_undo: created(&ledger, o.name)?.len() as i64,
                ..Default::default()
            })
        })
        .collect()
}

/// Undo what the ledger says was created; `phase` limits it to one load phase.
pub fn run(
    db: &Path,
    url: &str,
    phase: Option<Phase>,
    target: Target,
) -> anyhow::Result<Vec<Undo>> {
    let client = Client::new(url, crate::settings::intercom_token()?, 4)?;
    // What `ostmig probe` found, read before the ledger holds the file.
    let probed_deletes = crate::probe::answer(db, "deletes_allowed")?;
    let ledger = Ledger::new(warehouse::open(db)?, target);
    // A task is a (back-office) ticket: deleting either needs the plan's permission.
    let deleting_tickets = (phase.is_none_or(|p| p == Phase::Tickets)
        && !created(&ledger, "ticket")?.is_empty())
        || (phase.is_none_or(|p| p == Phase::Tasks) && !created(&ledger, "task")?.is_empty());
    if deleting_tickets && probed_deletes.as_deref() == Some("no") {
        return Err(Hinted::new(
            "`ostmig probe` found that this workspace refuses ticket deletes (probe.result deletes_allowed = no); nothing was undone",
            "deletes need a plan that allows them: ask Intercom to enable them, then run `ostmig probe --apply` again; `ostmig rollback --phase schema` still archives the schema the load created",
        )
        .into());
    }
    crate::block_on(client.reachable())?;
    if deleting_tickets {
        crate::block_on(deletes_allowed(&client))?;
    }
    let mut out = Vec::new();
    for o in objects::undo_order() {
        if phase.is_some_and(|p| p != o.phase) {
            continue;
        }
        let object_type = &o.name;
        let mut undo = Undo {
            object_type: o.name.to_string(),
            action: action(o).to_string(),
            ..Default::default()
        };
        // Whose tickets are still there, after the ticket step (or without it, with --phase).
        let held = holders(&ledger, object_type)?;
        for (key, id, phase) in created(&ledger, object_type)? {
            undo.to_undo += 1;
            if let Some(ticket) = held.get(&key) {
                ledger.with(|c| {
                    c.execute(
                        &ledger.sql(
                            "UPDATE load.ledger SET last_error = ?, last_at = now()::TIMESTAMP
                             WHERE object_type = ? AND source_key = ?",
                        ),
                        duckdb::params![
                            format!(
                                "rollback: kept: its ticket osTicket #{ticket} is still in Intercom"
                            ),
                            object_type,
                            key
                        ],
                    )
                })?;
                undo.kept += 1;
                continue;
            }
            let result = crate::block_on(undo_one(&client, &ledger, object_type, &key, &id));
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
                    crate::block_on(ledger.outcome(k, "rolled_back", None, None))?;
                    // Its parts and notes went with it (a ticket's number, a contact's or a
                    // company's key: the ledger's `ticket_key` of what is on it).
                    if matches!(*object_type, "ticket" | "task" | "contact" | "company") {
                        ledger.with(|c| {
                            c.execute(
                                &ledger.sql(&format!(
                                    "UPDATE load.ledger SET status = 'rolled_back', last_at = now()::TIMESTAMP
                                     WHERE ticket_key = ? AND object_type IN ({})",
                                    with_parent_list()
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

/// Whether this workspace lets ostmig delete tickets, asked with a ticket that cannot exist:
/// a plan without deletes answers 403 api_plan_restricted whatever the id, any other plan 404.
async fn deletes_allowed(client: &Client) -> anyhow::Result<()> {
    match client.delete_ticket("0").await {
        Err(e) if e.status == Some(403) => Err(Hinted::new(
            format!("Intercom refuses ticket deletes on this workspace ({e}); nothing was undone"),
            "deletes need a plan that allows them: ask Intercom to enable them, or archive by hand; `ostmig rollback --phase schema` still archives the schema the load created",
        )
        .into()),
        Err(e) if e.status == Some(404) => Ok(()),
        Err(e) => Err(crate::intercom::explain(e, "the Intercom URL")),
        // Nothing is deleted by a ticket that does not exist.
        Ok(_) => Ok(()),
    }
}

/// For contacts and companies: the osTicket number of a ticket of theirs that is still in
/// Intercom (created and not rolled back), by source key. Empty for other object types.
fn holders(
    ledger: &Ledger,
    object_type: &str,
) -> anyhow::Result<std::collections::HashMap<String, String>> {
    let sql = match object_type {
        "contact" => {
            "SELECT who, min(number) FROM (
                 SELECT t.contact_external_id AS who, t.number, t.ticket_id FROM outbox.outbox_tickets t
                 UNION ALL
                 SELECT p.author_external_id, t.number, t.ticket_id FROM outbox.outbox_ticket_parts p
                 JOIN outbox.outbox_tickets t USING (ticket_id) WHERE p.author_external_id IS NOT NULL
                 UNION ALL
                 SELECT q.payload->>'$.customer.user_id', q.number, q.ticket_id FROM outbox.outbox_ticket_participants q
                 WHERE q.kind = 'participant') x
             JOIN load.ledger l ON l.object_type = 'ticket' AND l.source_key = x.number AND l.status = 'created'
             GROUP BY who"
        }
        "company" => {
            "SELECT who, min(number) FROM (
                 SELECT t.company_id AS who, t.number FROM outbox.outbox_tickets t WHERE t.company_id IS NOT NULL
                 UNION ALL
                 SELECT 'osticket-org-' || c.org_id, t.number FROM outbox.outbox_tickets t
                 JOIN outbox.outbox_contacts c ON c.external_id = t.contact_external_id WHERE c.org_id IS NOT NULL) x
             JOIN load.ledger l ON l.object_type = 'ticket' AND l.source_key = x.number AND l.status = 'created'
             GROUP BY who"
        }
        _ => return Ok(Default::default()),
    };
    ledger.with(|c| {
        let mut stmt = c.prepare(&ledger.sql(sql))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    })
}

async fn undo_one(
    client: &Client,
    ledger: &Ledger,
    object_type: &str,
    key: &str,
    id: &str,
) -> Result<(), ApiError> {
    let _: Value = match object_type {
        "ticket" | "task" => client.delete_ticket(id).await?,
        "contact" => client.delete_contact(id).await?,
        "company" => client.delete_company(id).await?,
        "tag" => client.delete_tag(id).await?,
        "ticket_type" => client.archive_ticket_type(id).await?,
        "data_attribute" => client.archive_data_attribute(id).await?,
        "ticket_type_attribute" => {
            let type_id = ledger
                .with(|c| {
                    c.query_row(
                        // The type the attribute is on (the tickets' or the tasks').
                        &ledger.sql(
                            "SELECT max(l.intercom_id) FROM load.ledger l
                             JOIN outbox.outbox_ticket_type_attributes a ON a.type_name = l.source_key AND a.name = ?
                             WHERE l.object_type = 'ticket_type' AND l.status IN ('created', 'existing', 'rolled_back')",
                        ),
                        [key],
                        |r| r.get::<_, Option<String>>(0),
                    )
                })
                .ok()
                .flatten()
                .unwrap_or_default();
            client.archive_ticket_type_attribute(&type_id, id).await?
        }
        other => match Content::of_object_type(other) {
            Some(kind) => client.delete_content(kind, id).await?,
            None => Value::Null,
        },
    };
    Ok(())
}

pub fn print(undo: &[Undo], planned: bool) {
    use crate::ui::Column;
    const PLANNED: &[Column<Undo>] = &[
        ("object", |u| u.object_type.clone()),
        ("action", |u| u.action.clone()),
        ("created by ostmig", |u| u.to_undo.to_string()),
    ];
    const APPLIED: &[Column<Undo>] = &[
        ("object", |u| u.object_type.clone()),
        ("action", |u| u.action.clone()),
        ("to undo", |u| u.to_undo.to_string()),
        ("undone", |u| u.undone.to_string()),
        ("failed", |u| u.failed.to_string()),
        ("kept (ticket still there)", |u| u.kept.to_string()),
    ];
    let columns = if planned { PLANNED } else { APPLIED };
    crate::out!("{}", crate::ui::columns(columns, undo));
}
