//! `ostmig load` end to end: the real osTicket 1.17 database, snapshot → split → transform →
//! check → load into `ostmig sim` over loopback; then a rerun (nothing twice), verify and
//! rollback; a load SIGKILLed at 20 random moments into a faulty simulator, resumed until
//! done: exactly once, and verify finds no difference; and a cutover delta that sends only
//! what changed in osTicket after the first load.
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;

const TOKEN: &str = "sim-token-5c1e";

fn load(db: &Path, url: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["load", "--db", db.to_str().unwrap(), "--intercom-url", url];
    args.extend_from_slice(extra);
    ostmig(&args, &[("OSTMIG_INTERCOM_TOKEN", TOKEN)])
}

/// A staging file of the real 1.17 database, transformed with the settled config against the
/// simulator's admins and teams (fetched with `intercom pull`).
fn staged(db: &str, dir: &Path, sim: &Sim) -> Option<std::path::PathBuf> {
    staged_with(db, dir, sim, "")
}

/// As [`staged`], with `changes` applied to the osTicket database before its snapshot.
fn staged_with(db: &str, dir: &Path, sim: &Sim, changes: &str) -> Option<std::path::PathBuf> {
    if !load_real117(db) {
        return None;
    }
    if !changes.is_empty() {
        admin_sql(Some(db), changes);
    }
    let path = dir.join("m.duckdb");
    let out = snapshot(db, &path, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    split_to_the_end(path.to_str().unwrap(), &[]);
    let out = ostmig(
        &[
            "intercom",
            "pull",
            "--db",
            path.to_str().unwrap(),
            "--intercom-url",
            &sim.url,
        ],
        &[("OSTMIG_INTERCOM_TOKEN", TOKEN)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = dir.join("ostmig.toml");
    std::fs::write(&config, SETTLED).unwrap();
    let out = ostmig(
        &[
            "transform",
            "--db",
            path.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    confirm_mapping(&path);
    record_notes_hidden(&path);
    Some(path)
}

fn seed(dir: &Path) -> String {
    let file = dir.join("workspace.toml");
    std::fs::write(&file, SIM_SEED).unwrap();
    file.to_str().unwrap().to_string()
}

/// Counts of what the workspace holds, and every ticket's osTicket number with its part count.
fn census(state: &Value) -> (usize, usize, usize, Vec<(String, usize)>, usize) {
    let n = |k: &str| state[k].as_object().map_or(0, |o| o.len());
    let mut tickets: Vec<(String, usize)> = state["tickets"]
        .as_object()
        .unwrap()
        .values()
        .filter(|t| t["category"] == "Customer")
        .map(|t| {
            (
                t["ticket_attributes"]["osTicket number"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string(),
                posted_parts(t).len(),
            )
        })
        .collect();
    tickets.sort();
    let files = state["files"].as_array().map_or(0, |f| f.len());
    (n("companies"), n("contacts"), n("tags"), tickets, files)
}

#[test]
fn a_full_load_lands_everything_once_and_a_rerun_sends_nothing() {
    require_mariadb!();
    let dir = tempfile::tempdir().unwrap();
    let Some(sim) = Sim::start(&["--seed", &seed(dir.path())]) else {
        return;
    };
    let Some(path) = staged("ostmig_t_load", dir.path(), &sim) else {
        return;
    };

    // The plan sends nothing and shows what each phase holds.
    let out = load(&path, &sim.url, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(
        plan.contains("tickets") && plan.contains("to create"),
        "{plan}"
    );
    assert_eq!(census(&sim.state()).1, 0);
    let estimate: serde_json::Value =
        serde_json::from_slice(&load(&path, &sim.url, &["--json"]).stdout).unwrap();
    let requests_before = sim.state()["counts"]["requests"].as_i64().unwrap();

    let out = load(&path, &sim.url, &["--apply"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = duck(&path);
    // The calls each phase made, as the load counted them, are what the simulator answered
    // (bar the reachability check and the schema preflight, outside the phases), and the
    // plan's estimate was close to them.
    let made = duck_i64(&conn, "SELECT sum(calls) FROM load.phase_result");
    let answered = sim.state()["counts"]["requests"].as_i64().unwrap() - requests_before;
    assert!(
        (0..=6).contains(&(answered - made)),
        "the simulator answered {answered}, the phases counted {made}"
    );
    for phase in estimate.as_array().unwrap() {
        let name = phase["phase"].as_str().unwrap();
        let estimated = phase["calls"].as_i64().unwrap();
        let actual = duck_i64(
            &conn,
            &format!(
                "SELECT coalesce(sum(calls), 0) FROM load.phase_result WHERE phase = '{name}'"
            ),
        );
        // The schema phase also lists what exists before it creates, and a phase that uses the
        // ticket type reads it first.
        let slack = if name == "schema" { 8 } else { 3 };
        assert!(
            actual <= estimated + slack && actual * 10 >= estimated * 6,
            "{name}: estimated {estimated} calls, made {actual}"
        );
    }
    let (companies, contacts, tags, tickets, files) = census(&sim.state());
    assert_eq!(
        (companies, contacts, tags, tickets.len(), files as i64),
        (
            7,
            50,
            9,
            57,
            duck_i64(&conn, "SELECT count(*) FROM outbox.outbox_attachments")
        )
    );
    // Every ticket carries its replies and notes, one note per batch of files no reply could
    // carry and one per burst of activity events (events = "notes", the default).
    let expected: Vec<(String, usize)> = {
        let mut stmt = conn
            .prepare(
                "SELECT t.number, (SELECT count(*) FROM outbox.outbox_ticket_parts p WHERE p.ticket_id = t.ticket_id)
                        + (SELECT count(DISTINCT entry_id || ':' || batch) FROM outbox.outbox_attachments a
                           WHERE a.ticket_id = t.ticket_id AND a.carrier = 'note')
                        + (SELECT count(*) FROM outbox.outbox_ticket_events e WHERE e.ticket_id = t.ticket_id)
                 FROM outbox.outbox_tickets t ORDER BY t.number",
            )
            .unwrap();
        stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    assert_eq!(tickets, expected);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM load.ledger WHERE status NOT IN ('created', 'existing')"
        ),
        0
    );
    // The states phase left each ticket in its category; the bytes of every file arrived.
    let state = sim.state();
    // Every write whose operation takes skip_notifications said it: nobody was e-mailed.
    assert_eq!(
        state["notifications"],
        serde_json::json!({}),
        "writes that would have notified someone"
    );
    assert_eq!(state["customer_visible"]["tickets"], 57);
    let resolved = state["tickets"]
        .as_object()
        .unwrap()
        .values()
        .filter(|t| t["ticket_state"]["category"] == "resolved")
        .count();
    assert_eq!(resolved, 37);
    let sizes: i64 = state["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["size"].as_i64().unwrap())
        .sum();
    assert_eq!(
        sizes,
        duck_i64(&conn, "SELECT sum(size) FROM outbox.outbox_attachments")
    );
    assert_the_thread_is_the_osticket_thread(&conn, &state);
    drop(conn);

    // A second load finds everything settled in the ledger and sends nothing new.
    let out = load(&path, &sim.url, &["--apply"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(census(&sim.state()), census(&state));
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
        "the token must not be stored"
    );

    // Verify reads everything back: no difference; then a title changed in the workspace is
    // found and named.
    let verify = || {
        ostmig(
            &[
                "verify",
                "--db",
                path.to_str().unwrap(),
                "--intercom-url",
                &sim.url,
            ],
            &[("OSTMIG_INTERCOM_TOKEN", TOKEN)],
        )
    };
    let out = verify();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (number, ticket) = state["tickets"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, t)| {
            (
                t["ticket_attributes"]["osTicket number"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                id.clone(),
            )
        })
        .next()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let resp = reqwest::Client::new()
            .put(format!("{}/tickets/{ticket}", sim.url))
            .bearer_auth(TOKEN)
            .header("Intercom-Version", "2.16")
            .json(&serde_json::json!({"ticket_attributes": {"_default_title_": "Changed by hand"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
    });
    // A merged child is not a ticket of its own, but a search for its number finds the ticket
    // it was merged into (issue 22).
    let (child, parent): (String, String) = duck(&path)
        .query_row(
            "SELECT c.number, p.number FROM staging.stg_tickets c JOIN staging.stg_tickets p ON p.ticket_id = c.parent_ticket_id
             WHERE c.merged_child ORDER BY c.number LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let merged_attr = state["ticket_types"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|t| {
            t["ticket_type_attributes"]["data"]
                .as_array()
                .unwrap()
                .clone()
        })
        .find(|a| a["name"] == "Merged osTicket numbers")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let found: Value = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/tickets/search", sim.url))
            .bearer_auth(TOKEN)
            .header("Intercom-Version", "2.16")
            .json(&serde_json::json!({"query": {"field": format!("ticket_attribute.{merged_attr}"), "operator": "~", "value": child}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let numbers: Vec<&str> = found["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ticket_attributes"]["osTicket number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, [parent.as_str()], "{found}");
    assert_eq!(verify().status.code(), Some(1));
    assert_eq!(
        duck_str(
            &duck(&path),
            "SELECT source_key || ' ' || field || ' ' || actual FROM load.verify_mismatch"
        )
        .unwrap(),
        format!("{number} _default_title_ Changed by hand")
    );

    // Rollback: the plan, then everything ostmig created is gone or archived; the seeded
    // admins and teams stay; a second rollback has nothing left to do.
    let rollback = |extra: &[&str]| {
        let mut args = vec![
            "rollback",
            "--db",
            path.to_str().unwrap(),
            "--intercom-url",
            &sim.url,
        ];
        args.extend_from_slice(extra);
        ostmig(&args, &[("OSTMIG_INTERCOM_TOKEN", TOKEN)])
    };
    let plan = rollback(&[]);
    assert!(String::from_utf8_lossy(&plan.stdout).contains("ticket"));
    assert_eq!(
        census(&sim.state()),
        census(&state),
        "the plan undoes nothing"
    );
    let out = rollback(&["--apply"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let after = sim.state();
    assert_eq!(census(&after), (0, 0, 0, vec![], 0));
    assert_eq!(
        (
            after["admins"].as_array().unwrap().len(),
            after["teams"].as_array().unwrap().len()
        ),
        (5, 4)
    );
    // Archived: the type ostmig created; the workspace's own "Bug report" is not touched.
    assert!(
        after["ticket_types"]
            .as_object()
            .unwrap()
            .values()
            .all(|t| (t["archived"] == true) == (t["name"] != "Bug report"))
    );
    assert!(
        after["data_attributes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["archived"] == true)
    );
    let conn = duck(&path);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM load.ledger WHERE status = 'created'"
        ),
        0
    );
    drop(conn);
    assert_eq!(rollback(&["--apply"]).status.code(), Some(0));
}

/// What an agent sees is the osTicket conversation (issue 19's "done when"): no broken image,
/// every file on the part of its entry or the note right after it, ticket 7's pasted images
/// and ticket 5's cid image among them, first messages' links in the description, every
/// ticket's parts in time order as stored, collaborators on the ticket.
fn assert_the_thread_is_the_osticket_thread(conn: &duckdb::Connection, state: &Value) {
    let tickets = state["tickets"].as_object().unwrap();
    // No body holds a reference Intercom cannot show.
    for t in tickets.values() {
        for p in posted_parts(t) {
            let body = p["body"].as_str().unwrap_or_default();
            for bad in ["ostmig-file:", "cid:", "data:image", "src=\"data:"] {
                assert!(!body.contains(bad), "a part holds {bad}: {body}");
            }
        }
        let description = t["ticket_attributes"]["_default_description_"]
            .as_str()
            .unwrap_or_default();
        assert!(!description.contains("ostmig-file:") && !description.contains("cid:"));
    }
    // Every part's files are the files its outbox row says ride on it; a note's, those of
    // its entry, and the note is right after that entry's part (or opens the thread, for the
    // description's files).
    let ledger_id = |object_type: &str, key: &str| {
        duck_str(
            conn,
            &format!(
                "SELECT intercom_id FROM load.ledger WHERE object_type = '{object_type}' AND source_key = '{key}'"
            ),
        )
        .unwrap_or_else(|| panic!("{object_type} {key} is not in the ledger"))
    };
    let mut stmt = conn
        .prepare(
            "SELECT a.entry_id, a.batch, a.carrier, string_agg(a.name, '|' ORDER BY a.n), any_value(t.number),
                    any_value(p.entry_id IS NULL)
             FROM outbox.outbox_attachments a JOIN outbox.outbox_tickets t USING (ticket_id)
             LEFT JOIN outbox.outbox_ticket_parts p USING (entry_id)
             GROUP BY a.entry_id, a.batch, a.carrier ORDER BY 1, 2",
        )
        .unwrap();
    let batches: Vec<(i64, i64, String, String, String, bool)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        batches.iter().any(|b| b.2 == "part"),
        "no file rides on its part"
    );
    let ticket_of = |number: &str| {
        tickets
            .values()
            .find(|t| t["ticket_attributes"]["osTicket number"] == number)
            .unwrap()
    };
    for (entry, batch, carrier, names, number, is_description) in &batches {
        let parts = posted_parts(ticket_of(number));
        let id_text = |p: &Value| {
            p["id"]
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| p["id"].to_string())
        };
        let carrier_id = if carrier == "part" {
            ledger_id("part", &entry.to_string())
        } else {
            ledger_id("attachment_note", &format!("{entry}:{batch}"))
        };
        let at = parts
            .iter()
            .position(|p| id_text(p) == carrier_id)
            .unwrap_or_else(|| panic!("the carrier of entry {entry}'s files is not on #{number}"));
        let got: Vec<&str> = parts[at]["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            got.join("|"),
            *names,
            "files of entry {entry} batch {batch}"
        );
        if carrier == "note" && !is_description {
            // Right after its entry, or after the entry's earlier file note.
            let entry_part = ledger_id("part", &entry.to_string());
            let before = id_text(parts[at - 1]);
            let earlier_note = (*batch > 0)
                .then(|| ledger_id("attachment_note", &format!("{entry}:{}", batch - 1)));
            assert!(
                before == entry_part || Some(&before) == earlier_note.as_ref(),
                "entry {entry}'s file note is not right after it on #{number}"
            );
        }
    }
    // Ticket 7's and ticket 5's inline images are files, each named in the text.
    // (Ticket 7 was written with data: images; osTicket stored them as cid: files.)
    for (ticket, what) in [(7, "role = 'inline_image'"), (5, "role = 'inline_image'")] {
        let names = duck_str(
            conn,
            &format!(
                "SELECT string_agg(name, '|') FROM outbox.outbox_attachments WHERE ticket_id = {ticket} AND {what}"
            ),
        )
        .unwrap_or_else(|| panic!("ticket {ticket} has no such image"));
        let number = duck_str(
            conn,
            &format!("SELECT number FROM outbox.outbox_tickets WHERE ticket_id = {ticket}"),
        )
        .unwrap();
        let t = ticket_of(&number);
        let text = format!(
            "{} {}",
            t["ticket_attributes"]["_default_description_"],
            posted_parts(t)
                .iter()
                .map(|p| p["body"].to_string())
                .collect::<String>()
        );
        let files: Vec<&str> = posted_parts(t)
            .iter()
            .flat_map(|p| p["attachments"].as_array().unwrap().iter())
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        for name in names.split('|') {
            assert!(files.contains(&name), "{name} is not a file of #{number}");
            assert!(
                text.contains(&format!("[image: {name}]")),
                "no marker for {name} on #{number}"
            );
        }
    }
    // Every link of a first message reaches the ticket's description.
    let mut stmt = conn
        .prepare(
            "SELECT t.number, unnest(regexp_extract_all(p.body_html, 'href=\"(https?://[^\"]+)\"', 1))
             FROM outbox.outbox_tickets t JOIN stage.parts p ON p.entry_id = t.description_entry_id",
        )
        .unwrap();
    let links: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (number, url) in &links {
        let description = ticket_of(number)["ticket_attributes"]["_default_description_"]
            .as_str()
            .unwrap()
            .to_string();
        let url = url.replace("&amp;", "&");
        assert!(
            description.contains(&url),
            "#{number}'s description lacks {url}"
        );
    }
    // One conversation order: as stored, every ticket's parts are in created_at order.
    for t in tickets.values() {
        let times: Vec<i64> = posted_parts(t)
            .iter()
            .map(|p| p["created_at"].as_i64().unwrap())
            .collect();
        assert!(
            times.is_sorted(),
            "{} is out of order: {times:?}",
            t["ticket_attributes"]["osTicket number"]
        );
    }
    // Collaborators are participants: ticket 5's two CCs among them.
    let mut stmt = conn
        .prepare(
            "SELECT number, payload->>'$.customer.user_id', ticket_id FROM outbox.outbox_ticket_participants WHERE kind = 'participant'",
        )
        .unwrap();
    let people: Vec<(String, String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        people.iter().filter(|p| p.2 == 5).count() >= 2,
        "ticket 5's CCs: {people:?}"
    );
    for (number, who, _) in &people {
        let held = ticket_of(number)["contacts"]["contacts"].to_string();
        assert!(
            held.contains(who.as_str()),
            "{who} is not on #{number}: {held}"
        );
    }
}

/// After a load that faults interrupted: every company, contact, tag, ticket, reply, note
/// and file note of the real 1.17 database exactly once in `state`, and verify finds nothing.
fn assert_once_and_verified(path: &Path, sim: &Sim, state: &Value, after: &str) {
    let (companies, contacts, tags, tickets, files) = census(state);
    assert_eq!(
        (companies, contacts, tags, files),
        (7, 50, 9, 39),
        "after {after}"
    );
    let numbers: Vec<&String> = tickets.iter().map(|(n, _)| n).collect();
    let mut unique = numbers.clone();
    unique.dedup();
    assert_eq!(
        (numbers.len(), unique.len()),
        (57, 57),
        "every ticket exactly once after {after}"
    );
    let conn = duck(path);
    let expected: i64 = duck_i64(
        &conn,
        "SELECT (SELECT count(*) FROM outbox.outbox_ticket_parts)
              + (SELECT count(DISTINCT entry_id || ':' || batch) FROM outbox.outbox_attachments WHERE carrier = 'note')
                  + (SELECT count(*) FROM outbox.outbox_ticket_participants WHERE kind = 'note')
              + (SELECT count(*) FROM outbox.outbox_ticket_events)",
    );
    let parts: usize = tickets.iter().map(|(_, n)| n).sum();
    assert_eq!(
        parts as i64, expected,
        "every reply, note and file note exactly once after {after}"
    );
    // Each task once, as a back-office ticket with each entry of its thread once.
    let mut tasks: Vec<(String, usize)> = state["tickets"]
        .as_object()
        .unwrap()
        .values()
        .filter(|t| t["category"] == "Back-office")
        .map(|t| {
            let number = t["ticket_attributes"]["osTicket task number"].as_str();
            (number.unwrap_or("?").to_string(), posted_parts(t).len())
        })
        .collect();
    tasks.sort();
    let mut expected: Vec<(String, usize)> = {
        let mut stmt = conn
            .prepare(
                "SELECT t.payload->>'$.ticket_attributes.\"osTicket task number\"', count(n.entry_id)
                 FROM outbox.outbox_tasks t LEFT JOIN outbox.outbox_task_notes n USING (task_key) GROUP BY ALL",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    expected.sort();
    assert_eq!(
        tasks, expected,
        "every task and its notes exactly once after {after}"
    );
    drop(conn);
    assert_verifies_clean(path, &sim.url, after);
}

#[test]
fn a_load_killed_again_and_again_into_a_faulty_intercom_ends_exactly_once() {
    require_mariadb!();
    let dir = tempfile::tempdir().unwrap();
    // Issue 9's mix: 20 % server errors (half after the change was applied), 5 % connections
    // cut after the change, 2 % requests left hanging past the client's 2 s timeout, and 429
    // storms that refuse everything for 2 s whatever the budget says.
    let Some(sim) = Sim::start(&[
        "--seed",
        &seed(dir.path()),
        "--fail-rate",
        "0.2",
        "--drop-connections",
        "0.05",
        "--timeout-rate",
        "0.02",
        "--hang-seconds",
        "20",
        "--storm-rate",
        // About 1,600 requests reach the window: ~10 storms expected, none with odds of 1e-4
        // (at 0.003 one CI run in a hundred saw none and failed the "throttled" assert).
        "0.006",
        "--latency-ms",
        "5",
        // As the live API: search lags (erratum search-lag); bodies are sanitized (the default).
        "--search-lag",
        "30",
    ]) else {
        return;
    };
    let Some(path) = staged_with("ostmig_t_load_kill", dir.path(), &sim, TASKS) else {
        return;
    };
    // The loader's window must cover the lag: a lost ticket create is searched for 35 s.
    const WINDOW: (&str, &str) = ("OSTMIG_SEARCH_WINDOW", "35");
    // Three private apps of the workspace, as a load at the workspace's limit uses them: each
    // object must be sent, looked up and sent again by the app its intent names.
    let tokens = dir.path().join("tokens");
    std::fs::write(
        &tokens,
        format!("# three apps of one workspace\n{TOKEN}\n{TOKEN}-app2\n\n{TOKEN}-app3\n"),
    )
    .unwrap();
    let token_file = ("OSTMIG_INTERCOM_TOKEN_FILE", tokens.to_str().unwrap());
    // SIGKILL the load at 20 random moments (each run resumes, so later kills land in later
    // phases, mid-request included), then let it finish. The seed is printed to replay a failure.
    let seed: u64 = std::env::var("OSTMIG_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("kill moments from seed {seed} (OSTMIG_KILL_SEED to replay)");
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
    let moments: Vec<u64> = (0..20)
        .map(|_| rand::Rng::random_range(&mut rng, 150..2500))
        .collect();
    for (round, ms) in moments.iter().enumerate() {
        let mut child = Command::new(bin())
            .args([
                "load",
                "--apply",
                "--continue-on-error",
                "--db",
                path.to_str().unwrap(),
                "--intercom-url",
                &sim.url,
            ])
            .env_remove("OSTMIG_INTERCOM_TOKEN")
            .env(token_file.0, token_file.1)
            .env("OSTMIG_INTERCOM_TIMEOUT", "2")
            .env(WINDOW.0, WINDOW.1)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(*ms));
        let _ = child.kill();
        let _ = child.wait();
        eprintln!("round {round}: killed after {ms} ms");
    }
    let mut last = String::new();
    // Tickets parked with their fate unknown are settled by the runs after (found once search
    // caught up, or sent again when a search a window after the send still misses them).
    let done = (0..8).any(|_| {
        let out = ostmig(
            &[
                "load",
                "--db",
                path.to_str().unwrap(),
                "--intercom-url",
                &sim.url,
                "--apply",
                "--continue-on-error",
            ],
            &[token_file, ("OSTMIG_INTERCOM_TIMEOUT", "2"), WINDOW],
        );
        last = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out.status.code() == Some(0)
    });
    if !done {
        // What the ledger holds that is not settled with an id: the place to start looking.
        let conn = duck(&path);
        let odd = duck_str(
            &conn,
            "SELECT string_agg(object_type || ' ' || source_key || ' ' || status || ' id=' || coalesce(intercom_id, 'NULL') || ' ' || coalesce(last_error, ''), '\n')
             FROM load.ledger WHERE status NOT IN ('created', 'existing') OR intercom_id IS NULL OR last_error IS NOT NULL",
        );
        panic!("the load did not complete after the kills:\n{last}\nledger:\n{odd:?}");
    }
    let state = sim.state();
    let faults = &state["faults"];
    eprintln!("faults injected: {faults}");
    for kind in ["server_errors", "cut_connections", "hung", "throttled"] {
        assert!(
            faults[kind].as_u64() > Some(0),
            "no {kind} injected: {faults}"
        );
    }
    // All three apps carried the load, and the ledger says which sent what.
    let apps = state["counts"]["by_app"].as_object().unwrap();
    assert_eq!(apps.len(), 3, "requests by app: {apps:?}");
    assert!(
        apps.values().all(|a| a["requests"].as_u64() > Some(10)),
        "{apps:?}"
    );
    let conn = duck(&path);
    let ledger_apps = duck_str(
        &conn,
        "SELECT string_agg(DISTINCT app, ',' ORDER BY app) FROM load.ledger WHERE object_type IN ('ticket', 'part')",
    );
    let mut from_sim: Vec<&String> = apps.keys().collect();
    from_sim.sort();
    assert_eq!(
        ledger_apps
            .as_deref()
            .map(|a| a.split(',').collect::<Vec<_>>()),
        Some(from_sim.iter().map(|s| s.as_str()).collect()),
        "the ledger names the apps the simulator saw"
    );
    drop(conn);
    assert_once_and_verified(&path, &sim, &state, "the kills");
}

/// Two tasks on two tickets of the real database, each with its thread (an open one by an agent
/// with two notes, a closed one by another agent), so the kills land in the tasks phase too.
const TASKS: &str = "
INSERT INTO ost_task (id, object_id, object_type, number, dept_id, staff_id, team_id, lock_id, flags, duedate, closed, created, updated) VALUES
 (901, 2, 'T', '900001', 1, 2, 0, 0, 1, '2025-02-01 12:00:00', NULL, '2025-01-20 10:00:00', '2025-01-20 10:00:00'),
 (902, 3, 'T', '900002', 1, 6, 0, 0, 0, NULL, '2025-01-22 09:00:00', '2025-01-21 10:00:00', '2025-01-22 09:00:00');
INSERT INTO ost_thread (id, object_id, object_type, extra, lastresponse, lastmessage, created) VALUES
 (9901, 901, 'A', NULL, NULL, NULL, '2025-01-20 10:00:00'),
 (9902, 902, 'A', NULL, NULL, NULL, '2025-01-21 10:00:00');
INSERT INTO ost_thread_entry (pid, thread_id, staff_id, user_id, type, flags, poster, editor, editor_type, source, title, body, format, ip_address, recipients, created, updated) VALUES
 (0, 9901, 2, 0, 'N', 0, 'Jane Doe', NULL, NULL, '', 'Replace the router', '<p>Order a replacement unit.</p>', 'html', '', NULL, '2025-01-20 10:00:00', '2025-01-20 10:00:00'),
 (0, 9901, 2, 0, 'N', 0, 'Jane Doe', NULL, NULL, '', NULL, '<p>Ordered; it arrives on Friday.</p>', 'html', '', NULL, '2025-01-20 15:00:00', '2025-01-20 15:00:00'),
 (0, 9902, 6, 0, 'N', 0, 'Lee Wong', NULL, NULL, '', 'Call back', '<p>The customer asked for a call.</p>', 'html', '', NULL, '2025-01-21 10:00:00', '2025-01-21 10:00:00');
";

/// What osTicket looks like after the first load: a customer replied on an open ticket, a
/// requester was renamed, another open ticket was closed, and a new ticket arrived (a copy of an
/// existing one with fresh ids, as osTicket would write it).
const CUTOVER_CHANGES: &str = "
SET @t := (SELECT min(ticket_id) FROM ost_ticket WHERE status_id = 1 AND ticket_pid IS NULL);
SET @closing := (SELECT min(ticket_id) FROM ost_ticket WHERE status_id = 1 AND ticket_pid IS NULL AND ticket_id > @t);
SET @thread := (SELECT id FROM ost_thread WHERE object_type = 'T' AND object_id = @t);
SET @owner := (SELECT user_id FROM ost_ticket WHERE ticket_id = @t);
INSERT INTO ost_thread_entry (pid, thread_id, staff_id, user_id, type, flags, poster, editor, editor_type, source, title, body, format, ip_address, recipients, created, updated)
  SELECT 0, @thread, 0, @owner, 'M', 0, name, NULL, NULL, 'Email', 'Re: after cutover',
         '<p>One more question, sent after the first load.</p>', 'html', '', NULL, NOW(), NOW()
  FROM ost_user WHERE id = @owner;
UPDATE ost_user SET name = 'Renamed Requester', updated = NOW() WHERE id = @owner;
UPDATE ost_ticket SET status_id = (SELECT min(id) FROM ost_ticket_status WHERE state = 'closed'),
       closed = NOW(), updated = NOW() WHERE ticket_id = @closing;
CREATE TEMPORARY TABLE nt AS SELECT * FROM ost_ticket WHERE ticket_id = @t;
UPDATE nt SET ticket_id = 9001, number = '990001', created = NOW(), updated = NOW(), lastupdate = NOW();
INSERT INTO ost_ticket SELECT * FROM nt;
CREATE TEMPORARY TABLE nth AS SELECT * FROM ost_thread WHERE id = @thread;
UPDATE nth SET id = 9001, object_id = 9001;
INSERT INTO ost_thread SELECT * FROM nth;
CREATE TEMPORARY TABLE ne AS SELECT * FROM ost_thread_entry WHERE thread_id = @thread AND title <> 'Re: after cutover';
UPDATE ne SET id = id + 90000, pid = IF(pid = 0, 0, pid + 90000), thread_id = 9001, created = NOW(), updated = NOW();
INSERT INTO ost_thread_entry SELECT * FROM ne;
CREATE TEMPORARY TABLE nf AS SELECT * FROM ost_form_entry WHERE object_type = 'T' AND object_id = @t;
CREATE TEMPORARY TABLE nv AS SELECT v.* FROM ost_form_entry_values v JOIN nf ON v.entry_id = nf.id;
UPDATE nf SET id = id + 9000, object_id = 9001, updated = NOW();
UPDATE nv SET entry_id = entry_id + 9000;
INSERT INTO ost_form_entry SELECT * FROM nf;
INSERT INTO ost_form_entry_values SELECT * FROM nv;
CREATE TEMPORARY TABLE nc AS SELECT * FROM ost_ticket__cdata WHERE ticket_id = @t;
UPDATE nc SET ticket_id = 9001;
INSERT INTO ost_ticket__cdata SELECT * FROM nc;
SELECT (SELECT number FROM ost_ticket WHERE ticket_id = @t), (SELECT number FROM ost_ticket WHERE ticket_id = @closing), @owner;
";

#[test]
fn a_cutover_delta_sends_only_what_changed() {
    require_mariadb!();
    let dir = tempfile::tempdir().unwrap();
    let Some(sim) = Sim::start(&["--seed", &seed(dir.path())]) else {
        return;
    };
    let db = "ostmig_t_cutover";
    let Some(path) = staged(db, dir.path(), &sim) else {
        return;
    };
    assert_eq!(load(&path, &sim.url, &["--apply"]).status.code(), Some(0));
    let before = census(&sim.state());

    let changed = admin_sql(Some(db), CUTOVER_CHANGES);
    let changed: Vec<&str> = changed.split_whitespace().collect();
    let (replied, closed, owner) = (changed[0], changed[1], changed[2]);

    // Delta snapshot, then split and transform as usual.
    let out = snapshot(db, &path, &["--delta"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("delta"));
    let p = path.to_str().unwrap();
    split_to_the_end(p, &[]);
    let config = dir.path().join("ostmig.toml");
    let out = ostmig(
        &["transform", "--db", p, "--config", config.to_str().unwrap()],
        &[],
    );
    assert!(out.status.success());

    // The staged copy equals a full snapshot taken now, table by table.
    let full = dir.path().join("full.duckdb");
    snapshot(db, &full, &[]);
    let conn = duck(&path);
    conn.execute_batch(&format!(
        "ATTACH '{}' AS full_copy (READ_ONLY)",
        full.display()
    ))
    .unwrap();
    let tables: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'full_copy' AND table_schema = 'raw' ORDER BY 1")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert!(tables.len() > 50);
    for t in &tables {
        let diff = duck_i64(
            &conn,
            &format!(
                "SELECT (SELECT count(*) FROM (SELECT * FROM raw.\"{t}\" EXCEPT ALL SELECT * FROM full_copy.raw.\"{t}\"))
                      + (SELECT count(*) FROM (SELECT * FROM full_copy.raw.\"{t}\" EXCEPT ALL SELECT * FROM raw.\"{t}\"))"
            ),
        );
        assert_eq!(
            diff, 0,
            "raw.{t} after the delta differs from a full snapshot"
        );
    }
    assert!(
        duck_i64(
            &conn,
            "SELECT delta_rows FROM meta.snapshot_table WHERE table_name = 'thread_entry' AND snapshot_id = 2"
        ) < duck_i64(
            &conn,
            "SELECT rows_copied FROM meta.snapshot_table WHERE table_name = 'thread_entry' AND snapshot_id = 2"
        ),
        "thread entries were re-read incrementally"
    );
    drop(conn);

    // The plan names the new objects and the updates; the load sends only those.
    let plan = String::from_utf8_lossy(&load(&path, &sim.url, &[]).stdout).to_string();
    assert!(plan.contains("to update"), "{plan}");
    let out = load(&path, &sim.url, &["--apply"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let state = sim.state();
    let after = census(&state);
    assert_eq!(
        (after.0, after.1, after.2, after.4),
        (before.0, before.1, before.2, before.4)
    );
    let parts = |c: &(usize, usize, usize, Vec<(String, usize)>, usize), n: &str| {
        c.3.iter()
            .filter(|(k, _)| k == n)
            .map(|(_, p)| *p)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        after.3.len(),
        before.3.len() + 1,
        "one new ticket, no second copy of any"
    );
    assert_eq!(
        parts(&after, replied),
        vec![parts(&before, replied)[0] + 1],
        "the reply was appended"
    );
    assert_eq!(parts(&after, "990001").len(), 1);
    let conn = duck(&path);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT updated FROM load.phase_result WHERE phase = 'contacts' ORDER BY run_id DESC LIMIT 1"
        ),
        1,
        "only the renamed contact was updated"
    );
    drop(conn);
    let contact = state["contacts"]
        .as_object()
        .unwrap()
        .values()
        .find(|c| c["external_id"] == format!("osticket-user-{owner}"))
        .unwrap();
    assert_eq!(contact["name"], "Renamed Requester");
    let ticket = state["tickets"]
        .as_object()
        .unwrap()
        .values()
        .find(|t| t["ticket_attributes"]["osTicket number"] == closed)
        .unwrap();
    assert_eq!(ticket["ticket_state"]["category"], "resolved");
    let out = ostmig(
        &["verify", "--db", p, "--intercom-url", &sim.url],
        &[("OSTMIG_INTERCOM_TOKEN", TOKEN)],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_sample_rehearsal_has_its_own_ledger_and_can_be_undone() {
    require_mariadb!();
    let dir = tempfile::tempdir().unwrap();
    let Some(sandbox) = Sim::start(&["--seed", &seed(dir.path())]) else {
        return;
    };
    let Some(path) = staged("ostmig_t_sample", dir.path(), &sandbox) else {
        return;
    };
    let p = path.to_str().unwrap();
    let out = load(&path, &sandbox.url, &["--sample", "8"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sample of 8 tickets"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        census(&sandbox.state()).3.len(),
        0,
        "the plan sends nothing"
    );
    let out = load(&path, &sandbox.url, &["--sample", "8", "--apply"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let conn = duck(&path);
    let (companies, contacts, _, tickets, _) = census(&sandbox.state());
    assert_eq!(tickets.len(), 8);
    assert_eq!(
        contacts as i64,
        duck_i64(&conn, "SELECT count(*) FROM sample_outbox.outbox_contacts")
    );
    assert!(contacts < 50 && companies <= 7);
    // Representative: the pick spans several strata (states, files, notes), not 8 of a kind.
    assert!(duck_i64(&conn, "SELECT count(DISTINCT stratum) FROM load.sample") >= 3);
    // The same N gives the same sample.
    let picked = duck_str(
        &conn,
        "SELECT string_agg(number, ',' ORDER BY number) FROM load.sample",
    );
    drop(conn);
    load(&path, &sandbox.url, &["--sample", "8"]);
    let conn = duck(&path);
    assert_eq!(
        duck_str(
            &conn,
            "SELECT string_agg(number, ',' ORDER BY number) FROM load.sample"
        ),
        picked
    );
    // The migration's own ledger is untouched: the real load will send everything.
    assert_eq!(duck_i64(&conn, "SELECT count(*) FROM load.ledger"), 0);
    drop(conn);
    let env = [("OSTMIG_INTERCOM_TOKEN", TOKEN)];
    let out = ostmig(
        &[
            "verify",
            "--sample",
            "--db",
            p,
            "--intercom-url",
            &sandbox.url,
        ],
        &env,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = ostmig(
        &[
            "rollback",
            "--sample",
            "--apply",
            "--db",
            p,
            "--intercom-url",
            &sandbox.url,
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(census(&sandbox.state()), (0, 0, 0, vec![], 0));
}

/// A small tmpfs at `dir` (root only), unmounted when dropped.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, bytes: u64) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={bytes}"))
            .arg("tmpfs")
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI runs as root and must be able to mount a tmpfs"
            );
            eprintln!("*** SKIPPING: cannot mount a tmpfs (not root?) ***");
            return None;
        }
        Some(Tmpfs(dir.to_path_buf()))
    }

    fn free(&self) -> u64 {
        let out = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(&self.0)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .unwrap()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_load_that_fills_the_disk_stops_clearly_and_resumes_exactly_once() {
    require_mariadb!();
    let dir = tempfile::tempdir().unwrap();
    let Some(sim) = Sim::start(&["--seed", &seed(dir.path())]) else {
        return;
    };
    let Some(staged_path) = staged("ostmig_t_load_disk", dir.path(), &sim) else {
        return;
    };
    // The staged file on a tmpfs with only a little room left: the ledger's writes fill it.
    let size = std::fs::metadata(&staged_path).unwrap().len();
    let Some(disk) = Tmpfs::mount(&dir.path().join("small"), size + 8 * 1024 * 1024) else {
        return;
    };
    let path = disk.0.join("m.duckdb");
    std::fs::copy(&staged_path, &path).unwrap();
    let wal = staged_path.with_extension("duckdb.wal");
    if wal.exists() {
        std::fs::copy(&wal, path.with_extension("duckdb.wal")).unwrap();
    }
    let filler = disk.0.join("filler");
    let room = 160 * 1024;
    std::fs::write(&filler, vec![0u8; (disk.free() - room) as usize]).unwrap();

    let out = load(&path, &sim.url, &["--apply"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or("");
    assert!(
        error.contains("No space left on device")
            && error.contains("hint: the disk holding the staging file"),
        "{stderr}"
    );
    let (companies, contacts, _, tickets, _) = census(&sim.state());
    assert!(
        companies + contacts + tickets.len() > 0,
        "the disk filled mid-load, after some objects were created"
    );

    // Space again: the load resumes and ends with every object exactly once.
    std::fs::remove_file(&filler).unwrap();
    let out = load(&path, &sim.url, &["--apply"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_once_and_verified(&path, &sim, &sim.state(), "the full disk");
}

fn seed_with(dir: &Path, extra: &str) -> String {
    let file = dir.join("workspace.toml");
    std::fs::write(&file, format!("{SIM_SEED}\n{extra}")).unwrap();
    file.to_str().unwrap().to_string()
}

/// What verify found, for a failure message.
fn mismatches(path: &Path) -> String {
    duck_str(
        &duck(path),
        "SELECT coalesce(string_agg(object_type || ' ' || source_key || ' ' || field || ': ' || coalesce(expected, '') || ' | ' || coalesce(actual, ''), chr(10)), '')
         FROM load.verify_mismatch",
    )
    .unwrap_or_default()
}

/// `ostmig verify` through `url` exits 0; else the differences it found are the message.
fn assert_verifies_clean(path: &Path, url: &str, after: &str) {
    let out = ostmig(
        &[
            "verify",
            "--db",
            path.to_str().unwrap(),
            "--intercom-url",
            url,
        ],
        &[
            ("OSTMIG_INTERCOM_TOKEN", TOKEN),
            ("OSTMIG_INTERCOM_TIMEOUT", "2"),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "verify after {after}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        mismatches(path)
    );
}

/// The ledger rows that are not settled, for a failure message.
fn unsettled(path: &Path) -> String {
    duck_str(
        &duck(path),
        "SELECT coalesce(string_agg(object_type || ' ' || source_key || ' ' || status || ' ' || coalesce(last_error, ''), chr(10)), '')
         FROM load.ledger WHERE status NOT IN ('created', 'existing')",
    )
    .unwrap_or_default()
}

#[test]
fn a_lost_ticket_create_under_search_lag_is_parked_and_settled_by_the_next_run() {
    require_mariadb!();
    let dir = tempfile::tempdir().unwrap();
    // The first ticket create is applied and its answer lost; search lags 8 s, and the loader
    // is told it lags at most 3 s: so it gives up searching before the ticket is findable.
    let Some(sim) = Sim::start(&[
        "--seed",
        &seed(dir.path()),
        "--search-lag",
        "8",
        "--lose-answers",
        "POST /tickets=1",
    ]) else {
        return;
    };
    let Some(path) = staged("ostmig_t_load_parked", dir.path(), &sim) else {
        return;
    };
    let window = [
        ("OSTMIG_INTERCOM_TOKEN", TOKEN),
        ("OSTMIG_SEARCH_WINDOW", "3"),
    ];
    let run = || {
        ostmig(
            &[
                "load",
                "--db",
                path.to_str().unwrap(),
                "--intercom-url",
                &sim.url,
                "--apply",
            ],
            &window,
        )
    };
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("answer was lost"), "{stderr}");
    let conn = duck(&path);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM load.ledger WHERE status = 'unknown' AND object_type = 'ticket'"
        ),
        1,
        "{}",
        unsettled(&path)
    );
    drop(conn);
    // Parked, not sent twice: Intercom holds it once, the others too.
    let (_, _, _, tickets, _) = census(&sim.state());
    assert_eq!(tickets.len(), 57);
    // Once search has caught up (8 s after the create, which happened during the first run),
    // the next run finds it and goes on with its history.
    std::thread::sleep(Duration::from_secs(9));
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        unsettled(&path)
    );
    assert_once_and_verified(&path, &sim, &sim.state(), "a parked ticket");
    assert_eq!(sim.state()["faults"]["lost_answers"], 1);
}

#[test]
fn people_the_workspace_already_has_are_adopted_or_refused_never_doubled() {
    require_mariadb!();
    let dir = tempfile::tempdir().unwrap();
    // A workspace with a Messenger: users without an external_id (one archived), leads (two
    // with one address), a user under another system's id, and one already carrying the
    // osTicket id; every address is an osTicket user's, one in other case.
    let people = r#"
[[contacts]]
email = "alice.johnson@globex.example"
name = "Alice from the Messenger"
[[contacts]]
email = "brian.tanaka@globex.example"
archived = true
[[contacts]]
role = "lead"
email = "chloe.fischer@globex.example"
[[contacts]]
role = "lead"
email = "daniel.nguyen@globex.example"
[[contacts]]
role = "lead"
email = "daniel.nguyen@globex.example"
[[contacts]]
email = "emma.silva@initech.example"
external_id = "crm-4471"
[[contacts]]
email = "farid.costa@initech.example"
external_id = "osticket-user-10"
[[contacts]]
role = "lead"
email = "carla.mcdonald@initech.example"
"#;
    let Some(sim) = Sim::start(&[
        "--seed",
        &seed_with(dir.path(), people),
        "--restrict-deletes",
    ]) else {
        return;
    };
    let Some(path) = staged("ostmig_t_load_people", dir.path(), &sim) else {
        return;
    };
    let out = load(&path, &sim.url, &["--apply", "--continue-on-error"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Emma's address belongs to someone else's user: she is refused, listed with why, and so
    // are her tickets; everyone else arrives.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("contact osticket-user-9") && stderr.contains("crm-4471"),
        "{stderr}"
    );
    let conn = duck(&path);
    let decisions = duck_str(
        &conn,
        "SELECT string_agg(lower(email) || ' ' || action, ', ' ORDER BY lower(email)) FROM load.contact_match",
    )
    .unwrap();
    assert_eq!(
        decisions,
        "alice.johnson@globex.example adopted, brian.tanaka@globex.example adopted_archived, \
         carla.mcdonald@initech.example adopted_lead, chloe.fischer@globex.example adopted_lead, \
         daniel.nguyen@globex.example adopted_lead, emma.silva@initech.example refused, \
         farid.costa@initech.example adopted"
    );
    // Adopted and found contacts are not ours: rollback will never delete them.
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM load.ledger WHERE object_type = 'contact' AND status = 'existing'"
        ),
        6
    );
    drop(conn);
    // Nobody twice: each address is held by one user at most, and the only contacts besides
    // the workspace's are the ones ostmig created.
    let state = sim.state();
    let contacts: Vec<&Value> = state["contacts"].as_object().unwrap().values().collect();
    let mut users: Vec<String> = contacts
        .iter()
        .filter(|c| c["role"] == "user")
        .filter_map(|c| c["email"].as_str())
        .filter(|e| !e.is_empty())
        .map(str::to_lowercase)
        .collect();
    let all = users.len();
    users.sort();
    users.dedup();
    assert_eq!(users.len(), all, "an address held by two users");
    // 50 osTicket contacts: 6 taken over, 1 refused, 43 created; plus the 8 seeded.
    assert_eq!(contacts.len(), 43 + 8);
    let alice = contacts
        .iter()
        .find(|c| c["email"] == "alice.johnson@globex.example")
        .unwrap();
    assert_eq!(alice["external_id"], "osticket-user-5");
    assert_eq!(alice["role"], "user");
    let brian = contacts
        .iter()
        .find(|c| c["email"] == "brian.tanaka@globex.example")
        .unwrap();
    assert_eq!(brian["archived"], false);
    // What arrived is what was staged.
    assert_verifies_clean(&path, &sim.url, "the adoptions");

    // This plan refuses ticket deletes: the rollback says so before it deletes anything.
    let before = census(&sim.state());
    let out = ostmig(
        &[
            "rollback",
            "--db",
            path.to_str().unwrap(),
            "--intercom-url",
            &sim.url,
            "--apply",
        ],
        &[("OSTMIG_INTERCOM_TOKEN", TOKEN)],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("api_plan_restricted") && stderr.contains("nothing was undone"),
        "{stderr}"
    );
    assert_eq!(census(&sim.state()), before, "nothing was deleted");
    // Undoing contacts alone keeps those whose tickets are still there.
    let out = ostmig(
        &[
            "rollback",
            "--db",
            path.to_str().unwrap(),
            "--intercom-url",
            &sim.url,
            "--apply",
            "--phase",
            "contacts",
        ],
        &[("OSTMIG_INTERCOM_TOKEN", TOKEN)],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let conn = duck(&path);
    let requesters_kept = duck_i64(
        &conn,
        "SELECT count(*) FROM load.ledger l JOIN outbox.outbox_tickets t ON t.contact_external_id = l.source_key
         WHERE l.object_type = 'contact' AND l.status = 'created' AND l.last_error LIKE 'rollback: kept%'",
    );
    assert!(requesters_kept > 0);
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM load.ledger l JOIN outbox.outbox_tickets t ON t.contact_external_id = l.source_key
             JOIN load.ledger lt ON lt.object_type = 'ticket' AND lt.source_key = t.number AND lt.status = 'created'
             WHERE l.object_type = 'contact' AND l.status = 'rolled_back'"
        ),
        0,
        "no requester of a remaining ticket was deleted"
    );
}

#[test]
fn a_ticket_type_without_a_needed_state_stops_the_load_before_any_ticket() {
    require_mariadb!();
    let dir = tempfile::tempdir().unwrap();
    // The workspace already has the ticket type, without a "waiting on customer" state.
    let existing = r#"
[[ticket_types]]
name = "osTicket ticket"
states = [{ label = "New", category = "submitted" }, { label = "Working", category = "in_progress" },
          { label = "Done", category = "resolved" }]
"#;
    let Some(sim) = Sim::start(&["--seed", &seed_with(dir.path(), existing)]) else {
        return;
    };
    let Some(path) = staged("ostmig_t_load_states", dir.path(), &sim) else {
        return;
    };
    let out = ostmig(&["check", "--db", path.to_str().unwrap()], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("no state for"), "{stdout}");
    let conn = duck(&path);
    assert_eq!(
        duck_str(
            &conn,
            "SELECT status FROM reports.rpt_readiness WHERE area = 'Ticket state' AND item = 'waiting_on_customer'"
        )
        .as_deref(),
        Some("missing: blocks the load")
    );
    drop(conn);
    let out = load(&path, &sim.url, &["--apply"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("intercom_states_missing"), "{stderr}");
    assert_eq!(census(&sim.state()).3.len(), 0, "no ticket was sent");
}

#[test]
fn a_load_through_prism_verifies_clean() {
    require_mariadb!();
    let dir = tempfile::tempdir().unwrap();
    let Some(sim) = Sim::start(&["--seed", &seed(dir.path())]) else {
        return;
    };
    let Some(prism) = Prism::start(&sim.url) else {
        return;
    };
    let Some(path) = staged("ostmig_t_load_prism", dir.path(), &sim) else {
        return;
    };
    // Every request and answer passes Stoplight Prism's validator, which re-encodes the JSON
    // (a decimal sent as 5.0 comes back as 5): verify compares values by meaning.
    let out = load(&path, &prism.url, &["--apply"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        unsettled(&path)
    );
    assert_verifies_clean(&path, &prism.url, "a load through Prism");
    assert_once_and_verified(&path, &sim, &sim.state(), "a load through Prism");
}
