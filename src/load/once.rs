//! The exactly-once protocol every phase sends through: the ledger row is written before the
//! request (intent) and after the answer (outcome), so a run killed between the two looks the
//! object up before sending it again, and a settled object is never sent twice.

use serde_json::Value;

use super::ledger::{Entry, Key, Ledger};
use super::{Context_, PhaseResult};
use crate::intercom::client::{ApiError, PARKED};

/// An outbox row: its ledger key, its ticket's key, the payload, what else the phase needs
/// (`extra`), and the outbox's hash of the payload, which the ledger records.
pub(super) struct Row {
    pub key: String,
    pub ticket: Option<String>,
    pub payload: Value,
    pub extra: Value,
    pub hash: String,
}

/// Outbox rows read by `sql`, a `SELECT key, ticket key, payload, extra, payload_sha256`.
pub(super) fn rows(ledger: &Ledger, sql: &str) -> anyhow::Result<Vec<Row>> {
    ledger.with(|c| {
        let mut stmt = c.prepare(&ledger.sql(sql))?;
        let out = stmt
            .query_map([], |r| {
                let payload: String = r.get(2)?;
                let extra: Option<String> = r.get(3)?;
                Ok(Row {
                    key: r.get(0)?,
                    ticket: r.get(1)?,
                    payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
                    extra: extra
                        .and_then(|e| serde_json::from_str(&e).ok())
                        .unwrap_or(Value::Null),
                    hash: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(out)
    })
}

/// Send one object unless the ledger settled it; record intent and outcome around `send`.
/// `send` returns the Intercom id and whether the object already existed (not ours).
pub(super) async fn once<F, Fut>(
    cx: &Context_,
    k: Key<'_>,
    hash: &str,
    result: &mut PhaseResult,
    send: F,
) -> anyhow::Result<Option<String>>
where
    F: FnOnce(Option<Entry>) -> Fut,
    Fut: std::future::Future<Output = Result<(String, bool), ApiError>>,
{
    once_or_update(cx, k, hash, result, send, None::<NoUpdate>).await
}

type NoUpdate = fn(String) -> std::future::Ready<Result<(), ApiError>>;

/// As [`once`]; and when an object this tool created has a different outbox payload now (the
/// source changed after it was loaded), `update` brings it up to date with the object's
/// Intercom id. Without `update`, such an object is counted `stale`: listed, never sent twice.
///
/// `send` gets what the ledger knew before this attempt (None: never sent): an object sent
/// before may exist, and `send` must look for it first. A [`PARKED`] error parks it as
/// `unknown` instead of failing it.
pub(super) async fn once_or_update<F, Fut, U, UFut>(
    cx: &Context_,
    k: Key<'_>,
    hash: &str,
    result: &mut PhaseResult,
    send: F,
    update: Option<U>,
) -> anyhow::Result<Option<String>>
where
    F: FnOnce(Option<Entry>) -> Fut,
    Fut: std::future::Future<Output = Result<(String, bool), ApiError>>,
    U: FnOnce(String) -> UFut,
    UFut: std::future::Future<Output = Result<(), ApiError>>,
{
    result.staged += 1;
    let known = cx.ledger.get(k.object_type, k.key)?;
    if let Some(e) = known.as_ref().filter(|e| e.settled()) {
        let changed = e.status == "created" && e.payload_sha256.as_deref() != Some(hash);
        let Some(id) = e.intercom_id.clone() else {
            result.skipped += 1;
            return Ok(None);
        };
        match update {
            Some(update) if changed => {
                result.sent += 1;
                match update(id.clone()).await {
                    Ok(()) => {
                        cx.ledger.updated(k, hash).await?;
                        result.confirmed += 1;
                        result.updated += 1;
                    }
                    Err(err) => {
                        cx.ledger.update_failed(k, &err.to_string()).await?;
                        result.failed += 1;
                    }
                }
            }
            _ if changed => result.stale += 1,
            _ => result.skipped += 1,
        }
        return Ok(Some(id));
    }
    // An earlier run may have sent it and died before the answer, or had an error answered
    // after the change was applied: whatever the ledger knows of it, `send` must look first,
    // as the app that sent it then (see `refuse_missing_apps`); a new object goes as the app
    // the phase gave its task.
    let resent_by = known
        .as_ref()
        .filter(|e| matches!(e.status.as_str(), "intent" | "unknown"))
        .and_then(|e| e.app.as_deref())
        .and_then(|id| cx.client.app_index(id));
    let send_once = async {
        cx.ledger.intent(k, hash, cx.client.current_app()).await?;
        result.sent += 1;
        let sent = send(known).await;
        settle(cx, k, result, sent).await
    };
    match resent_by {
        Some(app) => cx.client.as_app(app, send_once).await,
        None => send_once.await,
    }
}

/// Record what came of a send.
async fn settle(
    cx: &Context_,
    k: Key<'_>,
    result: &mut PhaseResult,
    sent: Result<(String, bool), ApiError>,
) -> anyhow::Result<Option<String>> {
    match sent {
        Ok((id, existed)) => {
            let status = if existed { "existing" } else { "created" };
            cx.ledger.outcome(k, status, Some(&id), None).await?;
            result.confirmed += 1;
            Ok(Some(id))
        }
        Err(e) if e.code() == Some(PARKED) => {
            cx.ledger.park(k, &e.to_string()).await?;
            result.unknown += 1;
            Ok(None)
        }
        Err(e) => {
            cx.ledger
                .outcome(k, "failed", None, Some(&e.to_string()))
                .await?;
            result.failed += 1;
            Ok(None)
        }
    }
}
