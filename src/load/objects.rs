//! Every Intercom object type the load writes, described once: the phase that writes it, the
//! outbox rows it comes from (for the plan), whether a changed payload is sent as an update, and
//! how a rollback undoes it. The plan, the phases, rollback and verify read this table, so an
//! object type cannot be known to one of them and forgotten by another.

use serde::Serialize;

/// The load's phases, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Data attributes, tags, the ticket type and its attributes (created only when missing).
    Schema,
    Companies,
    /// Contacts, then their company link.
    Contacts,
    /// Each ticket, then its conversation: participants, parts, file notes, activity notes.
    Tickets,
    /// Each ticket's state, assignee and tag, after its history.
    States,
    /// osTicket's tasks, as back-office tickets linked to their ticket: each task, then its
    /// thread as notes, then its state and assignee. After the states: the ticket it links to
    /// is complete.
    Tasks,
    /// osTicket's staff notes on users and organizations, as contact and company notes. After
    /// the tickets: a note fails alone, it holds nothing else up.
    Notes,
    /// The knowledge base: FAQ categories as Help Center collections (parents first), then
    /// FAQs as articles, or internal articles for private categories. Last: no ticket needs it.
    Articles,
}

impl Phase {
    pub const ALL: [Phase; 8] = [
        Phase::Schema,
        Phase::Companies,
        Phase::Contacts,
        Phase::Tickets,
        Phase::States,
        Phase::Tasks,
        Phase::Notes,
        Phase::Articles,
    ];

