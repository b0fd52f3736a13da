//! `ostmig map` on the real osTicket 1.17 database: the proposal covers every status,
//! priority, department, help topic, custom field and SLA plan with samples; a hand-broken file
//! is refused with its line; the load refuses an unconfirmed mapping and one whose edits the
//! staged data does not carry yet; a confirmed edit reaches the outbox; and the activity
//! history arrives as admin notes at the events' original times.
mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

const TOKEN: &str = "sim-token-5c1e";

fn run(args: &[&str]) -> std::process::Output {
    ostmig(args, &[("OSTMIG_INTERCOM_TOKEN", TOKEN)])
}

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A staging file of database `db`, snapshotted and split (a review queue is fine).
fn snapshot_and_split(db: &str, dir: &Path) -> std::path::PathBuf {
    let path = dir.join("m.duckdb");
    ok(&snapshot(db, &path, &[]));
    let split = run(&["split", "--db", path.to_str().unwrap()]);
    assert!(split.status.code().is_some_and(|c| c <= 1));
    path
}

fn entries<'a>(mapping: &'a Value, class: &str) -> &'a Vec<Value> {
    mapping[class]
        .as_array()
        .unwrap_or_else(|| panic!("no [[{class}]]"))
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in the file"))
        + 1
}

#[test]
fn the_mapping_is_proposed_confirmed_and_enforced() {
    require_mariadb!(real117 "ostmig_t_map");
    // A text field whose every answer is a date (the order-number field, rewritten here): the
    // proposal reads the answers and makes it a date attribute.
    admin_sql(
        Some("ostmig_t_map"),
        "UPDATE ost_form_entry_values SET value = DATE_FORMAT(DATE '2025-01-01' + INTERVAL entry_id DAY, '%Y-%m-%d')
         WHERE field_id = 37 AND value <> ''",
    );
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("workspace.toml");
    std::fs::write(&seed, SIM_SEED).unwrap();
    let Some(sim) = Sim::start(&["--seed", seed.to_str().unwrap()]) else {
        return;
    };
    let path = snapshot_and_split("ostmig_t_map", dir.path());
    let d = path.to_str().unwrap();
    ok(&run(&[
        "intercom",
        "pull",
        "--db",
        d,
        "--intercom-url",
        &sim.url,
    ]));
    let config = dir.path().join("ostmig.toml");
    std::fs::write(&config, SETTLED).unwrap();
    let c = config.to_str().unwrap();
    ok(&run(&["transform", "--db", d, "--config", c]));
    record_notes_hidden(&path);

    // Nothing moves before a sign-off.
    let out = run(&["load", "--db", d, "--intercom-url", &sim.url, "--apply"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ostmig map confirm"));
    assert_eq!(
        sim.state()["contacts"].as_object().map_or(0, |c| c.len()),
        0
    );

    // The proposal: every object of the real database, each with samples where it has data.
    let file = dir.path().join("mapping.toml");
    let f = file.to_str().unwrap();
    ok(&run(&["map", "propose", "--db", d, "--file", f]));
    let text = std::fs::read_to_string(&file).unwrap();
    let mapping: Value = toml::from_str(&text).unwrap();
    let conn = duck(&path);
    for (class, table) in [
        ("status", "raw.ticket_status"),
        ("priority", "raw.ticket_priority"),
        ("department", "raw.department"),
        ("topic", "raw.help_topic"),
        ("sla", "raw.sla"),
        ("field", "staging.stg_custom_fields"),
    ] {
        let want = duck_i64(&conn, &format!("SELECT count(*) FROM {table}"));
        assert!(want > 0, "{table} is empty in the real database");
        assert_eq!(entries(&mapping, class).len() as i64, want, "{class}");
        for e in entries(&mapping, class) {
            let n = e["tickets"].as_i64().or(e["answers"].as_i64()).unwrap();
            let samples = e["samples"].as_array().unwrap();
            assert_eq!(n > 0, !samples.is_empty(), "{class} {e}");
            assert!(!e["rule"].as_str().unwrap().is_empty());
        }
    }
    // A field of every osTicket type there, with its destination.
    let fields = entries(&mapping, "field");
    let dated = fields.iter().find(|f| f["field_id"] == 37).unwrap();
    assert_eq!(dated["type"], "datetime", "{dated}");
    assert!(
        dated["rule"]
            .as_str()
            .unwrap()
            .contains("answers are dates"),
        "{dated}"
    );
    assert!(fields.iter().any(|f| f["type"] == "list"));
    assert!(fields.iter().any(|f| f["object"] == "company"));
    drop(conn);

    // A hand-broken file is refused, naming the line.
    let list_field = fields.iter().find(|f| f["type"] == "list").unwrap();
    let id_line = line_of(&text, &format!("field_id = {}", list_field["field_id"]));
    let type_line = id_line
        + text
            .lines()
            .skip(id_line)
            .position(|l| l.starts_with("type = "))
            .unwrap()
        + 1;
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[type_line - 1] = "type = \"boolean\"".into();
    let broken = dir.path().join("broken.toml");
    let confirm_broken = || {
        run(&[
            "map",
            "confirm",
            "--db",
            d,
            "--file",
            broken.to_str().unwrap(),
        ])
    };
    std::fs::write(&broken, lines.join("\n")).unwrap();
    let out = confirm_broken();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("line {type_line}")) && err.contains("impossible"),
        "{err}"
    );
    std::fs::write(&broken, text.replace("rule = ", "rules = ")).unwrap();
    let out = confirm_broken();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() == Some(2) && err.contains("rules") && err.contains("line"),
        "{err}"
    );

    // An edit: the Priority value of the first priority. Confirmed, it is not staged yet, so the
    // load refuses; after the transform it is in the ticket type's Priority options.
    let first = &entries(&mapping, "priority")[0];
    let from = format!("to = \"{}\"", first["to"].as_str().unwrap());
    let at = line_of(
        &text,
        &format!("source = \"{}\"", first["source"].as_str().unwrap()),
    );
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let to_line = lines[at..].iter().position(|l| *l == from).unwrap() + at;
    lines[to_line] = "to = \"P9 Edited\"".into();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = run(&[
        "map",
        "confirm",
        "--db",
        d,
        "--file",
        f,
        "--by",
        "Ana Analyst",
    ]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 edited"));
    let out = run(&["load", "--db", d, "--intercom-url", &sim.url, "--apply"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Ana Analyst")
            && err.contains("P9 Edited")
            && err.contains("ostmig transform"),
        "{err}"
    );
    let out = run(&["map", "diff", "--db", d]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("P9 Edited"));
    ok(&run(&["transform", "--db", d, "--config", c]));
    ok(&run(&["map", "diff", "--db", d]));
    let conn = duck(&path);
    assert!(
        duck_str(
            &conn,
            "SELECT json_extract_string(payload, '$.list_items') FROM outbox.outbox_ticket_type_attributes WHERE name = 'Priority'"
        )
        .unwrap()
        .contains("P9 Edited")
    );
    // The dates travel as Unix seconds.
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM intermediate.int_field_values WHERE field_id = 37
               AND value_json::VARCHAR = epoch(strptime(source_value, '%Y-%m-%d'))::BIGINT::VARCHAR"
        ),
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw.form_entry_values WHERE field_id = 37 AND trim(value) <> ''"
        )
    );
    let events = duck_i64(&conn, "SELECT count(*) FROM outbox.outbox_ticket_events");
    let sendable = duck_i64(
        &conn,
        "SELECT count(*) FROM intermediate.int_ticket_events WHERE fate = 'send'",
    );
    // Events one actor made together are one note with a line each: fewer notes than
    // events, every event in exactly one note.
    assert!(events > 100 && events < sendable, "{events} {sendable}");
    assert_eq!(
        duck_i64(&conn, "SELECT sum(events) FROM outbox.outbox_ticket_events"),
        sendable
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(DISTINCT e) FROM outbox.outbox_ticket_events, unnest(event_ids) AS t(e)"
        ),
        sendable
    );
    // A burst never spans an entry, another actor or more than a minute between events.
    assert_eq!(
        duck_i64(
            &conn,
            "WITH n AS (SELECT o.event_key, o.ticket_id, unnest(o.event_ids) AS event_id FROM outbox.outbox_ticket_events o),
                  b AS (SELECT n.event_key, n.ticket_id, min(e.happened_at) AS first_at, max(e.happened_at) AS last_at,
                               count(DISTINCT e.actor) AS actors
                        FROM n JOIN intermediate.int_ticket_events e USING (event_id) GROUP BY 1, 2)
             SELECT count(*) FROM b WHERE actors > 1 OR EXISTS (
                 SELECT 1 FROM stage.parts p WHERE p.ticket_id = b.ticket_id
                   AND p.created_at > b.first_at AND p.created_at <= b.last_at)"
        ),
        0
    );
    // The report says which events share a note.
    assert!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM reports.rpt_ticket_events WHERE \"in Intercom\" LIKE 'one line of an admin note%'"
        ) > 0
    );
    // The event to look for: a transfer, with its time from osTicket.
    let (transfer, at, number): (String, i64, String) = conn
        .query_row(
            "SELECT e.sentence, epoch(e.happened_at)::BIGINT, t.number
             FROM intermediate.int_ticket_events e
             JOIN outbox.outbox_ticket_events o ON list_contains(o.event_ids, e.event_id)
             JOIN outbox.outbox_tickets t ON t.ticket_id = o.ticket_id
             WHERE e.kind = 'transferred' AND e.fate = 'send' ORDER BY e.event_id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(transfer.starts_with("Transferred to "), "{transfer}");
    drop(conn);

    // Confirmed and staged: the load runs, and the history is there as notes.
    ok(&run(&[
        "load",
        "--db",
        d,
        "--intercom-url",
        &sim.url,
        "--apply",
    ]));
    let state = sim.state();
    let notes: Vec<&Value> = state["tickets"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|t| t["ticket_parts"]["ticket_parts"].as_array().unwrap())
        .filter(|p| {
            p["body"]
                .as_str()
                .is_some_and(|b| b.contains("osTicket activity:"))
        })
        .collect();
    assert_eq!(notes.len() as i64, events, "one note per burst of events");
    assert!(notes.iter().all(|p| p["part_type"] == "note"));
    // On its own ticket: another ticket may have been transferred to the same department.
    let transfer_note = state["tickets"]
        .as_object()
        .unwrap()
        .values()
        .filter(|t| t["ticket_attributes"]["osTicket number"] == number.as_str())
        .flat_map(|t| t["ticket_parts"]["ticket_parts"].as_array().unwrap())
        .find(|p| p["body"].as_str().is_some_and(|b| b.contains(&transfer)))
        .unwrap_or_else(|| panic!("no note on #{number} says {transfer}"));
    assert_eq!(transfer_note["created_at"].as_i64(), Some(at));
    ok(&run(&["verify", "--db", d, "--intercom-url", &sim.url]));
}

