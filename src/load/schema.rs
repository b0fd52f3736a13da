//! The schema phase, and what the tickets and states phases read of the schema it made: data
//! attributes, tags, the ticket type and its attributes, each created only when missing.

use std::collections::HashMap;

use serde_json::Value;

use super::once::{once, rows};
use super::{Context_, PhaseResult, id, key, phase_result};
use crate::error::Hinted;
use crate::intercom::live;

pub(super) async fn schema(cx: &mut Context_) -> anyhow::Result<PhaseResult> {
    let mut r = phase_result("schema");
    let c = &cx.client;
    // What the workspace has is read once per kind, not once per object: each object is sent
    // at most once a run, so a list read at the start still tells which existed before it.
    // Data attributes: created only when the workspace has none of that name and model.
    let attributes = rows(
        &cx.ledger,
        "SELECT attribute_name, NULL::VARCHAR, payload::VARCHAR, json_object('model', model)::VARCHAR, payload_sha256 FROM outbox.outbox_data_attributes ORDER BY 1",
    )?;
    let mut existing_attributes = std::collections::HashMap::new();
    for row in &attributes {
        let model = row.extra["model"].as_str().unwrap_or("contact").to_string();
        if !existing_attributes.contains_key(&model) && !settled(cx, "data_attribute", &row.key)? {
            let list = c.list_data_attributes(&model).await?;
            existing_attributes.insert(model, list);
        }
    }
    for row in &attributes {
        let model = row.extra["model"].as_str().unwrap_or("contact");
        let existing = existing_attributes.get(model);
        once(
            cx,
            key("data_attribute", &row.key, "schema", None),
            &row.hash,
            &mut r,
            |earlier| async move {
                let resumed = earlier.is_some();
                let existing = existing.cloned().unwrap_or_default();
                if let Some(a) = existing["data"]
                    .as_array()
                    .and_then(|a| a.iter().find(|a| a["name"] == row.key.as_str()))
                {
                    return Ok((id(a), !resumed));
                }
                c.create_data_attribute(&row.payload)
                    .await
                    .map(|a| (id(&a), false))
            },
        )
        .await?;
    }
    let tags = rows(
        &cx.ledger,
        "SELECT tag, NULL::VARCHAR, payload::VARCHAR, NULL::VARCHAR, payload_sha256 FROM outbox.outbox_tags ORDER BY 1",
    )?;
    let existing_tags = &existing_list(cx, "tag", &tags, c.list_tags()).await?;
    for row in &tags {
        once(
            cx,
            key("tag", &row.key, "schema", None),
            &row.hash,
            &mut r,
            |earlier| async move {
                let resumed = earlier.is_some();
                let existing = existing_tags;
                if let Some(t) = existing["data"].as_array().and_then(|a| {
                    a.iter().find(|t| {
                        t["name"]
                            .as_str()
                            .is_some_and(|n| n.eq_ignore_ascii_case(&row.key))
                    })
                }) {
                    return Ok((id(t), !resumed));
                }
                c.create_tag(&row.key).await.map(|t| (id(&t), false))
            },
        )
        .await?;
    }
    let types = rows(
        &cx.ledger,
        "SELECT name, NULL::VARCHAR, payload::VARCHAR, NULL::VARCHAR, payload_sha256 FROM outbox.outbox_ticket_type",
    )?;
    let existing_types = &existing_list(cx, "ticket_type", &types, c.list_ticket_types()).await?;
    for row in &types {
        once(
            cx,
            key("ticket_type", &row.key, "schema", None),
            &row.hash,
            &mut r,
            |earlier| async move {
                let resumed = earlier.is_some();
                let existing = existing_types;
                if let Some(t) = existing["data"]
                    .as_array()
                    .and_then(|a| a.iter().find(|t| t["name"] == row.key.as_str()))
                {
                    return Ok((id(t), !resumed));
                }
                c.create_ticket_type(&row.payload)
                    .await
                    .map(|t| (id(&t), false))
            },
        )
        .await?;
    }
    // Each attribute on its own type: the tickets' or the tasks'.
    let type_attributes = rows(
        &cx.ledger,
        "SELECT name, NULL::VARCHAR, payload::VARCHAR, json_object('type_name', type_name)::VARCHAR, payload_sha256
         FROM outbox.outbox_ticket_type_attributes ORDER BY type_name <> (SELECT max(name) FROM outbox.outbox_ticket_type WHERE role = 'tickets'), position",
    )?;
    let mut type_of = std::collections::HashMap::new();
    for row in &type_attributes {
        let type_name = row.extra["type_name"].as_str().unwrap_or_default();
        if let Some(type_id) = cx.ledger.id_of("ticket_type", type_name)?
            && !type_of.contains_key(&type_id)
            && !settled(cx, "ticket_type_attribute", &row.key)?
        {
            let tt = c.get_ticket_type(&type_id).await?;
            type_of.insert(type_id, tt);
        }
    }
    for row in &type_attributes {
        let type_name = row.extra["type_name"].as_str().unwrap_or_default();
        let Some(type_id) = cx.ledger.id_of("ticket_type", type_name)? else {
            continue;
        };
        let tt = type_of.get(&type_id);
        once(
            cx,
            key("ticket_type_attribute", &row.key, "schema", None),
            &row.hash,
            &mut r,
            |earlier| async move {
                let resumed = earlier.is_some();
                let tt = tt.cloned().unwrap_or_default();
                if let Some(a) = live::ticket_type_attributes(&tt)
                    .iter()
                    .find(|a| a["name"] == row.key.as_str())
                {
                    return Ok((id(a), !resumed));
                }
                c.create_ticket_type_attribute(&type_id, &row.payload)
                    .await
                    .map(|a| (id(&a), false))
            },
        )
        .await?;
    }
    Ok(r)
}

