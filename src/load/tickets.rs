//! The tickets phase: each ticket, then its conversation in osTicket's order — participants,
//! parts with their files, file notes, form-field files, activity notes.

use anyhow::Context;
use base64::Engine;
use serde_json::{Value, json};

use super::ledger::{Entry, Ledger};
use std::collections::HashMap;

use super::once::{Row, once, once_or_update, rows};
use super::{Context_, PhaseResult, each, id, key, phase_result};
use crate::intercom::client::ApiError;

/// The create request as sent: ids that exist only now, list labels swapped for item ids.
fn ticket_request(cx: &Context_, payload: &Value, company: Option<&str>) -> anyhow::Result<Value> {
    let mut p = payload.clone();
    p["ticket_type_id"] = json!(cx.ticket_type.clone().unwrap_or_default());
    if let Some(company) = company.and_then(|c| cx.ledger.id_of("company", c).ok().flatten()) {
        p["company_id"] = json!(company);
    }
    if let Some(attrs) = p["ticket_attributes"].as_object_mut() {
        attrs.retain(|_, v| !v.is_null());
        for (name, value) in attrs.iter_mut() {
            if let Some((_, kind, options)) = cx.attributes.get(name)
                && kind == "list"
            {
                let label = value.as_str().unwrap_or_default();
                *value = json!(options.get(label).with_context(|| format!(
                    "ticket attribute {name:?} has no option {label:?}: re-run the schema phase"
                ))?);
            }
        }
    }
    Ok(p)
}

