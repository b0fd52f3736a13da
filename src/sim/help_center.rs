//! The simulated knowledge base: Help Center collections, articles and internal articles, in
//! the response shapes of Intercom's 2.16 description, with what the live API does beyond it:
//! an author must be a teammate, a parent must exist, bodies are stored sanitized (erratum
//! bodies-rewritten), lists page by number.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::workspace::{Reply, Workspace, error};
// The client's description of the three kinds: the simulator and the loader name them alike.
use crate::intercom::help_center::Content;

impl Workspace {
    /// `/help_center/collections`, `/articles` and `/internal_articles`.
    pub(super) fn route_help_center(
        &mut self,
        method: &str,
        segs: &[&str],
        query: &BTreeMap<String, String>,
        body: &Value,
    ) -> Option<Reply> {
        let kind = match segs {
            ["help_center", "collections", ..] => Content::Collection,
            ["articles", ..] => Content::Article,
            ["internal_articles", ..] => Content::InternalArticle,
            _ => return None,
        };
        let id = match (kind, segs) {
            (Content::Collection, [_, _]) | (Content::Article | Content::InternalArticle, [_]) => {
                None
            }
            (Content::Collection, [_, _, id])
            | (Content::Article | Content::InternalArticle, [_, id]) => Some(*id),
            _ => return None,
        };
        Some(match (method, id) {
            ("GET", None) => numbered(self.store(kind).values().cloned().collect(), query),
            ("POST", None) => self.create_content(kind, body),
            ("GET", Some(id)) => match self.store(kind).get(id) {
                Some(o) => (200, o.clone()),
                None => not_found(kind, id),
            },
            ("PUT", Some(id)) => self.update_content(kind, id, body),
            ("DELETE", Some(_)) if self.behaviour.restrict_deletes => {
                error(403, "api_plan_restricted", "Active subscription needed.")
            }
            ("DELETE", Some(id)) => match self.store_mut(kind).remove(id) {
                Some(_) => (
                    200,
                    json!({"id": id, "object": kind.object_type(), "deleted": true}),
                ),
                None => not_found(kind, id),
            },
            _ => return None,
        })
    }

    fn store(&self, kind: Content) -> &BTreeMap<String, Value> {
        match kind {
            Content::Collection => &self.collections,
            Content::Article => &self.articles,
            Content::InternalArticle => &self.internal_articles,
        }
    }

    fn store_mut(&mut self, kind: Content) -> &mut BTreeMap<String, Value> {
        match kind {
            Content::Collection => &mut self.collections,
            Content::Article => &mut self.articles,
            Content::InternalArticle => &mut self.internal_articles,
        }
    }

    fn create_content(&mut self, kind: Content, body: &Value) -> Reply {
        let required: &[&str] = match kind {
            Content::Collection => &["name"],
            Content::Article => &["title", "author_id"],
            Content::InternalArticle => &["title", "author_id", "owner_id"],
        };
        if let Some(missing) = required
            .iter()
            .find(|k| body.get(**k).is_none_or(Value::is_null))
        {
            return error(400, "parameter_not_found", format!("{missing} is required"));
        }
        let now = chrono::Utc::now().timestamp();
        let id = self.id();
        let object = match kind {
            Content::Collection => json!({
                "id": id, "workspace_id": "ostmigsim", "name": body["name"],
                "description": body.get("description").cloned().unwrap_or(json!("")),
                "created_at": now, "updated_at": now, "url": null, "icon": "book-bookmark",
                "order": self.collections.len() + 1, "default_locale": "en",
                "parent_id": null, "help_center_id": 1
            }),
            Content::Article => json!({
                "type": "article", "id": id, "workspace_id": "ostmigsim", "title": body["title"],
                "description": null, "body": null, "author_id": body["author_id"],
                "state": "draft", "created_at": now, "updated_at": now, "url": null,
                "parent_ids": [], "default_locale": "en",
                "statistics": {"type": "article_statistics", "views": 0, "conversations": 0,
                               "reactions": 0, "happy_reaction_percentage": 0,
                               "neutral_reaction_percentage": 0, "sad_reaction_percentage": 0}
            }),
            Content::InternalArticle => json!({
                "type": "internal_article", "id": id, "title": body["title"], "body": null,
                "owner_id": body["owner_id"], "author_id": body["author_id"],
                "created_at": now, "updated_at": now, "locale": "en"
            }),
        };
        self.store_mut(kind).insert(id.clone(), object);
        match self.update_content(kind, &id, body) {
            (200, o) => (200, o),
            refused => {
                self.store_mut(kind).remove(&id);
                refused
            }
        }
    }