#[test]
fn the_activity_summary_is_one_note_per_ticket() {
    require_mariadb!(real117 "ostmig_t_map_summary");
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_and_split("ostmig_t_map_summary", dir.path());
    let d = path.to_str().unwrap();
    let transform = |events: &str| {
        let config: &Path = &dir.path().join("ostmig.toml");
        std::fs::write(config, format!("events = \"{events}\"\n{SETTLED}")).unwrap();
        ok(&run(&[
            "transform",
            "--db",
            d,
            "--config",
            config.to_str().unwrap(),
        ]));
        duck(&path)
    };
    let conn = transform("summary");
    let tickets = duck_i64(
        &conn,
        "SELECT count(DISTINCT ticket_id) FROM intermediate.int_ticket_events WHERE fate = 'send'",
    );
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM outbox.outbox_ticket_events"),
        tickets
    );
    assert_eq!(
        duck_i64(&conn, "SELECT sum(events) FROM outbox.outbox_ticket_events"),
        duck_i64(
            &conn,
            "SELECT count(*) FROM intermediate.int_ticket_events WHERE fate = 'send'"
        )
    );
    drop(conn);
    let conn = transform("skip");
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM outbox.outbox_ticket_events"),
        0
    );
    // Skipped events are listed, every one with why.
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM reports.rpt_ticket_events WHERE \"in Intercom\" LIKE 'not sent: %'"
        ),
        duck_i64(&conn, "SELECT count(*) FROM intermediate.int_ticket_events")
    );
    // By default every CC who is a contact is a participant of the ticket (ticket 5 has two).
    let add = duck_i64(
        &conn,
        "SELECT count(*) FROM outbox.outbox_ticket_participants WHERE kind = 'participant' AND ticket_id = 5",
    );
    assert!(add >= 2, "{add}");
    drop(conn);

    // participants = "notes", the fallback for a workspace that refuses participants: only the
    // requester replies as a contact; one note per ticket names who was copied.
    let config = dir.path().join("ostmig.toml");
    std::fs::write(&config, format!("participants = \"notes\"\n{SETTLED}")).unwrap();
    ok(&run(&[
        "transform",
        "--db",
        d,
        "--config",
        config.to_str().unwrap(),
    ]));
    let conn = duck(&path);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM outbox.outbox_ticket_participants WHERE kind = 'participant'"
        ),
        0
    );
    let note = duck_str(
        &conn,
        "SELECT payload->>'$.body' FROM outbox.outbox_ticket_participants WHERE kind = 'note' AND ticket_id = 5",
    )
    .expect("ticket 5's CC note");
    assert!(
        note.contains("(CC)") && note.matches('@').count() >= 2,
        "{note}"
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM outbox.outbox_ticket_parts p JOIN intermediate.int_tickets t USING (ticket_id)
             JOIN intermediate.int_contacts c ON c.external_id = p.author_external_id
             WHERE p.route = 'contact_comment' AND c.user_id <> t.user_id"
        ),
        0
    );
}