/// Whether the ledger has settled the object: nothing to look up for it.
fn settled(cx: &Context_, object_type: &str, key: &str) -> anyhow::Result<bool> {
    Ok(cx
        .ledger
        .get(object_type, key)?
        .is_some_and(|e| e.settled()))
}

/// What `list` answers, read only when one of `rows` is not settled yet (a rerun reads
/// nothing); `Value::Null` otherwise.
async fn existing_list(
    cx: &Context_,
    object_type: &str,
    rows: &[super::once::Row],
    list: impl std::future::Future<Output = Result<Value, crate::intercom::client::ApiError>>,
) -> anyhow::Result<Value> {
    for row in rows {
        if !settled(cx, object_type, &row.key)? {
            return Ok(list.await?);
        }
    }
    Ok(Value::Null)
}

/// The name of the ticket type of `role` ('tickets' or 'tasks') the outbox defines.
fn type_name(cx: &Context_, role: &str) -> anyhow::Result<Option<String>> {
    Ok(cx.ledger.with(|c| {
        c.query_row(
            &cx.ledger
                .sql("SELECT max(name) FROM outbox.outbox_ticket_type WHERE role = ?"),
            [role],
            |r| r.get(0),
        )
    })?)
}

/// A ticket type as the phases use it: attribute name → (id, data type, list label → item
/// id), and state category → the type's own state id.
pub(super) struct TypeInfo {
    pub id: String,
    pub attributes: HashMap<String, (String, String, HashMap<String, String>)>,
    pub states: HashMap<String, String>,
}

