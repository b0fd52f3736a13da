//! The companies and contacts phases: each company, then each contact with its company link;
//! a contact the workspace already has by external id or e-mail is adopted or refused, never
//! doubled (`load.contact_match` records each decision).

use serde_json::Value;

use super::once::{Row, once_or_update, rows};
use super::{Context_, PhaseResult, each, id, key, phase_result};
use crate::intercom::client::ApiError;
use crate::intercom::live;

pub(super) async fn companies(cx: &Context_) -> anyhow::Result<PhaseResult> {
    let c = &cx.client;
    let rows = rows(
        &cx.ledger,
        "SELECT company_id, NULL::VARCHAR, payload::VARCHAR, NULL::VARCHAR, payload_sha256 FROM outbox.outbox_companies ORDER BY org_id",
    )?;
    each(cx, "companies", rows, |row| async move {
        let row = &row;
        let mut r = phase_result("companies");
        once_or_update(
            cx,
            key("company", &row.key, "companies", None),
            &row.hash,
            &mut r,
            |earlier| async move {
                let resumed = earlier.is_some();
                // POST /companies would silently update a company someone else made: look first.
                if let Some(found) = c.find_company(&row.key).await? {
                    return Ok((id(&found), !resumed));
                }
                c.upsert_company(&row.payload)
                    .await
                    .map(|v| (id(&v), false))
            },
            // Ours (the ledger says created), so the upsert by company_id changes only ours.
            Some(|_| async move { c.upsert_company(&row.payload).await.map(drop) }),
        )
        .await?;
        Ok(r)
    })
    .await
}

