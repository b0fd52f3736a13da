//! Spec errata: where the live API differs from its OpenAPI description (`errata.toml`, the one
//! table of these facts, with evidence). The validator merges the shape entries into the
//! description before it judges anything and knows the statuses the live API answers beyond it;
//! the client explains a validating proxy's findings with them.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

const TABLE: &str = include_str!("errata.toml");

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Erratum {
    pub id: String,
    pub kind: String,
    pub operations: Vec<String>,
    pub spec: String,
    pub live: String,
    pub evidence: Vec<String>,
    pub confirmed: bool,
    pub ostmig: String,
    #[serde(default)]
    pub patch: Option<Patch>,
    #[serde(default)]
    pub statuses: Vec<u16>,
    #[serde(default)]
    pub prism: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Patch {
    pub pointer: String,
    /// A JSON object merged into the one at `pointer`.
    pub merge: String,
}

#[derive(Deserialize)]
struct Table {
    erratum: Vec<Erratum>,
}

/// Every erratum, in the file's order.
pub fn all() -> &'static [Erratum] {
    static ALL: OnceLock<Vec<Erratum>> = OnceLock::new();
    ALL.get_or_init(|| {
        toml::from_str::<Table>(TABLE)
            .expect("src/intercom/errata.toml parses (a unit test holds it)")
            .erratum
    })
}

impl Erratum {
    /// Whether `method path` (a concrete path, `/tickets/12/reply`) is one of its operations.
    pub fn covers(&self, method: &str, path: &str) -> bool {
        let segs: Vec<&str> = path
            .split('?')
            .next()
            .unwrap_or(path)
            .trim_matches('/')
            .split('/')
            .collect();
        self.operations.iter().any(|op| {
            if op == "*" {
                return true;
            }
            let Some((m, template)) = op.split_once(' ') else {
                return false;
            };
            let t: Vec<&str> = template.trim_matches('/').split('/').collect();
            m.eq_ignore_ascii_case(method)
                && t.len() == segs.len()
                && t.iter()
                    .zip(&segs)
                    .all(|(a, b)| a.starts_with('{') || a == b)
        })
    }
}

/// Merge every `patch` into the description (called once, when it is loaded).
pub fn apply(doc: &mut Value) {
    for e in all() {
        let Some(p) = &e.patch else { continue };
        let merge: Value = serde_json::from_str(&p.merge).expect("errata patches are JSON");
        if let (Some(target), Some(add)) = (
            doc.pointer_mut(&p.pointer).and_then(Value::as_object_mut),
            merge.as_object(),
        ) {
            for (k, v) in add {
                target.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The erratum under which the live API answers `status` to this operation, though the
/// description does not list it.
pub fn status(method: &str, path: &str, status: u16) -> Option<&'static Erratum> {
    all()
        .iter()
        .find(|e| e.statuses.contains(&status) && e.covers(method, path))
}

/// The erratum that explains one finding of a validating proxy (Prism's `sl-violations`) on
/// `method path`, if any.
pub fn explain(method: &str, path: &str, finding: &str) -> Option<&'static Erratum> {
    all()
        .iter()
        .find(|e| e.covers(method, path) && e.prism.iter().any(|p| finding.contains(p.as_str())))
}

/// The table for people (`ostmig intercom errata`).
pub fn print() {
    let mut table = crate::ui::table(["id", "kind", "the live API", "evidence", "ostmig"]);
    for e in all() {
        let live = if e.confirmed {
            e.live.clone()
        } else {
            format!("{} (unconfirmed: probe a sandbox)", e.live)
        };
        table.add_row(vec![
            e.id.clone(),
            e.kind.clone(),
            live,
            e.evidence.join("; "),
            e.ostmig.clone(),
        ]);
    }
    crate::out!("{table}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_every_entry_says_where_it_comes_from() {
        let all = all();
        assert!(all.len() >= 10);
        assert_eq!(all[0].id, "ticket-type-attributes-data");
        for e in all {
            assert!(!e.evidence.is_empty(), "{} has no evidence", e.id);
            assert!(
                ["shape", "status", "behaviour"].contains(&e.kind.as_str()),
                "{}",
                e.id
            );
            if let Some(p) = &e.patch {
                assert!(serde_json::from_str::<Value>(&p.merge).unwrap().is_object());
            }
        }
        let mut ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "ids are unique");
    }

    #[test]
    fn operations_match_concrete_paths() {
        assert_eq!(
            status("POST", "/contacts", 409).map(|e| e.id.as_str()),
            Some("contact-conflict-409")
        );
        assert!(status("POST", "/contacts/search", 409).is_none());
        assert!(status("GET", "/anything/at/all", 429).is_some());
        assert_eq!(
            explain("PUT", "/contacts/66510", "status 409 not documented").map(|e| e.id.as_str()),
            Some("contact-conflict-409")
        );
        assert!(explain("GET", "/contacts/1", "property name must be string").is_none());
    }
}