/// Read the ticket type of `role` — its attributes (ids, list item ids) and its own states —
/// and refuse to go on when a state category `needed` (a `SELECT category, count(*)` of the
/// outbox) has no state on that type (Intercom would answer 400 ticket_state_id_invalid for
/// every such ticket: erratum ticket-state-per-type).
pub(super) async fn read_type(cx: &Context_, role: &str, needed: &str) -> anyhow::Result<TypeInfo> {
    let name = type_name(cx, role)?;
    let type_id = name
        .clone()
        .and_then(|n| cx.ledger.id_of("ticket_type", &n).ok().flatten())
        .ok_or_else(|| {
            Hinted::new(
                format!("the {role}' ticket type has not been created yet"),
                "run `ostmig load --apply` from the schema phase",
            )
        })?;
    let tt = cx.client.get_ticket_type(&type_id).await?;
    let mut attributes = HashMap::new();
    for a in live::ticket_type_attributes(&tt) {
        let options: HashMap<String, String> = a["input_options"]["list_options"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| {
                Some((
                    o["label"].as_str()?.to_string(),
                    o["id"].as_str()?.to_string(),
                ))
            })
            .collect();
        attributes.insert(
            a["name"].as_str().unwrap_or_default().to_string(),
            (
                id(a),
                a["data_type"].as_str().unwrap_or_default().to_string(),
                options,
            ),
        );
    }
    // The type's own states; where a type lists none, the workspace's states that name it.
    let mut listed: Vec<Value> = live::ticket_type_states(&tt).to_vec();
    if listed.is_empty() {
        let all = cx.client.list_ticket_states().await?;
        listed = all["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| live::state_belongs_to(s, &type_id))
            .cloned()
            .collect();
    }
    let mut states = HashMap::new();
    for s in listed.iter().filter(|s| s["archived"] != true) {
        states
            .entry(s["category"].as_str().unwrap_or_default().to_string())
            .or_insert_with(|| id(s));
    }
    let needed: Vec<(String, i64)> = cx.ledger.with(|c| {
        let mut stmt = c.prepare(&cx.ledger.sql(needed))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        anyhow::Ok(rows)
    })?;
    let missing: Vec<String> = needed
        .iter()
        .filter(|(category, _)| !states.contains_key(category))
        .map(|(category, n)| format!("{category} ({n} {role})"))
        .collect();
    if !missing.is_empty() {
        return Err(Hinted::new(
            format!(
                "the Intercom ticket type {:?} ({type_id}) has no state for {}: Intercom refuses a state of another type",
                name.unwrap_or_default(),
                missing.join(", ")
            ),
            "add the state to the ticket type in Intercom (Settings > Tickets), or map those osTicket statuses to a category the type has, then run the load again",
        )
        .into());
    }
    Ok(TypeInfo {
        id: type_id,
        attributes,
        states,
    })
}

/// The tickets' type, read once for the tickets and states phases.
pub(super) async fn ticket_type(cx: &mut Context_) -> anyhow::Result<()> {
    if cx.ticket_type.is_some() {
        return Ok(());
    }
    let t = read_type(
        cx,
        "tickets",
        "SELECT state_category, count(*) FROM outbox.outbox_tickets GROUP BY 1 ORDER BY 1",
    )
    .await?;
    cx.attributes = t.attributes;
    cx.states = t.states;
    cx.ticket_type = Some(t.id);
    Ok(())
}

/// Before the schema phase creates anything: contact and company data attributes share one
/// namespace and a workspace holds at most 250 (erratum data-attribute-namespace). Counted
/// with the workspace's own attributes, live, so nothing is created that would fail later.
pub(super) async fn attribute_preflight(cx: &Context_) -> anyhow::Result<()> {
    let planned: Vec<(String, String)> = cx.ledger.with(|c| {
        let mut stmt = c.prepare(
            &cx.ledger
                .sql("SELECT model, attribute_name FROM outbox.outbox_data_attributes"),
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        anyhow::Ok(rows)
    })?;
    let mut existing: Vec<Value> = Vec::new();
    for model in ["contact", "company"] {
        let list = cx.client.list_data_attributes(model).await?;
        existing.extend(list["data"].as_array().cloned().unwrap_or_default());
    }
    let clashes: Vec<String> = planned
        .iter()
        .filter_map(|(model, name)| {
            existing
                .iter()
                .find(|e| e["name"] == name.as_str() && e["model"] != model.as_str())
                .map(|e| {
                    format!(
                        "{name} (to create on {model}, the workspace has it on {})",
                        e["model"].as_str().unwrap_or("?")
                    )
                })
        })
        .collect();
    if !clashes.is_empty() {
        return Err(Hinted::new(
            format!("data attribute names already used on the other model: {}", clashes.join(", ")),
            "contact and company attributes share one namespace: rename the fields' attributes in the mapping (ostmig map propose, then confirm), or archive the workspace's attribute",
        )
        .into());
    }
    let live_custom = existing
        .iter()
        .filter(|e| e["custom"] != false && e["archived"] != true)
        .count();
    let to_create = planned
        .iter()
        .filter(|(model, name)| {
            !existing
                .iter()
                .any(|e| e["name"] == name.as_str() && e["model"] == model.as_str())
        })
        .count();
    if live_custom + to_create > live::MAX_DATA_ATTRIBUTES {
        return Err(Hinted::new(
            format!(
                "the workspace holds {live_custom} custom data attributes and the load would create {to_create}: more than Intercom's {}",
                live::MAX_DATA_ATTRIBUTES
            ),
            "archive unused attributes in Intercom (Settings > Data > People/Companies), or map fewer fields to attributes",
        )
        .into());
    }
    Ok(())
}