    /// The name the ledger, `load.phase_result` and `--phase` use.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Schema => "schema",
            Phase::Companies => "companies",
            Phase::Contacts => "contacts",
            Phase::Tickets => "tickets",
            Phase::States => "states",
            Phase::Tasks => "tasks",
            Phase::Notes => "notes",
            Phase::Articles => "articles",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a rollback undoes an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undo {
    Delete,
    /// Intercom cannot delete it: archived instead.
    Archive,
    /// Gone with the ticket it is on (marked rolled back when the ticket is deleted).
    WithTicket,
    /// Gone with the contact or company it is on (Intercom cannot delete a note): marked rolled
    /// back when its owner, the ledger row's `ticket_key`, is deleted; kept with a kept owner.
    WithOwner,
}

pub struct ObjectType {
    /// `load.ledger.object_type`.
    pub name: &'static str,
    pub phase: Phase,
    /// The staged objects as `SELECT key, payload_sha256, calls` (the outboxes hash what is
    /// sent): `calls`, the requests a create takes — a company is looked up first (never update
    /// someone else's), a contact searched for by e-mail, created, then linked to its company,
    /// a state set and the ticket tagged; everything else one. The plan's estimate of a phase's
    /// calls (an update or a lookup takes one).
    pub staged: &'static str,
    /// What ostmig before 0016_sql_hash hashed, as `SELECT key, text` (serde_json's text of it was
    /// hashed): the payload, where it is unchanged since.
    pub legacy: &'static str,
    /// A created object whose payload changed is sent as an update (else listed as stale).
    pub updatable: bool,
    pub undo: Undo,
    /// How `ostmig verify` reads it back, if it does.
    pub read_back: Option<ReadBack>,
}

/// `GET {path}/{id}` for every loaded object of a type, into `load.readback`.
#[derive(Clone, Copy, Debug)]
pub struct ReadBack {
    pub path: &'static str,
    /// Objects the load found already there (status `existing`) are read too: the load updates
    /// them, so they must hold what was sent.
    pub existing: bool,
}

/// In dependency order; a rollback undoes the deletable and archivable ones in reverse.
pub const OBJECT_TYPES: &[ObjectType] = &[
    ObjectType {
        name: "data_attribute",
        phase: Phase::Schema,
        staged: "SELECT attribute_name, payload_sha256, 1 AS calls FROM outbox.outbox_data_attributes",
        legacy: "SELECT attribute_name, payload::VARCHAR FROM outbox.outbox_data_attributes",
        updatable: false,
        undo: Undo::Archive,
        read_back: None,
    },
    ObjectType {
        name: "ticket_type",
        phase: Phase::Schema,
        staged: "SELECT name, payload_sha256, 1 AS calls FROM outbox.outbox_ticket_type",
        legacy: "SELECT name, payload::VARCHAR FROM outbox.outbox_ticket_type",
        updatable: false,
        undo: Undo::Archive,
        read_back: Some(ReadBack {
            path: "/ticket_types",
            existing: true,
        }),
    },
    ObjectType {
        name: "ticket_type_attribute",
        phase: Phase::Schema,
        staged: "SELECT name, payload_sha256, 1 AS calls FROM outbox.outbox_ticket_type_attributes",
        legacy: "SELECT name, payload::VARCHAR FROM outbox.outbox_ticket_type_attributes",
        updatable: false,
        undo: Undo::Archive,
        read_back: None,
    },
    ObjectType {
        name: "tag",
        phase: Phase::Schema,
        staged: "SELECT tag, payload_sha256, 1 AS calls FROM outbox.outbox_tags",
        legacy: "SELECT tag, payload::VARCHAR FROM outbox.outbox_tags",
        updatable: false,
        undo: Undo::Delete,
        read_back: None,
    },
    ObjectType {
        name: "company",
        phase: Phase::Companies,
        staged: "SELECT company_id, payload_sha256, 2 AS calls FROM outbox.outbox_companies",
        legacy: "SELECT company_id, payload::VARCHAR FROM outbox.outbox_companies",
        updatable: true,
        undo: Undo::Delete,
        read_back: Some(ReadBack {
            path: "/companies",
            existing: false,
        }),
    },
    ObjectType {
        name: "contact",
        phase: Phase::Contacts,
        staged: "SELECT external_id, payload_sha256, 1 + (coalesce(payload->>'email', '') <> '')::INT + (org_id IS NOT NULL)::INT AS calls FROM outbox.outbox_contacts",
        legacy: "SELECT external_id, payload::VARCHAR FROM outbox.outbox_contacts",
        updatable: true,
        undo: Undo::Delete,
        read_back: Some(ReadBack {
            path: "/contacts",
            existing: true,
        }),
    },
    ObjectType {
        name: "ticket",
        phase: Phase::Tickets,
        staged: "SELECT number, payload_sha256, 1 AS calls FROM outbox.outbox_tickets",
        // The admin assignee was in the payload (the load took it out).
        legacy: "SELECT number, CASE WHEN assignee_admin_id IS NULL THEN payload ELSE json_merge_patch(payload, json_object('assignment', json_object('admin_assignee_id', assignee_admin_id))) END::VARCHAR FROM outbox.outbox_tickets",
        updatable: true,
        undo: Undo::Delete,
        read_back: Some(ReadBack {
            path: "/tickets",
            existing: false,
        }),
    },
    ObjectType {
        name: "participant",
        phase: Phase::Tickets,
        staged: "SELECT participant_key, payload_sha256, 1 AS calls FROM outbox.outbox_ticket_participants WHERE kind = 'participant'",
        legacy: "SELECT participant_key, payload::VARCHAR FROM outbox.outbox_ticket_participants WHERE kind = 'participant'",
        updatable: false,
        undo: Undo::WithTicket,
        read_back: None,
    },
    ObjectType {
        name: "cc_note",
        phase: Phase::Tickets,
        staged: "SELECT participant_key, payload_sha256, 1 AS calls FROM outbox.outbox_ticket_participants WHERE kind = 'note'",
        legacy: "SELECT participant_key, payload::VARCHAR FROM outbox.outbox_ticket_participants WHERE kind = 'note'",
        updatable: false,
        undo: Undo::WithTicket,
        read_back: None,
    },
    ObjectType {
        name: "part",
        phase: Phase::Tickets,
        staged: "SELECT entry_id::VARCHAR, payload_sha256, 1 AS calls FROM outbox.outbox_ticket_parts",
        legacy: "SELECT entry_id::VARCHAR, payload::VARCHAR FROM outbox.outbox_ticket_parts",
        updatable: false,
        undo: Undo::WithTicket,
        read_back: None,
    },
    ObjectType {
        name: "event",
        phase: Phase::Tickets,
        staged: "SELECT event_key, payload_sha256, 1 AS calls FROM outbox.outbox_ticket_events",
        legacy: "SELECT event_key, payload::VARCHAR FROM outbox.outbox_ticket_events",
        updatable: false,
        undo: Undo::WithTicket,
        read_back: None,
    },
    ObjectType {
        name: "attachment_note",
        phase: Phase::Tickets,
        staged: "SELECT entry_id || ':' || batch, any_value(note_payload_sha256), 1 AS calls FROM outbox.outbox_attachments WHERE carrier = 'note' GROUP BY entry_id, batch",
        legacy: "SELECT entry_id || ':' || batch, any_value(note_payload)::VARCHAR FROM outbox.outbox_attachments WHERE carrier = 'note' GROUP BY entry_id, batch",
        updatable: false,
        undo: Undo::WithTicket,
        read_back: None,
    },
    ObjectType {
        name: "field_files",
        phase: Phase::Tickets,
        staged: "SELECT field_key, payload_sha256, 1 AS calls FROM outbox.outbox_field_files",
        legacy: "SELECT field_key, payload::VARCHAR FROM outbox.outbox_field_files",
        updatable: false,
        undo: Undo::WithTicket,
        read_back: None,
    },
    ObjectType {
        name: "ticket_state",
        phase: Phase::States,
        staged: "SELECT number, payload_sha256, 1 + (tag IS NOT NULL)::INT AS calls FROM outbox.outbox_ticket_states",
        legacy: "SELECT number, json_object('state', state_category, 'assignee', assignee_admin_id, 'tag', tag)::VARCHAR FROM outbox.outbox_ticket_states",
        updatable: true,
        undo: Undo::WithTicket,
        read_back: None,
    },
    ObjectType {
        name: "task",
        phase: Phase::Tasks,
        staged: "SELECT task_key, payload_sha256, 1 AS calls FROM outbox.outbox_tasks",
        legacy: "SELECT task_key, payload::VARCHAR FROM outbox.outbox_tasks",
        updatable: true,
        undo: Undo::Delete,
        read_back: Some(ReadBack {
            path: "/tickets",
            existing: false,
        }),
    },
    ObjectType {
        name: "task_note",
        phase: Phase::Tasks,
        staged: "SELECT entry_id::VARCHAR, payload_sha256, 1 AS calls FROM outbox.outbox_task_notes",
        legacy: "SELECT entry_id::VARCHAR, payload::VARCHAR FROM outbox.outbox_task_notes",
        updatable: false,
        undo: Undo::WithTicket,
        read_back: None,
    },
    ObjectType {
        name: "task_state",
        phase: Phase::Tasks,
        staged: "SELECT task_key, state_payload_sha256, 1 AS calls FROM outbox.outbox_tasks",
        legacy: "SELECT task_key, state_payload::VARCHAR FROM outbox.outbox_tasks",
        updatable: true,
        undo: Undo::WithTicket,
        read_back: None,
    },
    ObjectType {
        name: "contact_note",
        phase: Phase::Notes,
        staged: "SELECT note_key, payload_sha256, 1 AS calls FROM outbox.outbox_customer_notes WHERE target = 'contact'",
        legacy: "SELECT note_key, payload::VARCHAR FROM outbox.outbox_customer_notes WHERE target = 'contact'",
        updatable: false,
        undo: Undo::WithOwner,
        read_back: Some(ReadBack {
            path: "/notes",
            existing: false,
        }),
    },
    ObjectType {
        name: "company_note",
        phase: Phase::Notes,
        staged: "SELECT note_key, payload_sha256, 1 AS calls FROM outbox.outbox_customer_notes WHERE target = 'company'",
        legacy: "SELECT note_key, payload::VARCHAR FROM outbox.outbox_customer_notes WHERE target = 'company'",
        updatable: false,
        undo: Undo::WithOwner,
        read_back: Some(ReadBack {
            path: "/notes",
            existing: false,
        }),
    },
    ObjectType {
        name: "collection",
        phase: Phase::Articles,
        staged: "SELECT collection_key, payload_sha256, 1 AS calls FROM outbox.outbox_collections",
        legacy: "SELECT collection_key, payload::VARCHAR FROM outbox.outbox_collections",
        updatable: true,
        undo: Undo::Delete,
        read_back: Some(ReadBack {
            path: "/help_center/collections",
            existing: false,
        }),
    },
    ObjectType {
        name: "article",
        phase: Phase::Articles,
        staged: "SELECT article_key, payload_sha256, 1 AS calls FROM outbox.outbox_articles WHERE kind = 'article'",
        legacy: "SELECT article_key, payload::VARCHAR FROM outbox.outbox_articles WHERE kind = 'article'",
        updatable: true,
        undo: Undo::Delete,
        read_back: Some(ReadBack {
            path: "/articles",
            existing: false,
        }),
    },
    ObjectType {
        name: "internal_article",
        phase: Phase::Articles,
        staged: "SELECT article_key, payload_sha256, 1 AS calls FROM outbox.outbox_articles WHERE kind = 'internal_article'",
        legacy: "SELECT article_key, payload::VARCHAR FROM outbox.outbox_articles WHERE kind = 'internal_article'",
        updatable: true,
        undo: Undo::Delete,
        read_back: Some(ReadBack {
            path: "/internal_articles",
            existing: false,
        }),
    },
];

/// The object type named `name` (a ledger row's).
pub fn object_type(name: &str) -> Option<&'static ObjectType> {
    OBJECT_TYPES.iter().find(|o| o.name == name)
}

