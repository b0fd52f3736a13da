//! The simulated workspace: Intercom's objects and the semantics a migration relies on, with
//! every object kept in the shape the OpenAPI description gives its response.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::intercom::live::{MAX_DATA_ATTRIBUTES, MAX_PARTS_READ};

/// Largest file accepted in `attachment_files` (Intercom documents 100 MB for uploads).
pub const MAX_FILE_BYTES: usize = 100 * 1024 * 1024;

/// An HTTP status and Intercom error, or a body.
pub type Reply = (u16, Value);

pub fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
    (
        status,
        json!({"type": "error.list", "request_id": null,
               "errors": [{"code": code, "message": message.into()}]}),
    )
}

fn not_found(what: &str, id: &str) -> Reply {
    let code = match what {
        "company" => "company_not_found",
        "ticket" => "ticket_not_found",
        "tag" => "tag_not_found",
        _ => "not_found",
    };
    error(404, code, format!("{what} {id} not found"))
}

/// A stored file (bytes are hashed, not kept: verify needs names, sizes and checksums).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredFile {
    pub ticket_id: String,
    pub part_id: String,
    pub name: String,
    pub content_type: String,
    pub size: usize,
    pub sha256: String,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Workspace {
    pub next_id: u64,
    pub admins: Vec<Value>,
    pub teams: Vec<Value>,
    pub companies: BTreeMap<String, Value>,
    pub contacts: BTreeMap<String, Value>,
    pub data_attributes: Vec<Value>,
    pub tags: BTreeMap<String, Value>,
    pub ticket_types: BTreeMap<String, Value>,
    pub ticket_states: Vec<Value>,
    pub tickets: BTreeMap<String, Value>,
    pub files: Vec<StoredFile>,
    /// The knowledge base (`sim/help_center.rs`), by id.
    #[serde(default)]
    pub collections: BTreeMap<String, Value>,
    #[serde(default)]
    pub articles: BTreeMap<String, Value>,
    #[serde(default)]
    pub internal_articles: BTreeMap<String, Value>,
    /// Contact and company notes (`sim/notes.rs`), by id.
    #[serde(default)]
    pub notes: BTreeMap<String, Value>,
    /// When each contact and ticket was created (Unix seconds): search does not see the
    /// young ones (`--search-lag`), GET by id does.
    #[serde(default)]
    pub indexed_at: BTreeMap<String, f64>,
    /// Writes whose operation accepts `skip_notifications` and that did not set it, per
    /// operation: each one would have e-mailed a customer or teammate.
    #[serde(default)]
    pub notifications: BTreeMap<String, u64>,
    /// Customer-visible objects created: `tickets` (of a Customer type) and `comments`
    /// (replies the customer sees, as opposed to notes).
    #[serde(default)]
    pub customer_visible: BTreeMap<String, u64>,
    #[serde(skip)]
    pub behaviour: Behaviour,
}

/// How like the live API the workspace behaves; every switch's default is the live behaviour.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// Seconds a new contact or ticket stays invisible to search.
    pub search_lag: f64,
    /// Ticket and conversation deletes answer 403 api_plan_restricted.
    pub restrict_deletes: bool,
    /// Adding a participant to a ticket answers 404, as a workspace might (unconfirmed).
    pub refuse_participants: bool,
    /// A reply dated before its ticket is stored at the ticket's time, as a workspace might
    /// (unconfirmed).
    pub clamp_backdated: bool,
    /// Store bodies verbatim instead of sanitized (the pre-errata simulator).
    pub raw_bodies: bool,
    /// A contact's reply to a ticket through `POST /conversations/{id}/reply` keeps its text
    /// and silently drops its `attachment_files`, as a workspace might (unconfirmed): the
    /// probe reads the part back to tell.
    pub drop_contact_reply_files: bool,
    /// Requests whose body is larger than this many bytes answer 413, as the live API's
    /// undocumented limit would (erratum attachment-request-size).
    pub max_request_bytes: Option<usize>,
    /// A data attribute named with an underscore answers 400, as the spec's error example words
    /// the rule ("alphanumeric characters, currency symbols, and hyphens"), though its success
    /// examples and the docs use `_`: `ostmig probe` finds out which.
    pub refuse_underscore_names: bool,
}

/// The seed: what the API cannot create (admins, teams).
#[derive(Debug, Deserialize)]
pub struct Seed {
    #[serde(default)]
    pub admins: Vec<SeedAdmin>,
    #[serde(default)]
    pub teams: Vec<SeedTeam>,
    /// People the workspace already knows (its Messenger made them): users with or without an
    /// external_id, archived ones, and leads, some holding an osTicket user's e-mail.
    #[serde(default)]
    pub contacts: Vec<SeedContact>,
    /// Ticket types the workspace already has, each with states of its own.
    #[serde(default)]
    pub ticket_types: Vec<SeedTicketType>,
}

#[derive(Debug, Deserialize)]
pub struct SeedContact {
    #[serde(default = "user_role")]
    pub role: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub external_id: Option<String>,
    #[serde(default)]
    pub archived: bool,
}

fn user_role() -> String {
    "user".into()
}

#[derive(Debug, Deserialize)]
pub struct SeedTicketType {
    pub name: String,
    #[serde(default = "customer_category")]
    pub category: String,
    #[serde(default)]
    pub states: Vec<SeedState>,
}

fn customer_category() -> String {
    "Customer".into()
}

#[derive(Debug, Deserialize)]
pub struct SeedState {
    pub label: String,
    pub category: String,
}

#[derive(Debug, Deserialize)]
pub struct SeedAdmin {
    pub id: Option<String>,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Deserialize)]
pub struct SeedTeam {
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub admin_emails: Vec<String>,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Add `other` to a ticket's `linked_objects` (a linked_object_list).
fn link_to(ticket: &mut Value, other: &str, category: &Value) {
    let list = &mut ticket["linked_objects"];
    if let Some(data) = list["data"].as_array_mut() {
        data.push(json!({"type": "ticket", "id": other, "category": category}));
        let n = data.len();
        list["total_count"] = json!(n);
    }
}

impl Workspace {
    pub fn seeded(seed: &Seed) -> Workspace {
        let mut w = Workspace {
            next_id: 1000,
            ..Default::default()
        };
        for a in &seed.admins {
            let id = a.id.clone().unwrap_or_else(|| w.id());
            w.admins.push(
                json!({"type": "admin", "id": id, "name": a.name, "email": a.email,
                "job_title": "", "away_mode_enabled": false, "away_mode_reassign": false,
                "has_inbox_seat": true, "team_ids": [], "avatar": null}),
            );
        }
        for t in &seed.teams {
            let id = t.id.clone().unwrap_or_else(|| w.id());
            let admin_ids: Vec<i64> = w
                .admins
                .iter()
                .filter(|a| {
                    t.admin_emails
                        .iter()
                        .any(|e| a["email"].as_str() == Some(e))
                })
                .filter_map(|a| a["id"].as_str().and_then(|i| i.parse().ok()))
                .collect();
            w.teams
                .push(json!({"type": "team", "id": id, "name": t.name, "admin_ids": admin_ids}));
        }
        // The default states: every ticket type created later gets them (`default`). A state
        // keeps the ids of its types in `ticket_type_ids` (answered as `ticket_types`).
        for (label, category) in [
            ("Submitted", "submitted"),
            ("In progress", "in_progress"),
            ("Waiting on customer", "waiting_on_customer"),
            ("Resolved", "resolved"),
        ] {
            let id = w.id();
            w.ticket_states.push(
                json!({"type": "ticket_state", "id": id, "category": category,
                "internal_label": label, "external_label": label, "archived": false,
                "default": true, "ticket_type_ids": []}),
            );
        }
        // Types that exist already, with states only they have, listed first as a workspace's
        // older states are: a loader that takes the first state of a category gets theirs.
        for (i, t) in seed.ticket_types.iter().enumerate() {
            let (_, tt) = w.create_ticket_type(
                &json!({"name": t.name, "category": t.category, "description": ""}),
            );
            let type_id = tt["id"].as_str().unwrap_or_default().to_string();
            // Its own states only, not the defaults a type made through the API gets.
            for st in w.ticket_states.iter_mut() {
                if let Some(ids) = st["ticket_type_ids"].as_array_mut() {
                    ids.retain(|i| *i != type_id.as_str());
                }
            }
            for (j, st) in t.states.iter().enumerate() {
                let id = w.id();
                w.ticket_states.insert(
                    i + j,
                    json!({"type": "ticket_state", "id": id, "category": st.category,
                    "internal_label": st.label, "external_label": st.label, "archived": false,
                    "default": false, "ticket_type_ids": [type_id]}),
                );
            }
        }
        let long_ago = now() - 400 * 86_400;
        for c in &seed.contacts {
            let (_, made) = w.create_contact(&json!({
                "role": c.role, "email": c.email, "name": c.name, "external_id": c.external_id}));
            let id = made["id"].as_str().unwrap_or_default().to_string();
            if let Some(stored) = w.contacts.get_mut(&id) {
                stored["created_at"] = json!(long_ago);
                stored["updated_at"] = json!(long_ago);
                if c.archived {
                    stored["archived"] = json!(true);
                }
            }
            w.indexed_at.insert(id, long_ago as f64);
        }
        w
    }

