//! `ostmig.toml`: every mapping override, with defaults. Unknown keys and wrong types are errors
//! that name the key and the line (toml's own messages), so a typo never silently does nothing.

use std::path::Path;

use serde::Deserialize;

use crate::error::Hinted;

/// Free-mail providers: users on these domains are never linked to a company by domain.
/// `*` matches any one label (yahoo.* matches yahoo.co.uk and yahoo.fr).
pub const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.*",
    "live.*",
    "msn.com",
    "yahoo.*",
    "ymail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "gmx.*",
    "web.de",
    "t-online.de",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "mail.com",
    "mail.ru",
    "yandex.*",
    "zoho.com",
    "fastmail.com",
    "hey.com",
    "qq.com",
    "163.com",
    "126.com",
    "naver.com",
    "free.fr",
    "orange.fr",
    "laposte.net",
    "libero.it",
    "btinternet.com",
    "comcast.net",
    "verizon.net",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub companies: Companies,
    pub admins: Admins,
    pub teams: Teams,
    pub topics: Topics,
    pub attributes: Attributes,
    pub notes: Notes,
    pub attachments: Attachments,
    pub tickets: Tickets,
    pub tasks: Tasks,
    pub statuses: Statuses,
    pub priorities: Priorities,
    /// What osTicket's activity history (`thread_event`) becomes.
    pub events: EventsPolicy,
    /// What a ticket's collaborators (CCs) become.
    pub participants: ParticipantsPolicy,
}

#[derive(Debug, Default, Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum ParticipantsPolicy {
    /// Each CC who is a contact is added to the ticket before its first part, and their
    /// messages are their own replies.
    #[default]
    Add,
    /// For a workspace that refuses participants on tickets: their messages are admin notes
    /// naming them, and a note at the ticket's start lists the CCs.
    Notes,
}

#[derive(Debug, Default, Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum EventsPolicy {
    /// One admin note per event, at its original time ("Transferred to Billing by Kevin Chen").
    #[default]
    Notes,
    /// One admin note per ticket listing every event, at the time of the last one.
    Summary,
    /// Nothing is sent; every event is listed in the ticket-events report.
    Skip,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Companies {
    /// Link users on sub.example.com to the organization owning example.com.
    pub link_subdomains: bool,
    /// More free-mail domains (patterns as in [`FREE_MAIL`]).
    pub free_mail_extra: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Admins {
    /// osTicket username → e-mail of the Intercom admin who takes over their tickets and replies.
    pub map: std::collections::BTreeMap<String, String>,
    /// E-mail of the Intercom admin who posts what no agent wrote: system entries, messages from
    /// people who are not contacts, and the notes that carry attachments.
    pub fallback: Option<String>,
}

/// The Intercom ticket type every migrated ticket gets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tickets {
    pub type_name: String,
}

impl Default for Tickets {
    fn default() -> Self {
        Tickets {
            type_name: "osTicket ticket".into(),
        }
    }
}

/// The Intercom back-office ticket type osTicket's tasks become.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tasks {
    pub type_name: String,
}

impl Default for Tasks {
    fn default() -> Self {
        Tasks {
            type_name: "osTicket task".into(),
        }
    }
}

