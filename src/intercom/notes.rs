//! Notes on a contact or a company: the two live under their owner's path
//! (`/contacts/{id}/notes`, `/companies/{id}/notes`), take the same body and answer the same
//! `note`, so the loader, verify and the simulator name the owner and this module the path.
//! Neither can be edited or deleted through the API: a note goes when its owner is deleted.

use reqwest::Method;
use serde_json::Value;

use super::client::{ApiError, Client};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteOn {
    Contact,
    Company,
}

impl NoteOn {
    /// The owner named as the outbox names it (`outbox_customer_notes.target`).
    pub fn of_target(target: &str) -> Option<NoteOn> {
        match target {
            "contact" => Some(NoteOn::Contact),
            "company" => Some(NoteOn::Company),
            _ => None,
        }
    }

    /// The owner's ledger object type.
    pub fn owner_type(self) -> &'static str {
        match self {
            NoteOn::Contact => "contact",
            NoteOn::Company => "company",
        }
    }

    /// The note's ledger object type (`load::objects`).
    pub fn object_type(self) -> &'static str {
        match self {
            NoteOn::Contact => "contact_note",
            NoteOn::Company => "company_note",
        }
    }

    pub fn path(self, owner_id: &str) -> String {
        let owner = match self {
            NoteOn::Contact => "contacts",
            NoteOn::Company => "companies",
        };
        format!("/{owner}/{}/notes", super::client::encoded(owner_id))
    }
}

impl Client {
    pub async fn create_note(
        &self,
        on: NoteOn,
        owner_id: &str,
        payload: &Value,
    ) -> Result<Value, ApiError> {
        self.call(Method::POST, &on.path(owner_id), Some(payload))
            .await
    }

    /// The first note of the owner that `matches`, page by page. Notes carry no id of ours, so
    /// this is how a resumed load finds the note a killed one created; a first send never lists.
    pub async fn find_note(
        &self,
        on: NoteOn,
        owner_id: &str,
        matches: impl Fn(&Value) -> bool,
    ) -> Result<Option<Value>, ApiError> {
        let mut page = 1;
        loop {
            let path = format!("{}?page={page}", on.path(owner_id));
            let list = self.call(Method::GET, &path, None).await?;
            let data = list["data"].as_array().cloned().unwrap_or_default();
            if let Some(found) = data.into_iter().find(|v| matches(v)) {
                return Ok(Some(found));
            }
            let total = list["pages"]["total_pages"].as_u64().unwrap_or(1);
            if page >= total {
                return Ok(None);
            }
            page += 1;
        }
    }
}