pub(super) async fn tickets(cx: &Context_) -> anyhow::Result<PhaseResult> {
    // The longest conversations first: a ticket's parts go one after another, so one long
    // conversation started last would hold the phase up long after the others finished.
    let tickets = rows(
        &cx.ledger,
        "WITH items AS (
             SELECT ticket_id FROM outbox.outbox_ticket_parts
             UNION ALL SELECT ticket_id FROM outbox.outbox_ticket_events
             UNION ALL SELECT ticket_id FROM outbox.outbox_ticket_participants
             UNION ALL SELECT ticket_id FROM outbox.outbox_attachments WHERE carrier = 'note'),
         sizes AS (SELECT ticket_id, count(*) AS n FROM items GROUP BY ticket_id)
         SELECT number, ticket_id::VARCHAR, payload::VARCHAR, json_object('company_id', company_id)::VARCHAR, payload_sha256
         FROM outbox.outbox_tickets LEFT JOIN sizes USING (ticket_id)
         ORDER BY coalesce(n, 0) DESC, ticket_id",
    )?;
    let number_attr = cx.attributes.get("osTicket number").map(|a| a.0.clone());
    let ids: Vec<i64> = tickets
        .iter()
        .filter_map(|t| t.ticket.as_deref()?.parse().ok())
        .collect();
    let threads = &Threads::new(&ids);
    each(cx, "tickets", tickets, |row| {
            let number_attr = number_attr.clone();
            async move {
                let mut r = phase_result("tickets");
                let c = &cx.client;
                let request = &ticket_request(cx, &row.payload, row.extra["company_id"].as_str())?;
                let number = row.key.as_str();
                let window = cx.window;
                let Some(ticket_id) = once_or_update(cx, key("ticket", &row.key, "tickets", None), &row.hash, &mut r, |earlier: Option<Entry>| async move {
                    // Without the number attribute a lost answer could never be looked up.
                    let Some(attr) = number_attr.as_deref() else {
                        return Err(ApiError::refused("POST", "/tickets", "no_lookup",
                            "the ticket type has no \"osTicket number\" attribute: re-run the schema phase"));
                    };
                    if let Some(e) = earlier {
                        // Sent before and its fate unknown: search, and trust an absence only
                        // from a search made a whole window after that send (search lags).
                        let left = window.saturating_sub(std::time::Duration::from_secs_f64(e.age_seconds));
                        if let Some(found) = c.search_ticket_until(attr, number, std::time::Instant::now() + left).await? {
                            return Ok((id(&found), false));
                        }
                    }
                    match c.create_ticket(request, (attr, number), window).await? {
                        Some(t) => Ok((id(&t), false)),
                        None => Err(ApiError::parked("POST", "/tickets", format!(
                            "osTicket #{number} was sent, its answer was lost and search has not found it within {} s; the next run searches again and sends it only if it is still absent",
                            window.as_secs()))),
                    }
                }, Some(|id: String| async move {
                    // Title and attributes changed in osTicket after the ticket was loaded.
                    let change = json!({"ticket_attributes": request["ticket_attributes"], "skip_notifications": true});
                    c.update_ticket(&id, &change).await.map(drop)
                }))
                .await?
                else {
                    return Ok(r);
                };
                let source_ticket = row.ticket.as_deref().unwrap_or("0").parse::<i64>().unwrap_or(0);
                // The people on the ticket first, then one conversation in osTicket's order;
                // a gap stops it, so nothing is posted over a missing part.
                let thread = threads.take(&cx.ledger, source_ticket)?;
                // Read once per ticket and kept up to date as parts are posted.
                let mut claimed = cx.ledger.claimed(&row.key)?;
                for item in thread {
                    let (item, ticket_id) = (&item, ticket_id.clone());
                    let kind = item.extra.as_str().unwrap_or("part");
                    // A part is a part in the ledger, whichever endpoint posts it.
                    let object_type = if kind == "conversation_part" { "part" } else { kind };
                    let seen = &claimed;
                    let ledger = &cx.ledger;
                    let sent = once(cx, key(object_type, &item.key, "tickets", Some(&row.key)), &item.hash, &mut r, |earlier: Option<Entry>| async move {
                        if kind == "participant" {
                            // Adding someone twice changes nothing: a retry needs no lookup.
                            let who = item.payload["customer"]["user_id"].as_str().unwrap_or_default();
                            let admin = item.payload["admin_id"].as_str();
                            return c.add_participant(&ticket_id, who, admin).await.map(|_| (format!("{ticket_id}:{who}"), false));
                        }
                        // The request as sent: the files' bytes in place of their names.
                        let request = with_file_bytes(ledger, &item.payload).map_err(|e| {
                            ApiError::refused("POST", "/tickets/{id}/reply", "file_unreadable", format!("{e:#}: re-run `ostmig snapshot` and `ostmig split`"))
                        })?;
                        if earlier.is_some() && let Some(p) = c.find_part(&ticket_id, &request, seen).await? {
                            return Ok((id(&p), false));
                        }
                        if kind == "conversation_part" {
                            return c.reply_conversation(&ticket_id, &request, seen).await.map(|p| (id(&p), false));
                        }
                        c.reply_ticket(&ticket_id, &request, seen).await.map(|p| (id(&p), false))
                    })
                    .await?;
                    if let Some(posted) = &sent
                        && kind != "participant"
                    {
                        claimed.insert(posted.clone());
                    }
                    // Parts are a conversation: never post a later one over a gap.
                    if sent.is_none() {
                        break;
                    }
                }
                Ok(r)
            }
    })
    .await
}

/// The conversations of the phase's tickets, read a slice of tickets at a time: one query
/// scans the outboxes for 500 tickets as fast as for one, and a ticket's turn comes soon after
/// its slice's first (the phase takes them in order).
struct Threads {
    /// The ticket ids of each slice, in the phase's order.
    slices: Vec<Vec<i64>>,
    /// Each ticket's slice.
    slice_of: HashMap<i64, usize>,
    read: std::sync::Mutex<Read>,
}

/// The slices read so far, and the conversations read and not yet taken, by ticket id.
type Read = (std::collections::HashSet<usize>, HashMap<i64, Vec<Row>>);

const SLICE: usize = 500;

impl Threads {
    /// `ids`: the phase's ticket ids, in the order it takes them.
    fn new(ids: &[i64]) -> Threads {
        let slices: Vec<Vec<i64>> = ids.chunks(SLICE).map(<[i64]>::to_vec).collect();
        let slice_of = slices
            .iter()
            .enumerate()
            .flat_map(|(n, s)| s.iter().map(move |id| (*id, n)))
            .collect();
        Threads {
            slices,
            slice_of,
            read: Default::default(),
        }
    }