    pub(super) fn id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    /// Route one request. `path` has no query string; `query` is the parsed query.
    pub fn handle(
        &mut self,
        method: &str,
        path: &str,
        query: &BTreeMap<String, String>,
        body: &Value,
    ) -> Reply {
        // Segments as Intercom reads them: percent-decoded (an external id may hold anything).
        let decoded: Vec<String> = path
            .trim_matches('/')
            .split('/')
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let segs: Vec<&str> = decoded.iter().map(String::as_str).collect();
        // One router per resource family; each answers None for a path it does not serve.
        let routes = [
            Self::route_people,
            Self::route_attributes,
            Self::route_ticket_types,
            Self::route_tickets,
            Self::route_help_center,
            Self::route_notes,
        ];
        for route in routes {
            if let Some(reply) = route(self, method, &segs, query, body) {
                return reply;
            }
        }
        error(
            404,
            "not_found",
            format!("{method} /{} is not simulated", segs.join("/")),
        )
    }

    /// Admins, teams, companies and contacts (and adding a contact to a conversation).
    fn route_people(
        &mut self,
        method: &str,
        segs: &[&str],
        query: &BTreeMap<String, String>,
        body: &Value,
    ) -> Option<Reply> {
        Some(match (method, segs) {
            ("GET", ["admins"]) => (200, json!({"type": "admin.list", "admins": self.admins})),
            ("GET", ["teams"]) => (200, json!({"type": "team.list", "teams": self.teams})),
            ("POST", ["companies"]) => self.upsert_company(body),
            // The spec answers a lookup by company_id with a one-item `list` (not a bare company).
            ("GET", ["companies"]) => match query.get("company_id") {
                Some(cid) => match self.companies.values().find(|c| c["company_id"] == *cid) {
                    Some(c) => list(vec![c.clone()], "list", query),
                    None => not_found("company", cid),
                },
                None => list(self.companies.values().cloned().collect(), "list", query),
            },
            ("GET", ["companies", id]) => match self.companies.get(*id) {
                Some(c) => (200, c.clone()),
                None => not_found("company", id),
            },
            ("DELETE", ["companies", id]) => match self.companies.remove(*id) {
                Some(_) => {
                    for c in self.contacts.values_mut() {
                        strip_company(c, id);
                    }
                    self.drop_notes_of(id);
                    (200, json!({"id": id, "object": "company", "deleted": true}))
                }
                None => not_found("company", id),
            },
            ("POST", ["contacts"]) => self.create_contact(body),
            ("POST", ["contacts", "search"]) => {
                let found = self.search(self.contacts.values(), body);
                search_page(found, "list", body)
            }
            ("GET", ["contacts"]) => list(self.contacts.values().cloned().collect(), "list", query),
            // Users only (the spec: "this endpoint only supports users and not leads").
            ("GET", ["contacts", "find_by_external_id", external_id]) => match self
                .contacts
                .values()
                .find(|c| c["role"] == "user" && c["external_id"] == *external_id)
            {
                Some(c) => (200, c.clone()),
                None => not_found("contact", external_id),
            },
            ("POST", ["conversations", id, "customers"]) => self.add_participant(id, body),
            ("POST", ["contacts", id, action @ ("archive" | "unarchive")]) => {
                let archived = *action == "archive";
                match self.contacts.get_mut(*id) {
                    Some(c) => {
                        c["archived"] = json!(archived);
                        (
                            200,
                            json!({"type": "contact", "id": id, "external_id": c["external_id"], "archived": archived}),
                        )
                    }
                    None => not_found("contact", id),
                }
            }
            ("GET", ["contacts", id]) => match self.contacts.get(*id) {
                Some(c) => (200, c.clone()),
                None => not_found("contact", id),
            },
            ("DELETE", ["contacts", id]) => match self.contacts.remove(*id) {
                Some(c) => {
                    self.drop_notes_of(id);
                    (
                        200,
                        json!({"type": "contact", "id": id,
                            "external_id": c["external_id"], "deleted": true}),
                    )
                }
                None => not_found("contact", id),
            },
            ("POST", ["contacts", id, "companies"]) => self.attach_company(id, body),
            ("PUT", ["contacts", id]) => self.update_contact(id, body),
            _ => return None,
        })
    }

    /// Data attributes and tags.
    fn route_attributes(
        &mut self,
        method: &str,
        segs: &[&str],
        query: &BTreeMap<String, String>,
        body: &Value,
    ) -> Option<Reply> {
        Some(match (method, segs) {
            ("GET", ["data_attributes"]) => {
                let model = query.get("model");
                let data: Vec<Value> = self
                    .data_attributes
                    .iter()
                    .filter(|a| model.is_none_or(|m| a["model"] == *m))
                    .cloned()
                    .collect();
                (200, json!({"type": "list", "data": data}))
            }
            ("POST", ["data_attributes"]) => self.create_data_attribute(body),
            ("PUT", ["data_attributes", id]) => {
                match self
                    .data_attributes
                    .iter_mut()
                    .find(|a| a["id"].as_i64().is_some_and(|n| id.parse() == Ok(n)))
                {
                    Some(a) => {
                        for key in ["archived", "description", "messenger_writable"] {
                            if let Some(v) = body.get(key) {
                                a[key] = v.clone();
                            }
                        }
                        (200, a.clone())
                    }
                    None => not_found("data_attribute", id),
                }
            }
            ("GET", ["tags"]) => (
                200,
                json!({"type": "list", "data": self.tags.values().collect::<Vec<_>>()}),
            ),
            ("POST", ["tags"]) => self.create_tag(body),
            ("DELETE", ["tags", id]) => {
                let used = self.tickets.values().any(|t| {
                    t["tags"]["tags"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|g| g["id"] == *id))
                });
                if used {
                    return Some(error(
                        400,
                        "tag_has_dependent_objects",
                        "Unable to delete Tag with dependent objects. Tickets",
                    ));
                }
                match self.tags.remove(*id) {
                    Some(_) => (200, Value::Null),
                    None => not_found("tag", id),
                }
            }
            _ => return None,
        })
    }

