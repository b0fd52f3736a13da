//! The articles phase: osTicket's knowledge base. Each FAQ category that is not private becomes
//! a Help Center collection, parents first (a child's `parent_id` is its parent's Intercom id,
//! known only once the parent exists); then each FAQ an article in its collection, or an
//! internal article when its category is private. Both are updated in place when their
//! outbox payload changes (a cutover delta), and looked up by name or title before a resumed
//! send, since neither carries an id of ours.

use serde_json::{Value, json};

use super::once::{Row, once_or_update, rows};
use super::{Context_, PhaseResult, id, key, phase_result};
use crate::intercom::client::ApiError;
use crate::intercom::help_center::Content;

pub(super) async fn articles(cx: &Context_) -> anyhow::Result<PhaseResult> {
    let mut r = phase_result("articles");
    let collections = rows(
        &cx.ledger,
        "SELECT collection_key, NULL::VARCHAR, payload::VARCHAR, json_object('parent', parent_key)::VARCHAR, payload_sha256
         FROM outbox.outbox_collections ORDER BY depth, category_id",
    )?;
    for row in &collections {
        send(cx, Content::Collection, row, &mut r).await?;
    }
    let articles = rows(
        &cx.ledger,
        "SELECT article_key, NULL::VARCHAR, payload::VARCHAR, json_object('parent', collection_key, 'kind', kind)::VARCHAR, payload_sha256
         FROM outbox.outbox_articles ORDER BY faq_id",
    )?;
    for row in &articles {
        let kind = match row.extra["kind"].as_str() {
            Some("internal_article") => Content::InternalArticle,
            _ => Content::Article,
        };
        send(cx, kind, row, &mut r).await?;
    }
    Ok(r)
}

/// The collection a row names as its parent (`extra.parent`), as the ledger knows it.
enum Parent {
    None,
    /// Its Intercom id.
    Loaded(String),
    /// Not created (its own send failed): the child is refused, not sent without it.
    Missing(String),
}

fn parent(cx: &Context_, row: &Row) -> anyhow::Result<Parent> {
    let Some(key) = row.extra["parent"].as_str() else {
        return Ok(Parent::None);
    };
    Ok(match cx.ledger.id_of("collection", key)? {
        Some(id) => Parent::Loaded(id),
        None => Parent::Missing(key.to_string()),
    })
}

/// One collection or article through the exactly-once protocol, with its parent's id added:
/// a string on a collection, an integer on an article (as Intercom types them).
async fn send(cx: &Context_, kind: Content, row: &Row, r: &mut PhaseResult) -> anyhow::Result<()> {
    let c = &cx.client;
    let mut payload = row.payload.clone();
    let parent = parent(cx, row)?;
    if let Parent::Loaded(id) = &parent {
        if kind == Content::Collection {
            payload["parent_id"] = json!(id);
        } else {
            payload["parent_id"] = id.parse::<i64>().map(Value::from).unwrap_or(json!(id));
            payload["parent_type"] = json!("collection");
        }
    }
    let (payload, parent) = (&payload, &parent);
    once_or_update(
        cx,
        key(kind.object_type(), &row.key, "articles", None),
        &row.hash,
        r,
        |earlier| async move {
            if let Parent::Missing(collection) = parent {
                return Err(ApiError::refused(
                    "POST",
                    kind.path(),
                    "parent_not_loaded",
                    format!(
                        "{}'s collection {collection} was not created: load it first (see its own failure)",
                        row.key
                    ),
                ));
            }
            // Sent before and its answer lost: the object may exist. A first send never lists.
            if earlier.is_some()
                && let Some(found) = c.find_content(kind, |v| same(kind, payload, v)).await?
            {
                return Ok((id(&found), false));
            }
            c.create_content(kind, payload)
                .await
                .map(|v| (id(&v), false))
        },
        Some(|id: String| async move { c.update_content(kind, &id, payload).await.map(drop) }),
    )
    .await?;
    Ok(())
}

/// Whether `found` is the object `payload` creates: same name or title, under the same parent.
/// A collection answers with its `parent_id`; an article with `parent_ids`, its collection and
/// the ones above it.
fn same(kind: Content, payload: &Value, found: &Value) -> bool {
    let text = crate::intercom::id_text;
    match kind {
        Content::Collection => {
            found["name"] == payload["name"]
                && text(&found["parent_id"]) == text(&payload["parent_id"])
        }
        Content::Article => {
            let parents = found["parent_ids"].as_array().cloned().unwrap_or_default();
            found["title"] == payload["title"]
                && match payload.get("parent_id") {
                    Some(p) => parents.iter().any(|f| text(f) == text(p)),
                    None => parents.is_empty(),
                }
        }
        Content::InternalArticle => found["title"] == payload["title"],
    }
}