pub(super) async fn contacts(cx: &Context_) -> anyhow::Result<PhaseResult> {
    let rows = rows(
        &cx.ledger,
        "SELECT external_id, NULL::VARCHAR, payload::VARCHAR, json_object('company_id', 'osticket-org-' || org_id)::VARCHAR, payload_sha256
         FROM outbox.outbox_contacts ORDER BY user_id",
    )?;
    each(cx, "contacts", rows, |row| async move {
        let row = &row;
        let mut r = phase_result("contacts");
        let c = &cx.client;
        let contact = once_or_update(
            cx,
            key("contact", &row.key, "contacts", None),
            &row.hash,
            &mut r,
            |earlier| async move {
                // Ours, sent by an earlier run that died before the answer; or a user the
                // workspace already has under this external id. By GET: search lags.
                // (Skipped on a first send: a user already holding this external id answers
                // the create with a 409 that names them.)
                if earlier.is_some()
                    && let Some(found) = c.find_contact(&row.key).await?
                {
                    return Ok((id(&found), adopted_before(cx, &row.key)));
                }
                // Someone the workspace already knows by this e-mail (its Messenger's users
                // and leads): adopted or refused, never doubled.
                let email = row.payload["email"].as_str().unwrap_or_default();
                if !email.is_empty() {
                    let known = c.find_contacts_by_email(email).await?;
                    if let Some(adopted) = adopt(cx, row, known).await? {
                        return Ok((adopted, true));
                    }
                }
                match c.create_contact_reporting(&row.payload).await {
                    // A 409 on the first create: a user of the workspace already carries
                    // this external id (the client found it by GET).
                    Ok((v, true)) => {
                        let found = id(&v);
                        adopt(cx, row, vec![v]).await?;
                        Ok((found, true))
                    }
                    Ok((v, false)) => Ok((id(&v), false)),
                    // Search did not see them (it lags, and it skips archived contacts):
                    // the 409 names the contact that holds the e-mail.
                    Err(e) if e.status == Some(409) => {
                        let Some(other) = e.errors.iter().find_map(|(_, m)| live::conflict_id(m))
                        else {
                            return Err(e);
                        };
                        let holder = c.get_contact(&other).await?;
                        match adopt(cx, row, vec![holder]).await? {
                            Some(adopted) => Ok((adopted, true)),
                            None => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                }
            },
            Some(|id: String| async move { c.update_contact(&id, &row.payload).await.map(drop) }),
        )
        .await?;
        if let (Some(contact), Some(company)) = (contact, row.extra["company_id"].as_str())
            && let Some(company) = cx.ledger.id_of("company", company)?
            && let Err(e) = c.attach_company(&contact, &company).await
        {
            cx.ledger
                .outcome(
                    key("contact", &row.key, "contacts", None),
                    "failed",
                    None,
                    Some(&format!("company link: {e}")),
                )
                .await?;
            r.failed += 1;
            r.confirmed -= 1;
        }
        Ok(r)
    })
    .await
}

/// Take over a contact the workspace already has with this osTicket user's e-mail, or refuse.
/// A user with no external_id (or a lead) gets the user's external_id and data, unarchived
/// first when archived; a user holding another external_id is someone else's and is never
/// changed: the osTicket user is refused, listed with why. Every decision goes to
/// `load.contact_match`. `Ok(None)`: nobody holds the e-mail.
async fn adopt(cx: &Context_, row: &Row, known: Vec<Value>) -> Result<Option<String>, ApiError> {
    let c = &cx.client;
    let external = |k: &Value| k["external_id"].as_str().unwrap_or_default().to_string();
    let email = row.payload["email"].as_str().unwrap_or_default();
    // Already carrying this user's external id (an earlier integration): it gets the osTicket
    // user's data, address included.
    if let Some(k) = known.iter().find(|k| external(k) == row.key) {
        let contact_id = id(k);
        let reason = format!(
            "{} {contact_id} already carried external_id {}; it now holds the osTicket user's data",
            k["role"].as_str().unwrap_or("contact"),
            row.key
        );
        take_over(cx, row, &contact_id, "adopted", &reason, true).await?;
        return Ok(Some(contact_id));
    }
    let same: Vec<&Value> = known
        .iter()
        .filter(|k| {
            k["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .collect();
    if same.is_empty() || email.is_empty() {
        return Ok(None);
    }
    let refuse = |reason: String| {
        let _ = record_match(cx, row, None, "refused", &reason);
        ApiError::refused("POST", "/contacts", "contact_taken", reason)
    };
    if let Some(k) = same
        .iter()
        .find(|k| k["role"] == "user" && !external(k).is_empty())
    {
        return Err(refuse(format!(
            "the workspace's contact {} already holds {email} under external_id {}: merge or change it in Intercom, or give this osTicket user another address",
            id(k),
            external(k)
        )));
    }
    let users: Vec<&&Value> = same.iter().filter(|k| k["role"] == "user").collect();
    if users.len() > 1 {
        return Err(refuse(format!(
            "{} users of the workspace hold {email}: merge them in Intercom first",
            users.len()
        )));
    }
    // A user without an external_id first; else the most recently updated lead.
    let chosen: &Value = match users.first() {
        Some(u) => u,
        None => same
            .iter()
            .max_by_key(|k| k["updated_at"].as_i64().unwrap_or(0))
            .expect("not empty"),
    };
    let contact_id = id(chosen);
    let mut action = if chosen["role"] == "user" {
        "adopted"
    } else {
        "adopted_lead"
    }
    .to_string();
    if chosen["archived"] == true {
        c.unarchive_contact(&contact_id).await?;
        action = format!("{action}_archived");
    }
    let others = same.len() - 1;
    let reason = format!(
        "{} {contact_id} held {email}{}; it now carries external_id {}{}",
        chosen["role"].as_str().unwrap_or("contact"),
        if chosen["archived"] == true {
            " (archived: unarchived)"
        } else {
            ""
        },
        row.key,
        if others > 0 {
            format!("; {others} other contacts with this e-mail left as they are")
        } else {
            String::new()
        }
    );
    take_over(cx, row, &contact_id, &action, &reason, false).await?;
    Ok(Some(contact_id))
}

/// Give a workspace contact the osTicket user's external_id, role and data (and its address
/// when `with_email`; otherwise the address stays theirs, equal but for case), recording the
/// decision first: a run killed after the change must not take the contact for ours.
async fn take_over(
    cx: &Context_,
    row: &Row,
    contact_id: &str,
    action: &str,
    reason: &str,
    with_email: bool,
) -> Result<(), ApiError> {
    let _ = record_match(cx, row, Some(contact_id), action, reason);
    let mut update = row.payload.clone();
    if let Some(o) = update.as_object_mut().filter(|_| !with_email) {
        o.remove("email");
    }
    cx.client
        .update_contact(contact_id, &update)
        .await
        .map(drop)
}

/// One row of `load.contact_match`.
fn record_match(
    cx: &Context_,
    row: &Row,
    intercom_id: Option<&str>,
    action: &str,
    reason: &str,
) -> Result<usize, duckdb::Error> {
    cx.ledger.with(|conn| {
        conn.execute(
            &cx.ledger
                .sql("INSERT INTO load.contact_match VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)"),
            duckdb::params![
                row.key,
                row.payload["email"].as_str(),
                intercom_id,
                action,
                reason
            ],
        )
    })
}

/// Whether an earlier run adopted a workspace contact for this osTicket user.
fn adopted_before(cx: &Context_, external_id: &str) -> bool {
    cx.ledger
        .with(|c| {
            c.query_row(
                &cx.ledger.sql(
                    "SELECT count(*) FROM load.contact_match WHERE external_id = ? AND action <> 'refused'",
                ),
                [external_id],
                |r| r.get::<_, i64>(0),
            )
        })
        .is_ok_and(|n| n > 0)
}