    /// Ticket types, their attributes and the ticket states.
    fn route_ticket_types(
        &mut self,
        method: &str,
        segs: &[&str],
        _query: &BTreeMap<String, String>,
        body: &Value,
    ) -> Option<Reply> {
        Some(match (method, segs) {
            ("GET", ["ticket_types"]) => (
                200,
                json!({"type": "list", "data": self.ticket_types.values()
                        .map(|t| with_states(t.clone(), &self.ticket_states)).collect::<Vec<_>>()}),
            ),
            ("POST", ["ticket_types"]) => self.create_ticket_type(body),
            ("GET", ["ticket_types", id]) => match self.ticket_types.get(*id) {
                Some(t) => (200, with_states(t.clone(), &self.ticket_states)),
                None => not_found("ticket_type", id),
            },
            ("PUT", ["ticket_types", id]) => match self.ticket_types.get_mut(*id) {
                Some(t) => {
                    for key in ["name", "description", "category", "icon", "archived"] {
                        if let Some(v) = body.get(key) {
                            t[key] = v.clone();
                        }
                    }
                    (200, t.clone())
                }
                None => not_found("ticket_type", id),
            },
            ("POST", ["ticket_types", id, "attributes"]) => {
                self.create_ticket_type_attribute(id, body)
            }
            ("PUT", ["ticket_types", id, "attributes", attr]) => {
                let Some(tt) = self.ticket_types.get_mut(*id) else {
                    return Some(not_found("ticket_type", id));
                };
                let list = tt["ticket_type_attributes"]["data"]
                    .as_array_mut()
                    .expect("list");
                match list.iter_mut().find(|a| a["id"] == *attr) {
                    Some(a) => {
                        for key in [
                            "archived",
                            "description",
                            "visible_on_create",
                            "visible_to_contacts",
                        ] {
                            if let Some(v) = body.get(key) {
                                a[key] = v.clone();
                            }
                        }
                        (200, a.clone())
                    }
                    None => not_found("ticket_type_attribute", attr),
                }
            }
            ("GET", ["ticket_states"]) => (200, self.ticket_states_detailed()),
            _ => return None,
        })
    }

    /// Tickets, their replies and tags, and deleting them (conversations too).
    fn route_tickets(
        &mut self,
        method: &str,
        segs: &[&str],
        _query: &BTreeMap<String, String>,
        body: &Value,
    ) -> Option<Reply> {
        Some(match (method, segs) {
            ("POST", ["tickets"]) => self.create_ticket(body),
            ("POST", ["tickets", "search"]) => {
                let found = self.search(self.tickets.values(), body);
                search_page(found, "ticket.list", body)
            }
            ("GET", ["tickets", id]) => match self.tickets.get(*id) {
                Some(t) => (200, public_ticket(t)),
                None => not_found("ticket", id),
            },
            ("PUT", ["tickets", id]) => self.update_ticket(id, body),
            ("DELETE", ["tickets" | "conversations", _]) if self.behaviour.restrict_deletes => {
                error(403, "api_plan_restricted", "Active subscription needed.")
            }
            ("DELETE", ["tickets", id]) => match self.tickets.remove(*id) {
                Some(_) => {
                    self.files.retain(|f| f.ticket_id != *id);
                    // Tickets linked to it lose the link.
                    for t in self.tickets.values_mut() {
                        let list = &mut t["linked_objects"];
                        if let Some(data) = list["data"].as_array_mut() {
                            data.retain(|o| o["id"] != *id);
                            let n = data.len();
                            list["total_count"] = json!(n);
                        }
                    }
                    (200, json!({"id": id, "object": "ticket", "deleted": true}))
                }
                None => not_found("ticket", id),
            },
            ("POST", ["tickets", id, "reply"]) => self.reply(id, body),
            // A ticket is a conversation: its id takes the conversations endpoint's reply too,
            // whose request (unlike the tickets endpoint's) lets a contact attach files.
            ("POST", ["conversations", id, "reply"]) => self.reply_as_conversation(id, body),
            ("POST", ["tickets", id, "tags"]) => self.tag_ticket(id, body),
            _ => return None,
        })
    }

    fn upsert_company(&mut self, body: &Value) -> Reply {
        if let Err(e) = self.check_custom_attributes("company", body.get("custom_attributes")) {
            return e;
        }
        let t = now();
        let existing = body
            .get("company_id")
            .and_then(Value::as_str)
            .and_then(|cid| {
                self.companies
                    .iter()
                    .find(|(_, c)| c["company_id"] == cid)
                    .map(|(k, _)| k.clone())
            });
        let id = match existing {
            Some(id) => id,
            None => {
                let id = format!("{:024x}", self.next_id + 0x6650_0000_0000);
                self.next_id += 1;
                self.companies.insert(id.clone(), json!({"type": "company", "id": id,
                    "app_id": "sim", "company_id": body.get("company_id").cloned().unwrap_or(json!(id)),
                    "name": "", "created_at": t, "updated_at": t, "user_count": 0, "session_count": 0,
                    "monthly_spend": 0, "custom_attributes": {},
                    "tags": {"type": "tag.list", "tags": []},
                    "segments": {"type": "segment.list", "segments": []}}));
                id
            }
        };
        let c = self.companies.get_mut(&id).expect("just inserted");
        for key in [
            "name",
            "plan",
            "size",
            "website",
            "industry",
            "remote_created_at",
            "monthly_spend",
        ] {
            if let Some(v) = body.get(key).filter(|v| !v.is_null()) {
                if key == "plan" {
                    c["plan"] = json!({"type": "plan", "id": "1", "name": v});
                } else {
                    c[key] = v.clone();
                }
            }
        }
        if let Some(attrs) = body.get("custom_attributes").and_then(Value::as_object) {
            for (k, v) in attrs {
                c["custom_attributes"][k] = v.clone();
            }
        }
        c["updated_at"] = json!(t);
        (200, c.clone())
    }

    /// PUT /contacts/{id}: the fields given replace the stored ones; custom attributes merge.
    fn update_contact(&mut self, id: &str, body: &Value) -> Reply {
        let Some(mut contact) = self.contacts.get(id).cloned() else {
            return not_found("contact", id);
        };
        if let Some(email) = body.get("email").and_then(Value::as_str)
            && let Some(dup) = self.contacts.values().find(|c| {
                c["id"] != id
                    && c["role"] == "user"
                    && c["email"]
                        .as_str()
                        .is_some_and(|ce| ce.eq_ignore_ascii_case(email))
            })
        {
            return duplicate_contact(dup);
        }
        if let Some(x) = body.get("external_id").and_then(Value::as_str)
            && let Some(dup) = self
                .contacts
                .values()
                .find(|c| c["id"] != id && c["role"] == "user" && c["external_id"] == x)
        {
            return duplicate_contact(dup);
        }
        if let Err(e) = self.check_custom_attributes("contact", body.get("custom_attributes")) {
            return e;
        }
        if body.get("owner_id").is_some() {
            match self.owner(body) {
                Ok(o) => contact["owner_id"] = o,
                Err(e) => return e,
            }
        }
        for field in ["external_id", "name", "phone", "role", "signed_up_at"] {
            if let Some(v) = body.get(field) {
                contact[field] = v.clone();
            }
        }
        if let Some(email) = body.get("email").and_then(Value::as_str) {
            contact["email"] = json!(email);
            contact["email_domain"] = json!(email.split('@').nth(1).unwrap_or(""));
        }
        if let Some(attrs) = body.get("custom_attributes").and_then(Value::as_object) {
            for (k, v) in attrs {
                contact["custom_attributes"][k] = v.clone();
            }
        }
        contact["updated_at"] = json!(now());
        self.contacts.insert(id.to_string(), contact.clone());
        (200, contact)
    }

