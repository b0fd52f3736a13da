//! The simulated contact and company notes, in the response shape of Intercom's 2.16
//! description (`note`): created under their owner, listed per owner page by page, read by id.
//! Like the live API: the author must be a teammate, the owner must exist, the body is stored
//! sanitized (erratum bodies-rewritten), a note is neither edited nor deleted through the API
//! and goes when its owner is deleted.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::help_center::numbered;
use super::workspace::{Reply, Workspace, error};
// The client's description of the two owners: the simulator and the loader name them alike.
use crate::intercom::notes::NoteOn;

impl Workspace {
    /// `/contacts/{id}/notes`, `/companies/{id}/notes` and `GET /notes/{id}`.
    pub(super) fn route_notes(
        &mut self,
        method: &str,
        segs: &[&str],
        query: &BTreeMap<String, String>,
        body: &Value,
    ) -> Option<Reply> {
        let (on, owner) = match segs {
            ["notes", id] if method == "GET" => {
                return Some(match self.notes.get(*id) {
                    Some(n) => (200, n.clone()),
                    None => error(404, "not_found", format!("note {id} not found")),
                });
            }
            ["contacts", id, "notes"] => (NoteOn::Contact, *id),
            ["companies", id, "notes"] => (NoteOn::Company, *id),
            _ => return None,
        };
        let exists = match on {
            NoteOn::Contact => self.contacts.contains_key(owner),
            NoteOn::Company => self.companies.contains_key(owner),
        };
        if !exists {
            return Some(match on {
                NoteOn::Contact => error(404, "not_found", "User Not Found"),
                NoteOn::Company => error(404, "company_not_found", "Company Not Found"),
            });
        }
        let owner_field = on.owner_type();
        Some(match method {
            "GET" => numbered(
                self.notes
                    .values()
                    .filter(|n| n[owner_field]["id"] == owner)
                    .cloned()
                    .collect(),
                query,
            ),
            "POST" => self.create_note(on, owner, body),
            _ => return None,
        })
    }

    fn create_note(&mut self, on: NoteOn, owner: &str, body: &Value) -> Reply {
        let Some(text) = body["body"].as_str().filter(|b| !b.trim().is_empty()) else {
            return error(400, "parameter_not_found", "body is required");
        };
        let admin_id = crate::intercom::id_text(&body["admin_id"]);
        let Some(author) = self.admins.iter().find(|a| a["id"] == admin_id.as_str()) else {
            return error(404, "not_found", "Resource Not Found");
        };
        let author = json!({"type": "admin", "id": author["id"], "name": author["name"],
                            "email": author["email"], "away_mode_enabled": false,
                            "away_mode_reassign": false});
        let id = self.id();
        let mut note = json!({"type": "note", "id": id, "created_at": chrono::Utc::now().timestamp(),
                              "author": author, "body": self.stored_body(text)});
        note[on.owner_type()] = json!({"type": on.owner_type(), "id": owner});
        self.notes.insert(id, note.clone());
        (200, note)
    }

    fn stored_body(&self, text: &str) -> String {
        if self.behaviour.raw_bodies {
            text.to_string()
        } else {
            super::sanitize::sanitize(text)
        }
    }

    /// A deleted contact's or company's notes go with it.
    pub(super) fn drop_notes_of(&mut self, owner_id: &str) {
        self.notes
            .retain(|_, n| n["contact"]["id"] != owner_id && n["company"]["id"] != owner_id);
    }
}