/// The object types a rollback deletes or archives, in the order it does (the reverse of the
/// load's).
pub fn undo_order() -> impl Iterator<Item = &'static ObjectType> {
    OBJECT_TYPES
        .iter()
        .rev()
        .filter(|o| !matches!(o.undo, Undo::WithTicket | Undo::WithOwner))
}

/// The object types that go with the object they are on (a ticket, a contact, a company).
pub fn with_parent() -> impl Iterator<Item = &'static ObjectType> {
    OBJECT_TYPES
        .iter()
        .filter(|o| matches!(o.undo, Undo::WithTicket | Undo::WithOwner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_writes_something_and_names_round_trip() {
        for phase in Phase::ALL {
            assert!(OBJECT_TYPES.iter().any(|o| o.phase == phase), "{phase}");
            let parsed = <Phase as clap::ValueEnum>::from_str(phase.name(), false).unwrap();
            assert_eq!(parsed, phase);
        }
        // The rollback order is the reverse dependency order the ledger needs.
        let order: Vec<&str> = undo_order().map(|o| o.name).collect();
        assert_eq!(
            order,
            [
                "internal_article",
                "article",
                "collection",
                "task",
                "ticket",
                "contact",
                "company",
                "tag",
                "ticket_type_attribute",
                "ticket_type",
                "data_attribute"
            ]
        );
        let mut names: Vec<&str> = OBJECT_TYPES.iter().map(|o| o.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OBJECT_TYPES.len());
    }
}
