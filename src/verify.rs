//! `ostmig verify`: read back every object the ledger says was loaded and compare it field by
//! field with the outbox it came from. Differences go to `load.verify_mismatch` (replaced on
//! every run), which the reconciliation report shows.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::intercom::client::Client;
use crate::intercom::live;
use crate::load::ledger::{Ledger, Target};
use crate::warehouse;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Checked {
    pub object_type: String,
    pub checked: i64,
    pub mismatched: i64,
    /// Read back but not comparable whole: a ticket with more parts than one read returns.
    pub unverifiable: i64,
}

struct Mismatch {
    object_type: &'static str,
    key: String,
    id: String,
    field: String,
    expected: String,
    actual: String,
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Loaded objects of one type with the outbox payload they were sent from.
fn loaded(ledger: &Ledger, sql: &str) -> anyhow::Result<Vec<(String, String, Value, Value)>> {
    ledger.with(|c| {
        let mut stmt = c.prepare(&ledger.sql(sql))?;
        let rows = stmt
            .query_map([], |r| {
                let payload: String = r.get(2)?;
                let extra: Option<String> = r.get(3)?;
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    serde_json::from_str(&payload).unwrap_or(Value::Null),
                    extra
                        .and_then(|e| serde_json::from_str(&e).ok())
                        .unwrap_or(Value::Null),
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    })
}

/// What a body must not hold once in Intercom: an image it cannot show (split turns each into a
/// `[image: name]` marker and sends the file).
const BROKEN_REFERENCES: &[&str] = &["ostmig-file:", "src=\"cid:", "src=\"data:"];

pub fn run(db: &Path, url: &str, target: Target) -> anyhow::Result<Vec<Checked>> {
    let client = Client::new(url, crate::intercom::client::token_from_env()?, 4)?;
    let ledger = Ledger::new(warehouse::open(db)?, target);
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(client.reachable())?;
    let mut found: Vec<Mismatch> = Vec::new();
    let mut summary = Vec::new();
    // Values compare by meaning, not by JSON text: a decimal sent as 5.0 comes back as 5
    // through any JSON hop, and an integer id may come back as a string.
    let mut compare = |object_type: &'static str,
                       key: &str,
                       id: &str,
                       field: &str,
                       expected: String,
                       actual: String| {
        if !live::same_value(
            &Value::String(expected.clone()),
            &Value::String(actual.clone()),
        ) {
            found.push(Mismatch {
                object_type,
                key: key.to_string(),
                id: id.to_string(),
                field: field.to_string(),
                expected,
                actual,
            });
            1
        } else {
            0
        }
    };

    let contacts = loaded(
        &ledger,
        "SELECT l.source_key, l.intercom_id, o.payload::VARCHAR, json_object('company', c.intercom_id)::VARCHAR
         FROM load.ledger l JOIN outbox.outbox_contacts o ON o.external_id = l.source_key
         LEFT JOIN load.ledger c ON c.object_type = 'company' AND c.source_key = 'osticket-org-' || o.org_id
         WHERE l.object_type = 'contact' AND l.status IN ('created', 'existing') ORDER BY 1",
    )?;
    let mut c_sum = Checked {
        object_type: "contact".into(),
        ..Default::default()
    };
    for (key, id, want, extra) in &contacts {
        let got =
            rt.block_on(client.call(reqwest::Method::GET, &format!("/contacts/{id}"), None))?;
        c_sum.checked += 1;
        let mut bad = 0;
        for field in ["external_id", "name", "phone"] {
            bad += compare(
                "contact",
                key,
                id,
                field,
                text(&want[field]),
                text(&got[field]),
            );
        }
        bad += compare(
            "contact",
            key,
            id,
            "email",
            text(&want["email"]).to_lowercase(),
            text(&got["email"]).to_lowercase(),
        );
        for (k, v) in want["custom_attributes"].as_object().into_iter().flatten() {
            bad += compare(
                "contact",
                key,
                id,
                &format!("custom_attributes.{k}"),
                text(v),
                text(&got["custom_attributes"][k]),
            );
        }
        if let Some(company) = extra["company"].as_str() {
            let linked = got["companies"]["data"]
                .as_array()
                .is_some_and(|a| a.iter().any(|c| c["id"] == company));
            bad += compare(
                "contact",
                key,
                id,
                "company",
                company.to_string(),
                if linked {
                    company.to_string()
                } else {
                    String::new()
                },
            );
        }
        c_sum.mismatched += i64::from(bad > 0);
    }
    summary.push(c_sum);

    let companies = loaded(
        &ledger,
        "SELECT l.source_key, l.intercom_id, o.payload::VARCHAR, NULL::VARCHAR
         FROM load.ledger l JOIN outbox.outbox_companies o ON o.company_id = l.source_key
         WHERE l.object_type = 'company' AND l.status = 'created' ORDER BY 1",
    )?;
    let mut sum = Checked {
        object_type: "company".into(),
        ..Default::default()
    };
    for (key, id, want, _) in &companies {
        let got =
            rt.block_on(client.call(reqwest::Method::GET, &format!("/companies/{id}"), None))?;
        sum.checked += 1;
        let mut bad = 0;
        for field in ["company_id", "name"] {
            bad += compare(
                "company",
                key,
                id,
                field,
                text(&want[field]),
                text(&got[field]),
            );
        }
        for (k, v) in want["custom_attributes"].as_object().into_iter().flatten() {
            bad += compare(
                "company",
                key,
                id,
                &format!("custom_attributes.{k}"),
                text(v),
                text(&got["custom_attributes"][k]),
            );
        }
        sum.mismatched += i64::from(bad > 0);
    }
    summary.push(sum);

    // Tickets: title, description, state, assignee, plain attributes, then every part.
    let tickets = loaded(
        &ledger,
        "SELECT l.source_key, l.intercom_id, o.payload::VARCHAR,
                json_object('state', o.state_category, 'ticket_id', o.ticket_id, 'tag', o.tag)::VARCHAR
         FROM load.ledger l JOIN outbox.outbox_tickets o ON o.number = l.source_key
         WHERE l.object_type = 'ticket' AND l.status = 'created' ORDER BY 1",
    )?;
    let parts = loaded(
        &ledger,
        "SELECT l.source_key, coalesce(l.intercom_id, ''), p.payload::VARCHAR, json_object('ticket', l.ticket_key)::VARCHAR
         FROM load.ledger l JOIN outbox.outbox_ticket_parts p ON p.entry_id::VARCHAR = l.source_key
         WHERE l.object_type = 'part' AND l.status = 'created'",
    )?;
    let events = loaded(
        &ledger,
        "SELECT 'event ' || l.source_key, coalesce(l.intercom_id, ''), e.payload::VARCHAR, json_object('ticket', l.ticket_key)::VARCHAR
         FROM load.ledger l JOIN outbox.outbox_ticket_events e ON e.event_key = l.source_key
         WHERE l.object_type = 'event' AND l.status = 'created'",
    )?;
    let notes = loaded(
        &ledger,
        "SELECT l.source_key, coalesce(l.intercom_id, ''), any_value(a.note_payload)::VARCHAR,
                json_object('ticket', any_value(l.ticket_key))::VARCHAR
         FROM load.ledger l JOIN outbox.outbox_attachments a ON a.entry_id || ':' || a.batch = l.source_key
         WHERE l.object_type = 'attachment_note' AND l.status = 'created' AND a.carrier = 'note'
         GROUP BY l.source_key, l.intercom_id
         UNION ALL
         SELECT l.source_key, coalesce(l.intercom_id, ''), q.payload::VARCHAR, json_object('ticket', l.ticket_key)::VARCHAR
         FROM load.ledger l JOIN outbox.outbox_ticket_participants q ON q.participant_key = l.source_key
         WHERE l.object_type = 'cc_note' AND l.status = 'created'",
    )?;
    // The contacts each ticket should hold besides its requester.
    let mut participants: HashMap<String, Vec<String>> = HashMap::new();
    for (number, who, _, _) in loaded(
        &ledger,
        "SELECT q.number, q.payload->>'$.customer.user_id', 'null', NULL::VARCHAR
         FROM load.ledger l JOIN outbox.outbox_ticket_participants q ON q.participant_key = l.source_key
         WHERE l.object_type = 'participant' AND l.status IN ('created', 'existing')",
    )? {
        participants.entry(number).or_default().push(who);
    }
    let mut by_ticket: HashMap<String, Vec<(&String, &String, &Value)>> = HashMap::new();
    for (key, id, want, extra) in parts.iter().chain(events.iter()).chain(notes.iter()) {
        by_ticket
            .entry(text(&extra["ticket"]))
            .or_default()
            .push((key, id, want));
    }
    // List attributes are sent as option ids; read back, either the id or its label counts.
    let mut option_labels: HashMap<String, String> = HashMap::new();
    let type_id: Option<String> = ledger.with(|c| {
        c.query_row(
            &ledger.sql("SELECT max(intercom_id) FROM load.ledger WHERE object_type = 'ticket_type' AND status IN ('created', 'existing')"),
            [],
            |r| r.get(0),
        )
    })?;
    if let Some(type_id) = type_id {
        let tt = rt.block_on(client.get_ticket_type(&type_id))?;
        for a in live::ticket_type_attributes(&tt) {
            for o in a["input_options"]["list_options"]
                .as_array()
                .into_iter()
                .flatten()
            {
                option_labels.insert(text(&o["id"]), text(&o["label"]));
            }
        }
    }
    let mut sum = Checked {
        object_type: "ticket".into(),
        ..Default::default()
    };
    for (key, id, want, extra) in &tickets {
        let got = rt.block_on(client.get_ticket(id))?;
        sum.checked += 1;
        let mut bad = 0;
        // Every attribute sent: title, description, osTicket number, priority, SLA, dates and
        // each custom field.
        for (field, value) in want["ticket_attributes"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, v)| !v.is_null())
        {
            let actual = text(&got["ticket_attributes"][field]);
            let actual = option_labels.get(&actual).cloned().unwrap_or(actual);
            bad += compare("ticket", key, id, field, text(value), actual);
        }
        // The ticket object has no tags in the spec (erratum ticket-object-fields): an answer
        // without them says nothing about the tag.
        if let Some(tag) = extra["tag"].as_str().filter(|_| got.get("tags").is_some()) {
            let tags: Vec<String> = got["tags"]["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| text(&t["name"]))
                .collect();
            let found = tags.iter().find(|t| t.eq_ignore_ascii_case(tag));
            bad += compare(
                "ticket",
                key,
                id,
                "tag",
                tag.to_string(),
                found.cloned().unwrap_or_else(|| tags.join(", ")),
            );
        }
        if let Some(team) = want["assignment"]["team_assignee_id"].as_str() {
            bad += compare(
                "ticket",
                key,
                id,
                "team_assignee_id",
                team.to_string(),
                text(&got["team_assignee_id"]),
            );
        }
        bad += compare(
            "ticket",
            key,
            id,
            "state",
            text(&extra["state"]),
            text(&got["ticket_state"]["category"]),
        );
        // A ticket whose creation osTicket recorded as a zero date is sent without created_at:
        // Intercom's own time is then expected, not a difference.
        if !want["created_at"].is_null() {
            bad += compare(
                "ticket",
                key,
                id,
                "created_at",
                text(&want["created_at"]),
                text(&got["created_at"]),
            );
        }
        if let Some(admin) = want["assignment"]["admin_assignee_id"].as_str() {
            bad += compare(
                "ticket",
                key,
                id,
                "admin_assignee_id",
                admin.to_string(),
                text(&got["admin_assignee_id"]),
            );
        }
        let got_parts = got["ticket_parts"]["ticket_parts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        // One read holds at most 500 parts (erratum part-read-limit): a part missing from a
        // truncated read is not known to be missing.
        let truncated = got["ticket_parts"]["total_count"]
            .as_u64()
            .is_some_and(|n| n as usize > got_parts.len());
        let expected = by_ticket.get(key).map_or(&[][..], |v| v.as_slice());
        let ours: std::collections::HashSet<&str> =
            expected.iter().map(|(_, id, _)| id.as_str()).collect();
        let claimed = ledger.claimed(key)?;
        // Intercom's own parts (state changes, assignments) are not ours to compare; a reply or
        // note no ledger row knows is (a duplicate, or someone else's).
        for p in &got_parts {
            let pid = text(&p["id"]);
            let kind = p["part_type"].as_str().unwrap_or_default();
            if ["comment", "note", "open"].contains(&kind)
                && !ours.contains(pid.as_str())
                && !claimed.contains(&pid)
            {
                bad += compare(
                    "ticket",
                    key,
                    id,
                    &format!("part {pid} not posted by ostmig"),
                    String::new(),
                    live::body_text(p["body"].as_str().unwrap_or_default()),
                );
            }
        }
        let mut unverifiable = false;
        for (part_key, part_id, part_want) in expected {
            let Some(p) = got_parts.iter().find(|p| text(&p["id"]) == **part_id) else {
                if truncated {
                    unverifiable = true;
                    continue;
                }
                bad += compare(
                    "ticket",
                    key,
                    id,
                    &format!("part {part_key}"),
                    (*part_id).clone(),
                    String::new(),
                );
                continue;
            };
            // Every file rides on the part that carries it, by name, in order.
            let names = |files: &Value, key: &str| -> String {
                files
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| text(&f[key]))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            bad += compare(
                "ticket",
                key,
                id,
                &format!("part {part_key} files"),
                names(&part_want["attachment_files"], "name"),
                names(&p["attachments"], "name"),
            );
            // No body may point at what Intercom cannot show.
            let body = p["body"].as_str().unwrap_or_default();
            if let Some(bad_ref) = BROKEN_REFERENCES.iter().find(|r| body.contains(**r)) {
                bad += compare(
                    "ticket",
                    key,
                    id,
                    &format!("part {part_key} body references"),
                    "no ostmig-file:, cid: or data: image".into(),
                    (*bad_ref).to_string(),
                );
            }
            // A user's comment may come back as `open`; bodies by what a reader sees of them
            // (erratum bodies-rewritten).
            let want_type = text(&part_want["message_type"]);
            let got_type = match text(&p["part_type"]).as_str() {
                "open" if want_type == "comment" => want_type.clone(),
                other => other.to_string(),
            };
            bad += compare(
                "ticket",
                key,
                id,
                &format!("part {part_key} message_type"),
                want_type,
                got_type,
            );
            bad += compare(
                "ticket",
                key,
                id,
                &format!("part {part_key} created_at"),
                text(&part_want["created_at"]),
                text(&p["created_at"]),
            );
            bad += compare(
                "ticket",
                key,
                id,
                &format!("part {part_key} body"),
                live::body_text(part_want["body"].as_str().unwrap_or_default()),
                live::body_text(p["body"].as_str().unwrap_or_default()),
            );
            let author = if part_want["type"] == "admin" {
                text(&part_want["admin_id"])
            } else {
                String::from("user")
            };
            let got_author = if p["author"]["type"] == "admin" {
                text(&p["author"]["id"])
            } else {
                text(&p["author"]["type"])
            };
            bad += compare(
                "ticket",
                key,
                id,
                &format!("part {part_key} author"),
                author,
                got_author,
            );
        }
        // One conversation order: what ostmig posted reads in time order in the order Intercom
        // stored it, whichever of the two the Inbox sorts by.
        let mut last = i64::MIN;
        for p in got_parts
            .iter()
            .filter(|p| ours.contains(text(&p["id"]).as_str()))
        {
            let at = p["created_at"].as_i64().unwrap_or_default();
            if at < last {
                bad += compare(
                    "ticket",
                    key,
                    id,
                    "part order",
                    format!("at or after {last}"),
                    format!("part {} at {at}", text(&p["id"])),
                );
                break;
            }
            last = at;
        }
        // Collaborators are participants.
        let held: Vec<String> = got["contacts"]["contacts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| text(&c["external_id"]))
            .collect();
        for who in participants.get(key).into_iter().flatten() {
            if !held.contains(who) {
                bad += compare(
                    "ticket",
                    key,
                    id,
                    "participant",
                    who.clone(),
                    held.join(", "),
                );
            }
        }
        sum.unverifiable += i64::from(unverifiable);
        sum.mismatched += i64::from(bad > 0);
    }
    summary.push(sum);

    let now = chrono::Utc::now().naive_utc();
    ledger.with(|c| -> anyhow::Result<()> {
        c.execute_batch(&ledger.sql("DELETE FROM load.verify_mismatch"))?;
        for s in &summary {
            c.execute(
                "INSERT INTO load.verify_run (run_at, object_type, checked, mismatched, sample, unverifiable)
                 VALUES (?, ?, ?, ?, ?, ?)",
                duckdb::params![
                    now,
                    s.object_type,
                    s.checked,
                    s.mismatched,
                    target == Target::Sample,
                    s.unverifiable
                ],
            )?;
        }
        let table = ledger.sql("load.verify_mismatch");
        let mut app = c.appender_to_db(table.trim_start_matches("load."), "load")?;
        for m in &found {
            app.append_row(duckdb::params![
                m.object_type,
                m.key,
                m.id,
                m.field,
                m.expected,
                m.actual,
                now
            ])?;
        }
        app.flush()?;
        Ok(())
    })?;
    Ok(summary)
}

pub fn print(checked: &[Checked]) {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(["object", "checked", "with differences", "not verifiable"]);
    for c in checked {
        table.add_row(vec![
            c.object_type.clone(),
            c.checked.to_string(),
            c.mismatched.to_string(),
            c.unverifiable.to_string(),
        ]);
    }
    println!("{table}");
}
