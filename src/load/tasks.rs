//! The tasks phase: each osTicket task as a back-office ticket linked to its customer ticket,
//! then its thread as notes in osTicket's order, then its state and agent — the same three
//! steps a ticket takes over two phases, here in one, because nothing else waits for a task.

use serde_json::{Value, json};

use super::ledger::Entry;
use super::once::{once, once_or_update, rows};
use super::schema::{TypeInfo, read_type};
use super::{Context_, PhaseResult, each, id, key, phase_result};
use crate::intercom::client::ApiError;

const NUMBER_ATTRIBUTE: &str = "osTicket task number";

pub(super) async fn tasks(cx: &Context_) -> anyhow::Result<PhaseResult> {
    let tasks = rows(
        &cx.ledger,
        "SELECT task_key, ticket_number, payload::VARCHAR,
                json_object('number', payload->>'$.ticket_attributes.\"osTicket task number\"',
                            'state_category', state_category, 'state_payload', state_payload,
                            'state_hash', state_payload_sha256)::VARCHAR,
                payload_sha256
         FROM outbox.outbox_tasks ORDER BY task_id",
    )?;
    if tasks.is_empty() {
        return Ok(phase_result("tasks"));
    }
    let kind = read_type(
        cx,
        "tasks",
        "SELECT state_category, count(*) FROM outbox.outbox_tasks GROUP BY 1 ORDER BY 1",
    )
    .await?;
    let kind = &kind;
    each(cx, "tasks", tasks, |row| async move {
            let mut r = phase_result("tasks");
            let Some(task_id) = create(cx, kind, &row, &mut r).await? else {
                return Ok(r);
            };
            // Its thread in osTicket's order; a gap stops it, as on a ticket.
            let notes = rows(
                &cx.ledger,
                &format!(
                    "SELECT entry_id::VARCHAR, NULL::VARCHAR, payload::VARCHAR, NULL::VARCHAR, payload_sha256
                     FROM outbox.outbox_task_notes WHERE task_key = '{}' ORDER BY seq, entry_id",
                    row.key.replace('\'', "''")
                ),
            )?;
            let mut claimed = cx.ledger.claimed(&row.key)?;
            let c = &cx.client;
            for note in &notes {
                let (seen, task_id) = (&claimed, task_id.clone());
                let sent = once(
                    cx,
                    key("task_note", &note.key, "tasks", Some(&row.key)),
                    &note.hash,
                    &mut r,
                    |earlier: Option<Entry>| async move {
                        if earlier.is_some()
                            && let Some(p) = c.find_part(&task_id, &note.payload, seen).await?
                        {
                            return Ok((id(&p), false));
                        }
                        c.reply_ticket(&task_id, &note.payload, seen)
                            .await
                            .map(|p| (id(&p), false))
                    },
                )
                .await?;
                match sent {
                    Some(posted) => {
                        claimed.insert(posted);
                    }
                    None => return Ok(r),
                }
            }
            state(cx, kind, &row, &task_id, &mut r).await?;
            Ok(r)
    })
    .await
}

/// Create the back-office ticket once, linked to the customer ticket it belongs to; a lost
/// answer is looked up by the task's number, as a ticket is by its own.
async fn create(
    cx: &Context_,
    kind: &TypeInfo,
    row: &super::once::Row,
    r: &mut PhaseResult,
) -> anyhow::Result<Option<String>> {
    let c = &cx.client;
    let number = row.extra["number"].as_str().unwrap_or_default();
    let ticket_number = row.ticket.as_deref().unwrap_or_default();
    let linked = cx.ledger.id_of("ticket", ticket_number)?;
    let mut request = row.payload.clone();
    request["ticket_type_id"] = json!(kind.id);
    if let Some(t) = &linked {
        request["conversation_to_link_id"] = json!(t);
    }
    let request = &request;
    let attr = kind.attributes.get(NUMBER_ATTRIBUTE).map(|a| a.0.clone());
    let window = cx.window;
    once_or_update(
        cx,
        key("task", &row.key, "tasks", None),
        &row.hash,
        r,
        |earlier: Option<Entry>| async move {
            if linked.is_none() {
                return Err(ApiError::refused(
                    "POST",
                    "/tickets",
                    "ticket_not_loaded",
                    format!("its ticket osTicket #{ticket_number} is not in Intercom: load the tickets first (a failed ticket is listed by `ostmig load`)"),
                ));
            }
            let Some(attr) = attr.as_deref() else {
                return Err(ApiError::refused(
                    "POST",
                    "/tickets",
                    "no_lookup",
                    format!("the tasks' ticket type has no {NUMBER_ATTRIBUTE:?} attribute: re-run the schema phase"),
                ));
            };
            if let Some(e) = earlier {
                let left =
                    window.saturating_sub(std::time::Duration::from_secs_f64(e.age_seconds));
                if let Some(found) = c
                    .search_ticket_until(attr, number, std::time::Instant::now() + left)
                    .await?
                {
                    return Ok((id(&found), false));
                }
            }
            match c.create_ticket(request, (attr, number), window).await? {
                Some(t) => Ok((id(&t), false)),
                None => Err(ApiError::parked(
                    "POST",
                    "/tickets",
                    format!(
                        "osTicket task {number} was sent, its answer was lost and search has not found it within {} s; the next run searches again and sends it only if it is still absent",
                        window.as_secs()
                    ),
                )),
            }
        },
        Some(|id: String| async move {
            // Title or description changed in osTicket after the task was loaded.
            let change = json!({"ticket_attributes": request["ticket_attributes"], "skip_notifications": true});
            c.update_ticket(&id, &change).await.map(drop)
        }),
    )
    .await
}

/// Its state and agent, after its thread: the type's state of the task's category.
async fn state(
    cx: &Context_,
    kind: &TypeInfo,
    row: &super::once::Row,
    task_id: &str,
    r: &mut PhaseResult,
) -> anyhow::Result<()> {
    let c = &cx.client;
    let category = row.extra["state_category"].as_str().unwrap_or_default();
    let mut update: Value = row.extra["state_payload"].clone();
    // Every category the tasks need has a state: checked before the phase started.
    update["ticket_state_id"] = json!(kind.states.get(category).cloned().unwrap_or_default());
    let update = &update;
    let hash = row.extra["state_hash"].as_str().unwrap_or_default();
    let apply = |id: String| async move { c.update_ticket(&id, update).await.map(drop) };
    once_or_update(
        cx,
        key("task_state", &row.key, "tasks", Some(&row.key)),
        hash,
        r,
        |_| async move {
            c.update_ticket(task_id, update)
                .await
                .map(|_| (task_id.to_string(), false))
        },
        Some(apply),
    )
    .await?;
    Ok(())
}
