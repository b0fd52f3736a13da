//! The states phase: each ticket's state and agent, then its tag, after its history. What is
//! sent is `outbox.outbox_ticket_states`, with the two ids that exist only now: the ticket
//! type's state of the row's category and the tag's.

use serde_json::json;

use super::once::{once_or_update, rows};
use super::{Context_, PhaseResult, each, key, phase_result};
use crate::intercom::client::ApiError;

pub(super) async fn states(cx: &Context_) -> anyhow::Result<PhaseResult> {
    let tickets = rows(
        &cx.ledger,
        "SELECT number, tag, payload::VARCHAR,
                json_object('state_category', state_category, 'tag_payload', tag_payload)::VARCHAR, payload_sha256
         FROM outbox.outbox_ticket_states ORDER BY ticket_id",
    )?;
    each(cx, "states", tickets, |row| async move {
        let mut r = phase_result("states");
        let c = &cx.client;
        let Some(ticket_id) = cx.ledger.id_of("ticket", &row.key)? else {
            r.staged += 1;
            r.failed += 1;
            return Ok(r);
        };
        let category = row.extra["state_category"].as_str().unwrap_or_default();
        // Every category the tickets need has a state: checked before the phase started.
        let mut update = row.payload.clone();
        update["ticket_state_id"] = json!(cx.states.get(category).cloned().unwrap_or_default());
        let tagging = match (row.ticket.as_deref(), row.extra.get("tag_payload")) {
            (Some(tag), Some(p)) if p.is_object() => cx.ledger.id_of("tag", tag)?.map(|id| {
                let mut p = p.clone();
                p["id"] = json!(id);
                p
            }),
            _ => None,
        };
        let apply = |ticket_id: String| {
            let (update, tagging) = (&update, &tagging);
            async move {
                c.update_ticket(&ticket_id, update).await?;
                if let Some(t) = tagging {
                    c.tag_ticket(&ticket_id, t).await?;
                }
                Ok::<_, ApiError>(())
            }
        };
        once_or_update(
            cx,
            key("ticket_state", &row.key, "states", Some(&row.key)),
            &row.hash,
            &mut r,
            |_| {
                let t = ticket_id.clone();
                async move { apply(t.clone()).await.map(|()| (t, false)) }
            },
            Some(apply),
        )
        .await?;
        Ok(r)
    })
    .await
}