/// Intercom ticket state categories a status can be mapped to.
pub const STATE_CATEGORIES: &[&str] = &["in_progress", "waiting_on_customer", "resolved"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Statuses {
    /// osTicket status name → Intercom state category (overrides the mapping by `state`).
    pub map: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Priorities {
    /// osTicket priority ("high") → value of the tickets' Priority attribute ("P2").
    pub map: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Teams {
    /// Department path ("Support / Tier 2") → name of the Intercom team inbox.
    pub map: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum TopicNaming {
    /// "Parent / Child"
    Path,
    /// "Child"
    Flat,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Topics {
    pub naming: TopicNaming,
}

impl Default for Topics {
    fn default() -> Self {
        Topics {
            naming: TopicNaming::Path,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Attributes {
    /// Prefix of every data attribute ostmig creates in Intercom.
    pub prefix: String,
}

impl Default for Attributes {
    fn default() -> Self {
        Attributes {
            prefix: "osticket-".into(),
        }
    }
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum NotesPolicy {
    /// Internal notes become Intercom notes.
    Note,
    /// Internal notes are not sent; they are listed in the reconciliation.
    Skip,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Notes {
    pub policy: NotesPolicy,
}

impl Default for Notes {
    fn default() -> Self {
        Notes {
            policy: NotesPolicy::Note,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Attachments {
    pub limit_bytes: u64,
    /// Base64 bytes one file note may carry (Intercom's limit for a request is not documented;
    /// a file larger than this goes alone).
    pub request_bytes: u64,
}

impl Default for Attachments {
    fn default() -> Self {
        Attachments {
            limit_bytes: 10 * 1024 * 1024,
            request_bytes: 8 * 1024 * 1024,
        }
    }
}

impl Config {
    /// Read `path`; a missing file means all defaults unless the user named it explicitly.
    pub fn load(path: &Path, explicit: bool) -> anyhow::Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                return Ok(Config::default());
            }
            Err(e) => {
                return Err(Hinted::new(
                    format!("cannot read the configuration {}: {e}", path.display()),
                    "check the path given to --config",
                )
                .into());
            }
        };
        Config::parse(&text).map_err(|e| {
            Hinted::new(
                format!(
                    "{} is not valid: {}",
                    path.display(),
                    e.trim_end().replace('\n', " ")
                ),
                "fix the key named above; README \"Configuration\" lists every key and its default",
            )
            .into()
        })
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        if config
            .attributes
            .prefix
            .chars()
            .any(|c| !c.is_ascii_alphanumeric() && c != '-')
        {
            return Err(format!(
                "attributes.prefix = {:?}: use letters, digits and hyphens only (Intercom attribute names)",
                config.attributes.prefix
            ));
        }
        if let Some((user, _)) = config
            .admins
            .map
            .iter()
            .find(|(_, email)| !email.contains('@'))
        {
            return Err(format!(
                "admins.map.{user}: the value must be the Intercom admin's e-mail address"
            ));
        }
        if let Some(email) = &config.admins.fallback
            && !email.contains('@')
        {
            return Err(format!(
                "admins.fallback = {email:?}: the value must be the Intercom admin's e-mail address"
            ));
        }
        if let Some((status, category)) = config
            .statuses
            .map
            .iter()
            .find(|(_, c)| !STATE_CATEGORIES.contains(&c.as_str()))
        {
            return Err(format!(
                "statuses.map.{status:?} = {category:?}: use one of {}",
                STATE_CATEGORIES.join(", ")
            ));
        }
        if let Some((priority, _)) = config
            .priorities
            .map
            .iter()
            .find(|(_, v)| v.trim().is_empty() || v.contains(','))
        {
            return Err(format!(
                "priorities.map.{priority:?}: the value must be a non-empty name without commas (it becomes a list option)"
            ));
        }
        if config.tickets.type_name.trim().is_empty() {
            return Err("tickets.type_name must not be empty".into());
        }
        if config.tasks.type_name.trim().is_empty() {
            return Err("tasks.type_name must not be empty".into());
        }
        if config.tasks.type_name.trim() == config.tickets.type_name.trim() {
            return Err(
                "tasks.type_name must differ from tickets.type_name: tasks are a back-office type of their own".into(),
            );
        }
        Ok(config)
    }

    /// The settings as (key, value) text rows for `config.setting`.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "companies.link_subdomains",
                self.companies.link_subdomains.to_string(),
            ),
            ("attributes.prefix", self.attributes.prefix.clone()),
            (
                "topics.naming",
                match self.topics.naming {
                    TopicNaming::Path => "path",
                    TopicNaming::Flat => "flat",
                }
                .into(),
            ),
            (
                "notes.policy",
                match self.notes.policy {
                    NotesPolicy::Note => "note",
                    NotesPolicy::Skip => "skip",
                }
                .into(),
            ),
            (
                "attachments.limit_bytes",
                self.attachments.limit_bytes.to_string(),
            ),
            (
                "attachments.request_bytes",
                self.attachments.request_bytes.to_string(),
            ),
            (
                "admins.fallback",
                self.admins
                    .fallback
                    .as_deref()
                    .map(|e| e.trim().to_lowercase())
                    .unwrap_or_default(),
            ),
            (
                "tickets.type_name",
                self.tickets.type_name.trim().to_string(),
            ),
            ("tasks.type_name", self.tasks.type_name.trim().to_string()),
            (
                "events",
                match self.events {
                    EventsPolicy::Notes => "notes",
                    EventsPolicy::Summary => "summary",
                    EventsPolicy::Skip => "skip",
                }
                .into(),
            ),
            (
                "participants",
                match self.participants {
                    ParticipantsPolicy::Add => "add",
                    ParticipantsPolicy::Notes => "notes",
                }
                .into(),
            ),
        ]
    }

    pub fn free_mail(&self) -> Vec<String> {
        let mut all: Vec<String> = FREE_MAIL.iter().map(|s| s.to_string()).collect();
        all.extend(
            self.companies
                .free_mail_extra
                .iter()
                .map(|s| s.trim().to_ascii_lowercase()),
        );
        all.sort();
        all.dedup();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_to_an_empty_file() {
        let c = Config::parse("").unwrap();
        assert!(!c.companies.link_subdomains);
        assert_eq!(c.notes.policy, NotesPolicy::Note);
        assert!(c.free_mail().contains(&"gmail.com".to_string()));
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let e = Config::parse("[companies]\nlink_subdomain = true\n").unwrap_err();
        assert!(e.contains("link_subdomain") && e.contains("line 2"), "{e}");
        let e = Config::parse("[notes]\npolicy = \"drop\"\n").unwrap_err();
        assert!(e.contains("drop") && e.contains("policy"), "{e}");
        let e = Config::parse("[attributes]\nprefix = \"os ticket\"\n").unwrap_err();
        assert!(e.contains("attributes.prefix"), "{e}");
        let e = Config::parse("[statuses.map]\nOnHold = \"paused\"\n").unwrap_err();
        assert!(
            e.contains("OnHold") && e.contains("waiting_on_customer"),
            "{e}"
        );
        let e = Config::parse("[admins]\nfallback = \"migration\"\n").unwrap_err();
        assert!(e.contains("admins.fallback"), "{e}");
        let e = Config::parse("events = \"all\"\n").unwrap_err();
        assert!(e.contains("events") && e.contains("summary"), "{e}");
        let e = Config::parse("[priorities.map]\nhigh = \"P1, urgent\"\n").unwrap_err();
        assert!(e.contains("priorities.map") && e.contains("commas"), "{e}");
    }

    #[test]
    fn extra_free_mail_domains_are_added() {
        let c = Config::parse("[companies]\nfree_mail_extra = [\" Mailbox.Example \"]\n").unwrap();
        assert!(c.free_mail().contains(&"mailbox.example".to_string()));
    }
}