    /// Ticket `ticket_id`'s conversation, read with its slice if that was not read yet.
    fn take(&self, ledger: &Ledger, ticket_id: i64) -> anyhow::Result<Vec<Row>> {
        let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&slice) = self.slice_of.get(&ticket_id)
            && read.0.insert(slice)
        {
            for row in rows(ledger, &thread_sql(&self.slices[slice]))? {
                let ticket = row
                    .ticket
                    .as_deref()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                read.1.entry(ticket).or_default().push(row);
            }
        }
        Ok(read.1.remove(&ticket_id).unwrap_or_default())
    }
}

/// Everything posted on the tickets `ids` after their create, as (key, ticket id,
/// payload, object type, hash), ticket by ticket in the order osTicket's thread shows it: the
/// participants first (before anyone replies), then by time the entries, each followed by the
/// notes carrying its files, with the activity notes of a moment after its entries. Ties keep
/// osTicket's entry order (`seq`); the files of the ticket's form fields, dated at its creation,
/// come before its first reply.
fn thread_sql(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let ticket_id = format!("IN ({})", list.join(", "));
    format!(
        "SELECT key, ticket_id::VARCHAR, payload, kind, payload_sha256 FROM (
             SELECT ticket_id, participant_key AS key, payload::VARCHAR AS payload,
                    CASE kind WHEN 'participant' THEN '\"participant\"' ELSE '\"cc_note\"' END AS kind,
                    payload_sha256, NULL::TIMESTAMP AS posted_at, 0 AS class, NULL::INTEGER AS seq, 0 AS sub,
                    NULL::BIGINT AS event
             FROM outbox.outbox_ticket_participants WHERE ticket_id {ticket_id}
             UNION ALL
             SELECT ticket_id, entry_id::VARCHAR, payload::VARCHAR,
                    CASE endpoint WHEN 'conversations' THEN '\"conversation_part\"' ELSE '\"part\"' END,
                    payload_sha256, created_at, 1, seq, 0, NULL
             FROM outbox.outbox_ticket_parts WHERE ticket_id {ticket_id}
             UNION ALL
             SELECT ticket_id, entry_id || ':' || batch, any_value(note_payload)::VARCHAR, '\"attachment_note\"',
                    any_value(note_payload_sha256), any_value(created_at), 1, any_value(seq), 1 + batch, NULL
             FROM outbox.outbox_attachments WHERE ticket_id {ticket_id} AND carrier = 'note'
             GROUP BY ticket_id, entry_id, batch
             UNION ALL
             SELECT ticket_id, field_key, payload::VARCHAR, '\"field_files\"', payload_sha256, created_at, 1, 0, field_id, NULL
             FROM outbox.outbox_field_files WHERE ticket_id {ticket_id}
             UNION ALL
             SELECT ticket_id, event_key, payload::VARCHAR, '\"event\"', payload_sha256, happened_at, 2, NULL, 0, event_ids[1]
             FROM outbox.outbox_ticket_events WHERE ticket_id {ticket_id})
         ORDER BY ticket_id, posted_at NULLS FIRST, class, seq, sub, event, key"
    )
}

/// `payload` with each `attachment_files` item's `data` — a name for the bytes, `file:<id>`
/// or `image:<entry>:<n>` (see outbox_attachments) — replaced by the bytes in base64.
fn with_file_bytes(ledger: &Ledger, payload: &Value) -> anyhow::Result<Value> {
    let Some(files) = payload["attachment_files"].as_array() else {
        return Ok(payload.clone());
    };
    let mut request = payload.clone();
    let mut sent = Vec::with_capacity(files.len());
    for f in files {
        let reference = f["data"].as_str().unwrap_or_default();
        let bytes = file_bytes(ledger, reference)
            .with_context(|| format!("the bytes of {} ({reference})", f["name"]))?;
        let mut f = f.clone();
        f["data"] = json!(base64::engine::general_purpose::STANDARD.encode(bytes));
        sent.push(f);
    }
    request["attachment_files"] = Value::Array(sent);
    Ok(request)
}

/// A file's bytes by the name outbox_attachments gives them ([`crate::warehouse::file_bytes`]).
fn file_bytes(ledger: &Ledger, reference: &str) -> anyhow::Result<Vec<u8>> {
    ledger.with(|c| crate::warehouse::file_bytes(c, reference))
}