    fn create_contact(&mut self, body: &Value) -> Reply {
        let external_id = body.get("external_id").and_then(Value::as_str);
        let email = body.get("email").and_then(Value::as_str);
        if external_id.is_none() && email.is_none() && body.get("role").is_none() {
            return error(
                400,
                "parameter_not_found",
                "Either external_id, email or role is required",
            );
        }
        let role = body.get("role").and_then(Value::as_str).unwrap_or("user");
        // The real API answers 409 to a second user with the same external_id or e-mail
        // (erratum contact-conflict-409); leads may share an e-mail with anyone.
        if role == "user"
            && let Some(dup) = self.contacts.values().find(|c| {
                c["role"] == "user"
                    && (external_id.is_some_and(|x| c["external_id"] == x)
                        || email.is_some_and(|e| {
                            c["email"]
                                .as_str()
                                .is_some_and(|ce| ce.eq_ignore_ascii_case(e))
                        }))
            })
        {
            return duplicate_contact(dup);
        }
        if let Err(e) = self.check_custom_attributes("contact", body.get("custom_attributes")) {
            return e;
        }
        let owner = match self.owner(body) {
            Ok(o) => o,
            Err(e) => return e,
        };
        let t = now();
        let id = format!("{:024x}", self.next_id + 0x6651_0000_0000);
        self.next_id += 1;
        let email_text = email.unwrap_or("");
        let contact = json!({
            "type": "contact", "id": id, "workspace_id": "sim",
            "external_id": external_id,
            "role": role,
            "email": email_text,
            "email_domain": email_text.split('@').nth(1).unwrap_or(""),
            "phone": body.get("phone").cloned().unwrap_or(Value::Null),
            "name": body.get("name").cloned().unwrap_or(Value::Null),
            "owner_id": owner, "has_hard_bounced": false, "marked_email_as_spam": false,
            "unsubscribed_from_emails": body.get("unsubscribed_from_emails").and_then(Value::as_bool).unwrap_or(false),
            "created_at": t, "updated_at": t,
            "signed_up_at": body.get("signed_up_at").cloned().unwrap_or(Value::Null),
            "custom_attributes": body.get("custom_attributes").cloned().filter(Value::is_object).unwrap_or(json!({})),
            "tags": {"type": "list", "data": [], "total_count": 0, "has_more": false},
            "notes": {"type": "list", "data": [], "total_count": 0, "has_more": false},
            "companies": {"type": "list", "data": [], "total_count": 0, "has_more": false},
            "location": {"type": "location", "country": null, "region": null, "city": null},
            "social_profiles": {"type": "list", "data": []},
        });
        self.indexed_at.insert(id.clone(), now_f());
        self.contacts.insert(id, contact.clone());
        (200, contact)
    }

    /// A contact's `owner_id`: an admin of the workspace (a string, as the spec types it in
    /// requests and answers alike; its examples show integers), or none.
    fn owner(&self, body: &Value) -> Result<Value, Reply> {
        match body.get("owner_id").filter(|o| !o.is_null()) {
            None => Ok(Value::Null),
            Some(o) => {
                let id = crate::intercom::id_text(o);
                match self.admins.iter().find(|a| a["id"] == id.as_str()) {
                    Some(_) => Ok(json!(id)),
                    None => Err(error(
                        400,
                        "parameter_invalid",
                        format!("owner_id {id} is not an admin of this workspace"),
                    )),
                }
            }
        }
    }

    /// Keys must be data attributes of `model` (erratum custom-attributes-must-exist); company
    /// values are strings, as the spec types them.
    fn check_custom_attributes(&self, model: &str, attrs: Option<&Value>) -> Result<(), Reply> {
        for (k, v) in attrs.and_then(Value::as_object).into_iter().flatten() {
            let defined = self
                .data_attributes
                .iter()
                .any(|a| a["model"] == model && a["name"] == k.as_str() && a["archived"] != true);
            if !defined {
                return Err(error(
                    400,
                    "parameter_invalid",
                    format!("Custom attribute '{k}' does not exist"),
                ));
            }
            if model == "company" && !(v.is_string() || v.is_null()) {
                return Err(error(
                    400,
                    "parameter_invalid",
                    format!("Custom attribute '{k}' of a company must be a string, not {v}"),
                ));
            }
        }
        Ok(())
    }

    fn attach_company(&mut self, contact_id: &str, body: &Value) -> Reply {
        let Some(company_id) = body.get("id").and_then(Value::as_str) else {
            return error(400, "parameter_not_found", "company id is required");
        };
        let Some(company) = self.companies.get_mut(company_id) else {
            return not_found("company", company_id);
        };
        let Some(contact) = self.contacts.get_mut(contact_id) else {
            return not_found("contact", contact_id);
        };
        let list = contact["companies"]["data"]
            .as_array_mut()
            .expect("companies list");
        if !list.iter().any(|c| c["id"] == company_id) {
            // Intercom answers with a relative url, which its own schema (format: uri) rejects:
            // the spec wins, so the simulator sends an absolute one.
            list.push(json!({"type": "company", "id": company_id,
                             "url": format!("https://api.intercom.io/companies/{company_id}")}));
            let n = list.len();
            contact["companies"]["total_count"] = json!(n);
            company["user_count"] = json!(company["user_count"].as_i64().unwrap_or(0) + 1);
        }
        (200, company.clone())
    }