    /// Apply the members of a create or update request to the stored object, refusing what
    /// the live API refuses.
    fn update_content(&mut self, kind: Content, id: &str, body: &Value) -> Reply {
        if !self.store(kind).contains_key(id) {
            return not_found(kind, id);
        }
        for who in ["author_id", "owner_id"] {
            if let Some(admin) = body.get(who).filter(|v| !v.is_null()) {
                let admin = crate::intercom::id_text(admin);
                if !self.admins.iter().any(|a| a["id"] == admin.as_str()) {
                    return error(
                        400,
                        "parameter_invalid",
                        format!("{who} {admin} must be a teammate on the help center's workspace"),
                    );
                }
            }
        }
        let parent = body
            .get("parent_id")
            .filter(|v| !v.is_null())
            .map(crate::intercom::id_text);
        if let Some(p) = &parent
            && !self.collections.contains_key(p)
        {
            return error(
                404,
                "collection_not_found",
                format!("Collection {p} not found"),
            );
        }
        let parents = parent.as_ref().map(|p| self.ancestry(p));
        let sanitized = body["body"]
            .as_str()
            .map(|b| json!(super::sanitize::sanitize(b)));
        let o = self.store_mut(kind).get_mut(id).expect("checked above");
        let members: &[&str] = match kind {
            Content::Collection => &["name", "description"],
            Content::Article => &["title", "description", "author_id", "state"],
            Content::InternalArticle => &["title", "author_id", "owner_id"],
        };
        for m in members {
            if let Some(v) = body.get(*m) {
                o[*m] = v.clone();
            }
        }
        if let Some(b) = sanitized {
            o["body"] = b;
        }
        match (kind, parent) {
            (Content::Collection, Some(p)) => o["parent_id"] = json!(p),
            (Content::Article, Some(_)) => o["parent_ids"] = json!(parents.unwrap_or_default()),
            _ => {}
        }
        o["updated_at"] = json!(chrono::Utc::now().timestamp());
        (200, o.clone())
    }

    /// A collection's id and those above it, nearest first, as integers (`parent_ids`).
    fn ancestry(&self, collection: &str) -> Vec<i64> {
        let mut out = Vec::new();
        let mut at = Some(collection.to_string());
        while let Some(id) = at.filter(|_| out.len() < 20) {
            out.extend(id.parse::<i64>().ok());
            at = self
                .collections
                .get(&id)
                .and_then(|c| c["parent_id"].as_str().map(String::from));
        }
        out
    }
}

fn not_found(kind: Content, id: &str) -> Reply {
    error(
        404,
        "not_found",
        format!("{} {id} not found", kind.object_type()),
    )
}

/// A list paged by number (`page`, `per_page`), as the Help Center's lists are.
pub(super) fn numbered(items: Vec<Value>, query: &BTreeMap<String, String>) -> Reply {
    let per_page: usize = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(25)
        .clamp(1, 250);
    let page: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let data: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    (
        200,
        json!({"type": "list", "data": data, "total_count": total,
               "pages": {"type": "pages", "page": page, "per_page": per_page,
                         "total_pages": total.div_ceil(per_page).max(1)}}),
    )
}
