//! The notes phase: osTicket's staff notes on users and organizations, each posted as a note
//! on the contact or company the user or organization became. Notes carry no id of ours and
//! cannot be edited: a resumed send looks for the note's osTicket marker (the line at its foot)
//! among its owner's notes first, and a changed note is listed as stale, never sent twice.

use super::once::{Row, once, rows};
use super::{Context_, PhaseResult, each, id, key, phase_result};
use crate::intercom::client::ApiError;
use crate::intercom::notes::NoteOn;

pub(super) async fn notes(cx: &Context_) -> anyhow::Result<PhaseResult> {
    let rows = rows(
        &cx.ledger,
        "SELECT note_key, owner_key, payload::VARCHAR,
                json_object('target', target, 'marker', 'osTicket note ' || note_id || ',')::VARCHAR, payload_sha256
         FROM outbox.outbox_customer_notes ORDER BY note_id",
    )?;
    each(cx, "notes", rows, |row| async move {
        let mut r = phase_result("notes");
        note(cx, &row, &mut r).await?;
        Ok(r)
    })
    .await
}

async fn note(cx: &Context_, row: &Row, r: &mut PhaseResult) -> anyhow::Result<()> {
    let Some(on) = row.extra["target"].as_str().and_then(NoteOn::of_target) else {
        anyhow::bail!("outbox_customer_notes {}: unknown target", row.key);
    };
    let owner_key = row.ticket.as_deref().unwrap_or_default();
    let owner = cx.ledger.id_of(on.owner_type(), owner_key)?;
    let marker = row.extra["marker"].as_str().unwrap_or_default();
    let c = &cx.client;
    let (owner, payload) = (&owner, &row.payload);
    once(
        cx,
        key(on.object_type(), &row.key, "notes", Some(owner_key)),
        &row.hash,
        r,
        |earlier| async move {
            let Some(owner) = owner else {
                return Err(ApiError::refused(
                    "POST",
                    &on.path("{id}"),
                    "owner_not_loaded",
                    format!(
                        "{}'s {} {owner_key} is not in Intercom: load it first (see its own failure)",
                        row.key,
                        on.owner_type()
                    ),
                ));
            };
            // Sent before and its answer lost: the note may exist. A first send never lists.
            if earlier.is_some()
                && let Some(found) = c
                    .find_note(on, owner, |n| {
                        n["body"].as_str().is_some_and(|b| b.contains(marker))
                    })
                    .await?
            {
                return Ok((id(&found), false));
            }
            c.create_note(on, owner, payload)
                .await
                .map(|v| (id(&v), false))
        },
    )
    .await?;
    Ok(())
}