    fn create_data_attribute(&mut self, body: &Value) -> Reply {
        let name = body["name"].as_str().unwrap_or_default();
        let model = body["model"].as_str().unwrap_or_default();
        if self.behaviour.refuse_underscore_names && name.contains('_') {
            return error(
                400,
                "parameter_invalid",
                "Your name for this attribute must only contain alphanumeric characters, currency symbols, and hyphens",
            );
        }
        // One namespace for contact and company attributes (erratum data-attribute-namespace;
        // the spec's 400 example words it so).
        if let Some(existing) = self.data_attributes.iter().find(|a| a["name"] == name) {
            let data = |m: &str| if m == "company" { "company" } else { "people" };
            return error(
                400,
                "parameter_invalid",
                format!(
                    "You already have '{name}' in your {} data. To save this as new {} data, use a different name.",
                    data(existing["model"].as_str().unwrap_or_default()),
                    data(model)
                ),
            );
        }
        let live = self
            .data_attributes
            .iter()
            .filter(|a| a["custom"] == true && a["archived"] != true)
            .count();
        if live >= MAX_DATA_ATTRIBUTES {
            return error(
                400,
                "parameter_invalid",
                format!(
                    "You have reached the limit of {MAX_DATA_ATTRIBUTES} custom data attributes; archive unused attributes to create new ones"
                ),
            );
        }
        let t = now();
        let n: i64 = self.id().parse().unwrap_or_default();
        let options: Vec<String> = body["options"]
            .as_array()
            .map(|o| {
                o.iter()
                    .filter_map(|x| x["value"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let data_type = if options.is_empty() {
            body["data_type"].as_str().unwrap_or("string").to_string()
        } else {
            "string".into()
        };
        let attr = json!({"type": "data_attribute", "id": n, "model": model, "name": name,
            "full_name": format!("custom_attributes.{name}"), "label": name,
            "description": body.get("description").and_then(Value::as_str).unwrap_or(""),
            "data_type": data_type, "options": options, "api_writable": true,
            "messenger_writable": body.get("messenger_writable").and_then(Value::as_bool).unwrap_or(false),
            "ui_writable": true, "custom": true, "archived": false, "created_at": t, "updated_at": t});
        self.data_attributes.push(attr.clone());
        (200, attr)
    }

    fn create_tag(&mut self, body: &Value) -> Reply {
        let Some(name) = body.get("name").and_then(Value::as_str) else {
            return error(400, "parameter_not_found", "name is required");
        };
        // Names are case-insensitive: creating an existing tag returns it.
        if let Some(t) = self.tags.values().find(|t| {
            t["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        }) {
            return (200, t.clone());
        }
        let id = self.id();
        let tag = json!({"type": "tag", "id": id, "name": name});
        self.tags.insert(id, tag.clone());
        (200, tag)
    }

    fn create_ticket_type(&mut self, body: &Value) -> Reply {
        let t = now();
        let id = self.id();
        let mut tt = json!({"type": "ticket_type", "id": id,
            "category": body.get("category").and_then(Value::as_str).unwrap_or("Customer"),
            "name": body["name"], "description": body.get("description").and_then(Value::as_str).unwrap_or(""),
            "icon": body.get("icon").and_then(Value::as_str).unwrap_or("🎟️"), "workspace_id": "sim",
            "ticket_type_attributes": {"type": "list", "data": []},
            "archived": false, "created_at": t, "updated_at": t});
        for (name, desc, multiline) in [
            ("_default_title_", "Title", false),
            ("_default_description_", "Description", true),
        ] {
            let attr = self.ticket_type_attribute(&id, name, desc, "string", true, multiline, None);
            tt["ticket_type_attributes"]["data"]
                .as_array_mut()
                .expect("list")
                .push(attr);
        }
        // A new type gets the workspace's default states.
        for st in self
            .ticket_states
            .iter_mut()
            .filter(|st| st["default"] == true)
        {
            if let Some(ids) = st["ticket_type_ids"].as_array_mut() {
                ids.push(json!(id));
            }
        }
        self.ticket_types.insert(id, tt.clone());
        (200, with_states(tt, &self.ticket_states))
    }

    /// The ticket type's own states (erratum ticket-state-per-type).
    fn states_of_type(&self, type_id: &str) -> Vec<&Value> {
        self.ticket_states
            .iter()
            .filter(|st| {
                st["ticket_type_ids"]
                    .as_array()
                    .is_some_and(|ids| ids.iter().any(|i| i == type_id))
            })
            .collect()
    }

    /// GET /ticket_states: each state with the types it belongs to.
    fn ticket_states_detailed(&self) -> Value {
        let data: Vec<Value> = self
            .ticket_states
            .iter()
            .map(|st| {
                let types: Vec<Value> = st["ticket_type_ids"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| self.ticket_types.get(i.as_str()?))
                    .map(|tt| {
                        let mut tt = tt.clone();
                        tt.as_object_mut().map(|o| o.remove("ticket_type_attributes"));
                        tt
                    })
                    .collect();
                json!({"type": "ticket_state", "id": st["id"], "category": st["category"],
                       "internal_label": st["internal_label"], "external_label": st["external_label"],
                       "archived": st["archived"],
                       "ticket_types": {"type": "list", "data": types}})
            })
            .collect();
        json!({"type": "list", "data": data})
    }

    #[allow(clippy::too_many_arguments)]
    fn ticket_type_attribute(
        &mut self,
        type_id: &str,
        name: &str,
        description: &str,
        data_type: &str,
        default: bool,
        multiline: bool,
        list_items: Option<&str>,
    ) -> Value {
        let t = now();
        let id = self.id();
        let mut input_options = json!({"multiline": multiline});
        if let Some(items) = list_items {
            let options: Vec<Value> = items
                .split(',')
                .map(|label| {
                    self.next_id += 1;
                    json!({"id": format!("{:08x}-0000-4000-8000-{:012x}", self.next_id, self.next_id),
                           "label": label.trim(), "archived": false})
                })
                .collect();
            input_options = json!({"list_options": options});
        }
        json!({"type": "ticket_type_attribute", "id": id, "workspace_id": "sim", "name": name,
            "description": description, "data_type": data_type, "input_options": input_options,
            "order": 0, "required_to_create": false, "required_to_create_for_contacts": false,
            "visible_on_create": true, "visible_to_contacts": true, "default": default,
            "ticket_type_id": type_id.parse::<i64>().unwrap_or_default(), "archived": false,
            "created_at": t, "updated_at": t})
    }

    fn create_ticket_type_attribute(&mut self, type_id: &str, body: &Value) -> Reply {
        if !self.ticket_types.contains_key(type_id) {
            return not_found("ticket_type", type_id);
        }
        let name = body["name"].as_str().unwrap_or_default().to_string();
        let exists = self.ticket_types[type_id]["ticket_type_attributes"]["data"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["name"] == name.as_str()));
        if exists {
            return error(
                400,
                "parameter_invalid",
                format!("An attribute named '{name}' already exists on this ticket type"),
            );
        }
        let data_type = body["data_type"].as_str().unwrap_or("string").to_string();
        if data_type == "list" && body.get("list_items").and_then(Value::as_str).is_none() {
            return error(
                400,
                "parameter_invalid",
                "list_items is required for list attributes",
            );
        }
        let mut attr = self.ticket_type_attribute(
            type_id,
            &name,
            body["description"].as_str().unwrap_or_default(),
            &data_type,
            false,
            body.get("multiline")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            body.get("list_items").and_then(Value::as_str),
        );
        for key in [
            "required_to_create",
            "required_to_create_for_contacts",
            "visible_on_create",
            "visible_to_contacts",
        ] {
            if let Some(v) = body.get(key).filter(|v| v.is_boolean()) {
                attr[key] = v.clone();
            }
        }
        let tt = self.ticket_types.get_mut(type_id).expect("checked");
        let list = tt["ticket_type_attributes"]["data"]
            .as_array_mut()
            .expect("list");
        attr["order"] = json!(list.len());
        list.push(attr.clone());
        (200, attr)
    }

    fn admin(&self, id: &str) -> Option<&Value> {
        self.admins.iter().find(|a| a["id"] == id)
    }

    fn create_ticket(&mut self, body: &Value) -> Reply {
        let type_id = body["ticket_type_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let Some(tt) = self.ticket_types.get(&type_id).cloned() else {
            return error(
                400,
                "parameter_invalid",
                format!("Ticket type {type_id} not found"),
            );
        };
        let contact_ref = &body["contacts"][0];
        let contact = self
            .contacts
            .values()
            .find(|c| {
                (contact_ref.get("id").is_some() && c["id"] == contact_ref["id"])
                    || (contact_ref.get("external_id").is_some()
                        && c["external_id"] == contact_ref["external_id"])
                    || (contact_ref.get("email").is_some() && c["email"] == contact_ref["email"])
            })
            .cloned();
        let contact = match contact {
            Some(c) => c,
            None if contact_ref.get("email").is_some() => {
                self.create_contact(&json!({"email": contact_ref["email"], "role": "user"}))
                    .1
            }
            None => return error(404, "not_found", "Contact not found"),
        };
        if let Some(cid) = body.get("company_id").and_then(Value::as_str)
            && !self.companies.contains_key(cid)
        {
            return not_found("company", cid);
        }
        let attrs = match self.check_ticket_attributes(&tt, body.get("ticket_attributes")) {
            Ok(a) => a,
            Err(e) => return e,
        };
        // The links the spec allows: a back-office or tracker ticket to a customer ticket (or
        // a conversation, which the simulator does not hold).
        let link = body.get("conversation_to_link_id").and_then(Value::as_str);
        if let Some(other) = link {
            let Some(target) = self.tickets.get(other) else {
                return not_found("conversation", other);
            };
            let allowed = matches!(tt["category"].as_str(), Some("Back-office" | "Tracker"))
                && target["category"] == "Customer";
            if !allowed {
                return error(
                    400,
                    "parameter_invalid",
                    format!(
                        "A {} ticket cannot be linked to a {} ticket",
                        tt["category"].as_str().unwrap_or("?"),
                        target["category"].as_str().unwrap_or("?")
                    ),
                );
            }
        }
        let (mut admin_assignee, mut team_assignee) = (0i64, 0i64);
        if let Some(a) = body.get("assignment") {
            if let Some(id) = a.get("admin_assignee_id").and_then(Value::as_str) {
                if self.admin(id).is_none() {
                    return error(404, "assignee_not_found", format!("Admin {id} not found"));
                }
                admin_assignee = id.parse().unwrap_or_default();
            }
            if let Some(id) = a.get("team_assignee_id").and_then(Value::as_str) {
                if !self.teams.iter().any(|t| t["id"] == id) {
                    return error(404, "team_not_found", format!("Team {id} not found"));
                }
                team_assignee = id.parse().unwrap_or_default();
            }
        }
        let t = now();
        let created = body.get("created_at").and_then(Value::as_i64).unwrap_or(t);
        let id = self.id();
        let number = self.tickets.len() + 1;
        let state = self.state_of(&type_id, "submitted");
        // Intercom's own first part (the POST /tickets example, spec line 20250).
        let first = self.system_part(
            "ticket_state_updated_by_admin",
            None,
            json!({"ticket_state": "submitted", "previous_ticket_state": "submitted"}),
        );
        let mut ticket_type = tt.clone();
        ticket_type
            .as_object_mut()
            .expect("object")
            .remove("ticket_states");
        let ticket = json!({"type": "ticket", "id": id, "ticket_id": number.to_string(),
            "category": tt["category"], "ticket_attributes": attrs, "ticket_state": state,
            "ticket_type": ticket_type,
            "contacts": {"type": "contact.list", "contacts": [
                {"type": "contact", "id": contact["id"], "external_id": contact["external_id"]}]},
            "company_id": body.get("company_id"),
            "admin_assignee_id": admin_assignee, "team_assignee_id": team_assignee,
            "created_at": created, "updated_at": t, "open": true,
            "linked_objects": {"type": "list", "total_count": 0, "has_more": false, "data": []},
            "ticket_parts": {"type": "ticket_part.list", "ticket_parts": [first], "total_count": 1},
            "tags": {"type": "tag.list", "tags": []},
            "is_shared": false, "previous_ticket_state_id": null});
        if tt["category"] == "Customer" {
            *self.customer_visible.entry("tickets".into()).or_default() += 1;
        }
        let mut ticket = ticket;
        if let Some(other) = link {
            let category = self.tickets[other]["category"].clone();
            link_to(&mut ticket, other, &category);
            if let Some(target) = self.tickets.get_mut(other) {
                link_to(target, &id, &tt["category"]);
            }
        }
        self.indexed_at.insert(id.clone(), now_f());
        self.tickets.insert(id, ticket.clone());
        (200, public_ticket(&ticket))
    }

    /// A part Intercom writes itself (state changes, assignments, attribute updates), by the
    /// admin the request names or else by its bot, at the current time.
    fn system_part(&mut self, part_type: &str, admin_id: Option<&str>, extra: Value) -> Value {
        let t = now();
        let author = match admin_id.and_then(|a| self.admin(a)) {
            Some(a) => {
                json!({"type": "admin", "id": a["id"], "name": a["name"], "email": a["email"]})
            }
            None => json!({"type": "bot", "id": "991267999", "name": "Fin",
                           "email": "operator+sim@intercom.io"}),
        };
        let mut part = json!({"type": "ticket_part", "id": self.id(), "part_type": part_type,
            "created_at": t, "updated_at": t, "author": author, "attachments": [], "redacted": false});
        for (k, v) in extra.as_object().into_iter().flatten() {
            part[k] = v.clone();
        }
        part
    }

    /// Keys must be attributes of the type; list values must be one of its list item ids.
    fn check_ticket_attributes(&self, tt: &Value, attrs: Option<&Value>) -> Result<Value, Reply> {
        let Some(attrs) = attrs.and_then(Value::as_object) else {
            return Ok(json!({}));
        };
        let defs = tt["ticket_type_attributes"]["data"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (k, v) in attrs {
            let Some(def) = defs.iter().find(|d| d["name"] == k.as_str()) else {
                return Err(error(
                    400,
                    "parameter_invalid",
                    format!(
                        "Ticket attribute '{k}' does not exist on ticket type {}",
                        tt["id"]
                    ),
                ));
            };
            if v.is_null() {
                continue;
            }
            let ok = match def["data_type"].as_str().unwrap_or("string") {
                "string" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "decimal" => v.is_number(),
                "boolean" => v.is_boolean(),
                "datetime" => v.is_i64() || v.is_string(),
                "list" => def["input_options"]["list_options"]
                    .as_array()
                    .is_some_and(|o| o.iter().any(|x| x["id"] == *v)),
                _ => true,
            };
            if !ok {
                return Err(error(
                    400,
                    "parameter_invalid",
                    format!(
                        "Ticket attribute '{k}' has an invalid value {v} for type {}",
                        def["data_type"]
                    ),
                ));
            }
        }
        Ok(Value::Object(attrs.clone()))
    }

    /// The first state of `category` that belongs to the type.
    fn state_of(&self, type_id: &str, category: &str) -> Value {
        let s = self
            .states_of_type(type_id)
            .into_iter()
            .find(|s| s["category"] == category)
            .cloned()
            .unwrap_or(json!({}));
        public_state(&s)
    }

    fn update_ticket(&mut self, id: &str, body: &Value) -> Reply {
        let Some(ticket) = self.tickets.get(id).cloned() else {
            return not_found("ticket", id);
        };
        let mut ticket = ticket;
        let type_id = ticket["ticket_type"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let admin_id = body.get("admin_id").map(crate::intercom::id_text);
        let mut added = Vec::new();
        if let Some(state_id) = body.get("ticket_state_id").and_then(Value::as_str) {
            // The spec's 400 (line 20631): a state of another type is not a state of this one.
            let Some(st) = self
                .states_of_type(&type_id)
                .into_iter()
                .find(|st| st["id"] == state_id)
                .cloned()
            else {
                return error(
                    400,
                    "ticket_state_id_invalid",
                    "Ticket state id is not valid or is not associated with the ticket type",
                );
            };
            let category = st["category"].as_str().unwrap_or_default().to_string();
            let previous = ticket["ticket_state"]["category"].clone();
            ticket["previous_ticket_state_id"] = ticket["ticket_state"]["id"].clone();
            ticket["ticket_state"] = public_state(&st);
            ticket["open"] = json!(category != "resolved");
            added.push(self.system_part(
                "ticket_state_updated_by_admin",
                admin_id.as_deref(),
                json!({"ticket_state": category, "previous_ticket_state": previous}),
            ));
        }
        if let Some(open) = body.get("open").and_then(Value::as_bool) {
            ticket["open"] = json!(open);
        }
        if let Some(assignee) = body.get("assignee_id").and_then(Value::as_str) {
            if assignee == "0" {
                ticket["admin_assignee_id"] = json!(0);
            } else if self.admin(assignee).is_some() {
                ticket["admin_assignee_id"] = json!(assignee.parse::<i64>().unwrap_or_default());
            } else if self.teams.iter().any(|t| t["id"] == assignee) {
                ticket["team_assignee_id"] = json!(assignee.parse::<i64>().unwrap_or_default());
            } else {
                return error(
                    404,
                    "assignee_not_found",
                    format!("Assignee {assignee} not found"),
                );
            }
            let whom = if self.teams.iter().any(|t| t["id"] == assignee) {
                "team"
            } else {
                "admin"
            };
            let part = self.system_part(
                "assignment",
                admin_id.as_deref(),
                json!({"assigned_to": {"type": whom, "id": assignee}}),
            );
            added.push(part);
        }
        if let Some(attrs) = body.get("ticket_attributes") {
            let tt = self
                .ticket_types
                .get(ticket["ticket_type"]["id"].as_str().unwrap_or_default());
            let checked = match tt.map(|tt| self.check_ticket_attributes(tt, Some(attrs))) {
                Some(Ok(a)) => a,
                Some(Err(e)) => return e,
                None => json!({}),
            };
            for (k, v) in checked.as_object().into_iter().flatten() {
                if ticket["ticket_attributes"][k] != *v {
                    // As the spec types it: ids and labels are text.
                    let shown = match v {
                        Value::Null => String::new(),
                        other => crate::intercom::id_text(other),
                    };
                    let part = self.system_part(
                        "ticket_attribute_updated_by_admin",
                        admin_id.as_deref(),
                        json!({"updated_attribute_data": {
                            "attribute": {"type": "attribute", "id": k, "label": k},
                            "value": {"type": "value", "id": shown, "label": shown}}}),
                    );
                    added.push(part);
                }
                ticket["ticket_attributes"][k] = v.clone();
            }
        }
        if let Some(parts) = ticket["ticket_parts"]["ticket_parts"].as_array_mut() {
            parts.extend(added);
            let n = parts.len();
            ticket["ticket_parts"]["total_count"] = json!(n);
        }
        ticket["updated_at"] = json!(now());
        self.tickets.insert(id.to_string(), ticket.clone());
        (200, public_ticket(&ticket))
    }

    fn reply(&mut self, ticket_id: &str, body: &Value) -> Reply {
        let Some(ticket) = self.tickets.get(ticket_id) else {
            return not_found("ticket", ticket_id);
        };
        if ticket["category"] == "Back-office" && body["type"] == "user" {
            return error(
                400,
                "parameter_mismatch",
                "User replies are not allowed on Backoffice tickets",
            );
        }
        // Intercom-OpenAPI PR #671: admin comments are refused on tracker tickets and on
        // back-office tickets not shared with the customer; notes are fine.
        let unshared = ticket["category"] == "Tracker"
            || (ticket["category"] == "Back-office" && ticket["is_shared"] != true);
        if unshared && body["type"] == "admin" && body["message_type"] == "comment" {
            return error(
                400,
                "parameter_mismatch",
                "Admin comments are not allowed on this ticket: use a note",
            );
        }
        let author = if body["type"] == "admin" {
            let id = body["admin_id"].as_str().unwrap_or_default();
            match self.admin(id) {
                Some(a) => {
                    json!({"type": "admin", "id": id, "name": a["name"], "email": a["email"]})
                }
                None => return error(404, "not_found", format!("Admin {id} not found")),
            }
        } else {
            let found = self.contacts.values().find(|c| {
                body.get("intercom_user_id").is_some_and(|v| c["id"] == *v)
                    || body.get("user_id").is_some_and(|v| c["external_id"] == *v)
                    || body.get("email").is_some_and(|v| c["email"] == *v)
            });
            match found {
                // Erratum reply-from-non-participant: until a sandbox says otherwise, only a
                // contact on the ticket may reply as a user.
                Some(c)
                    if !ticket["contacts"]["contacts"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|p| p["id"] == c["id"])) =>
                {
                    return error(
                        400,
                        "parameter_invalid",
                        format!(
                            "Contact {} is not a participant of ticket {ticket_id}: add them first",
                            c["id"].as_str().unwrap_or_default()
                        ),
                    );
                }
                Some(c) => {
                    let mut a = json!({"type": "user", "id": c["id"], "name": c["name"]});
                    // A phone-only contact has no address; the spec's author.email is format: email.
                    if c["email"].as_str().is_some_and(|e| !e.is_empty()) {
                        a["email"] = c["email"].clone();
                    }
                    a
                }
                None => return error(404, "not_found", "User Not Found"),
            }
        };
        let files = body
            .get("attachment_files")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut attachments = Vec::new();
        let part_id = self.id();
        for f in &files {
            let data = f["data"].as_str().unwrap_or_default();
            let Ok(bytes) = base64_decode(data) else {
                return error(
                    400,
                    "parameter_invalid",
                    "attachment_files data is not base64",
                );
            };
            if bytes.len() > MAX_FILE_BYTES {
                return error(
                    400,
                    "parameter_invalid",
                    format!("{} is larger than {MAX_FILE_BYTES} bytes", f["name"]),
                );
            }
            let name = f["name"].as_str().unwrap_or("file").to_string();
            let content_type = f["content_type"]
                .as_str()
                .unwrap_or("application/octet-stream")
                .to_string();
            attachments.push(json!({"type": "upload", "name": name,
                "url": format!("https://sim.invalid/files/{part_id}/{name}"),
                "content_type": content_type, "filesize": bytes.len()}));
            self.files.push(StoredFile {
                ticket_id: ticket_id.to_string(),
                part_id: part_id.clone(),
                name,
                content_type,
                size: bytes.len(),
                sha256: hex::encode(Sha256::digest(&bytes)),
            });
        }
        let t = now();
        let stored_body = match body.get("body").and_then(Value::as_str) {
            Some(b) if !self.behaviour.raw_bodies => json!(super::sanitize::sanitize(b)),
            _ => body.get("body").cloned().unwrap_or(Value::Null),
        };
        let part_type = body["message_type"].as_str().unwrap_or("comment");
        if part_type == "comment" {
            *self.customer_visible.entry("comments".into()).or_default() += 1;
        }
        let mut created_at = body.get("created_at").and_then(Value::as_i64).unwrap_or(t);
        let ticket_created = self.tickets[ticket_id]["created_at"].as_i64().unwrap_or(t);
        if self.behaviour.clamp_backdated && created_at < ticket_created {
            created_at = ticket_created;
        }
        let part = json!({"type": "ticket_part", "id": part_id,
            "part_type": part_type,
            "body": stored_body,
            "created_at": created_at,
            "updated_at": t, "author": author, "attachments": attachments, "redacted": false});
        let ticket = self.tickets.get_mut(ticket_id).expect("checked");
        let parts = ticket["ticket_parts"]["ticket_parts"]
            .as_array_mut()
            .expect("parts");
        parts.push(part.clone());
        let n = parts.len();
        ticket["ticket_parts"]["total_count"] = json!(n);
        ticket["updated_at"] = json!(t);
        (200, part)
    }

    /// `POST /conversations/{id}/reply` on a ticket's id: the same part as the tickets
    /// endpoint's reply, answered as the conversation with that part (the spec's example).
    fn reply_as_conversation(&mut self, ticket_id: &str, body: &Value) -> Reply {
        let mut body = body.clone();
        if self.behaviour.drop_contact_reply_files
            && body["type"] == "user"
            && let Some(o) = body.as_object_mut()
        {
            o.remove("attachment_files");
        }
        let (status, part) = self.reply(ticket_id, &body);
        if status != 200 {
            return (status, part);
        }
        let ticket = &self.tickets[ticket_id];
        let contacts: Vec<Value> = ticket["contacts"]["contacts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|c| json!({"type": "contact", "id": c["id"], "external_id": c["external_id"]}))
            .collect();
        // A contact's comment is an `open` part in a conversation (spec example, line ≈11888).
        let mut part = part;
        part["type"] = json!("conversation_part");
        if body["type"] == "user" && part["part_type"] == "comment" {
            part["part_type"] = json!("open");
        }
        (
            200,
            json!({"type": "conversation", "id": ticket_id,
                   "created_at": ticket["created_at"], "updated_at": ticket["updated_at"],
                   "contacts": {"type": "contact.list", "contacts": contacts},
                   "conversation_parts": {"type": "conversation_part.list",
                                          "conversation_parts": [part], "total_count": 1}}),
        )
    }

    /// POST /conversations/{id}/customers on a ticket's id: the contact becomes a participant
    /// (answered with the conversation's `customers`, as the spec's example shows).
    fn add_participant(&mut self, ticket_id: &str, body: &Value) -> Reply {
        let who = &body["customer"];
        let Some(contact) = self
            .contacts
            .values()
            .find(|c| {
                who.get("intercom_user_id").is_some_and(|v| c["id"] == *v)
                    || who.get("user_id").is_some_and(|v| c["external_id"] == *v)
                    || who.get("email").is_some_and(|v| c["email"] == *v)
            })
            .cloned()
        else {
            return error(404, "not_found", "Resource Not Found");
        };
        if self.behaviour.refuse_participants && self.tickets.contains_key(ticket_id) {
            return error(404, "not_found", "Conversation Not Found");
        }
        let Some(ticket) = self.tickets.get_mut(ticket_id) else {
            return error(404, "not_found", "Resource Not Found");
        };
        let list = ticket["contacts"]["contacts"]
            .as_array_mut()
            .expect("contacts");
        if !list.iter().any(|p| p["id"] == contact["id"]) {
            list.push(json!({"type": "contact", "id": contact["id"],
                             "external_id": contact["external_id"]}));
        }
        let customers: Vec<Value> = list
            .iter()
            .map(|p| json!({"type": "user", "id": p["id"]}))
            .collect();
        (200, json!({"customers": customers}))
    }

    fn tag_ticket(&mut self, ticket_id: &str, body: &Value) -> Reply {
        let tag_id = body["id"].as_str().unwrap_or_default().to_string();
        let admin_id = body["admin_id"].as_str().unwrap_or_default().to_string();
        let Some(tag) = self.tags.get(&tag_id).cloned() else {
            return not_found("tag", &tag_id);
        };
        let Some(admin) = self.admin(&admin_id).cloned() else {
            return error(404, "not_found", format!("Admin {admin_id} not found"));
        };
        let Some(ticket) = self.tickets.get_mut(ticket_id) else {
            return not_found("ticket", ticket_id);
        };
        let applied = json!({"type": "tag", "id": tag_id, "name": tag["name"], "applied_at": now(),
                             "applied_by": {"type": "admin", "id": admin["id"]}});
        let tags = ticket["tags"]["tags"].as_array_mut().expect("tags");
        if !tags.iter().any(|t| t["id"] == tag_id.as_str()) {
            tags.push(applied.clone());
        }
        (200, applied)
    }

    /// Intercom's search: a single filter or AND/OR of filters over object fields. Eventually
    /// consistent (erratum search-lag): an object younger than the lag is not found yet;
    /// archived contacts are not found.
    fn search<'a>(&self, objects: impl Iterator<Item = &'a Value>, body: &Value) -> Vec<Value> {
        let horizon = now_f() - self.behaviour.search_lag;
        objects
            .filter(|o| {
                o["id"]
                    .as_str()
                    .and_then(|id| self.indexed_at.get(id))
                    .is_none_or(|t| *t <= horizon)
            })
            .filter(|o| o["archived"] != true)
            .filter(|o| matches(o, &body["query"]))
            .cloned()
            .map(|o| {
                if o["type"] == "ticket" {
                    public_ticket(&o)
                } else {
                    o
                }
            })
            .collect()
    }

    /// Everything, for `GET /__sim/state` and the state file.
    pub fn dump(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// How many of each object the workspace holds, cheap at any size (`/__sim/stats`).
    pub fn census(&self) -> Value {
        let parts: usize = self
            .tickets
            .values()
            .map(|t| {
                t["ticket_parts"]["ticket_parts"]
                    .as_array()
                    .map_or(0, Vec::len)
            })
            .sum();
        json!({
            "companies": self.companies.len(),
            "contacts": self.contacts.len(),
            "tickets": self.tickets.len(),
            "ticket_parts": parts,
            "notes": self.notes.len(),
            "articles": self.articles.len() + self.internal_articles.len(),
        })
    }
}

/// The ticket exactly as the spec's ticket object (the sim keeps company and tags on it for its
/// own use; the schema has neither), with the 500 most recent parts.
fn public_ticket(t: &Value) -> Value {
    let mut t = t.clone();
    if let Some(o) = t.as_object_mut() {
        o.remove("company_id");
        o.remove("tags");
    }
    if let Some(parts) = t["ticket_parts"]["ticket_parts"].as_array_mut()
        && parts.len() > MAX_PARTS_READ
    {
        let cut = parts.len() - MAX_PARTS_READ;
        parts.drain(..cut);
    }
    t
}

fn public_state(s: &Value) -> Value {
    json!({"type": "ticket_state", "id": s["id"], "category": s["category"],
           "internal_label": s["internal_label"], "external_label": s["external_label"]})
}

/// The type as GET /ticket_types/{id} answers it: with the states that belong to it.
fn with_states(mut tt: Value, states: &[Value]) -> Value {
    let id = tt["id"].clone();
    let own = states.iter().filter(|s| {
        s["ticket_type_ids"]
            .as_array()
            .is_some_and(|ids| ids.contains(&id))
    });
    tt["ticket_states"] = json!({"type": "list", "data": own.map(|s| json!({
        "type": "ticket_state", "id": s["id"], "category": s["category"],
        "internal_label": s["internal_label"], "external_label": s["external_label"]})).collect::<Vec<_>>()});
    tt
}

fn strip_company(contact: &mut Value, company_id: &str) {
    if let Some(list) = contact["companies"]["data"].as_array_mut() {
        list.retain(|c| c["id"] != company_id);
        let n = list.len();
        contact["companies"]["total_count"] = json!(n);
    }
}

fn field<'a>(o: &'a Value, name: &str) -> Option<&'a Value> {
    if let Some(attr) = name.strip_prefix("ticket_attribute.") {
        // By attribute id: find its name on the ticket's type.
        let defs = o["ticket_type"]["ticket_type_attributes"]["data"].as_array()?;
        let def = defs.iter().find(|d| d["id"] == attr)?;
        return o["ticket_attributes"].get(def["name"].as_str()?);
    }
    match name {
        "ticket_type_id" => o["ticket_type"].get("id"),
        "contact_ids" => o["contacts"]["contacts"].get(0).and_then(|c| c.get("id")),
        "state" => o["ticket_state"].get("category"),
        _ => name.split('.').try_fold(o, |v, k| v.get(k)),
    }
}

fn matches(o: &Value, q: &Value) -> bool {
    let op = q["operator"].as_str().unwrap_or("=");
    if op == "AND" || op == "OR" {
        let subs = q["value"].as_array().cloned().unwrap_or_default();
        return if op == "AND" {
            subs.iter().all(|s| matches(o, s))
        } else {
            subs.iter().any(|s| matches(o, s))
        };
    }
    let Some(name) = q["field"].as_str() else {
        return false;
    };
    let actual = field(o, name).cloned().unwrap_or(Value::Null);
    let text = |v: &Value| match v {
        Value::String(s) => s.to_lowercase(),
        other => other.to_string(),
    };
    let want = &q["value"];
    match op {
        "=" => text(&actual) == text(want),
        "!=" => text(&actual) != text(want),
        "IN" => want
            .as_array()
            .is_some_and(|a| a.iter().any(|w| text(w) == text(&actual))),
        "NIN" => want
            .as_array()
            .is_some_and(|a| !a.iter().any(|w| text(w) == text(&actual))),
        "~" => text(&actual).contains(&text(want)),
        "^" => text(&actual).starts_with(&text(want)),
        "$" => text(&actual).ends_with(&text(want)),
        ">" => actual
            .as_f64()
            .zip(want.as_f64())
            .is_some_and(|(a, b)| a > b),
        "<" => actual
            .as_f64()
            .zip(want.as_f64())
            .is_some_and(|(a, b)| a < b),
        _ => false,
    }
}

/// Cursor pagination: `starting_after` is the offset of the next page.
fn page(items: Vec<Value>, per_page: usize, starting_after: Option<&str>) -> (Vec<Value>, Value) {
    let per_page = per_page.clamp(1, 150);
    let offset: usize = starting_after.and_then(|s| s.parse().ok()).unwrap_or(0);
    let total = items.len();
    let total_pages = total.div_ceil(per_page).max(1);
    let data: Vec<Value> = items.into_iter().skip(offset).take(per_page).collect();
    let mut pages = json!({"type": "pages", "page": offset / per_page + 1, "per_page": per_page,
                           "total_pages": total_pages});
    if offset + per_page < total {
        pages["next"] =
            json!({"per_page": per_page, "starting_after": (offset + per_page).to_string()});
    }
    (data, pages)
}

fn search_page(found: Vec<Value>, kind: &str, body: &Value) -> Reply {
    let total = found.len();
    let per_page = body["pagination"]["per_page"]
        .as_u64()
        .unwrap_or(if kind == "list" { 50 } else { 20 });
    let (data, pages) = page(
        found,
        per_page as usize,
        body["pagination"]["starting_after"].as_str(),
    );
    let key = if kind == "ticket.list" {
        "tickets"
    } else {
        "data"
    };
    (
        200,
        json!({"type": kind, key: data, "total_count": total, "pages": pages}),
    )
}

/// The real API's 409 for a second contact with the same external_id or e-mail (not in the spec).
fn duplicate_contact(dup: &Value) -> Reply {
    let archived = if dup["archived"] == true {
        "An archived contact"
    } else {
        "A contact"
    };
    error(
        409,
        "conflict",
        format!(
            "{archived} matching those details already exists with id={}",
            dup["id"].as_str().unwrap_or("")
        ),
    )
}

fn now_f() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

fn list(items: Vec<Value>, kind: &str, query: &BTreeMap<String, String>) -> Reply {
    let total = items.len();
    let per_page = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(15);
    let (data, pages) = page(
        items,
        per_page,
        query.get("starting_after").map(String::as_str),
    );
    (
        200,
        json!({"type": kind, "data": data, "total_count": total, "pages": pages}),
    )
}

fn base64_decode(data: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(data.trim())
}
