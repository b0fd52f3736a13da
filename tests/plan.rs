//! The plan is a view (`load.plan`) over the outboxes' own hashes and the ledger; a ledger an
//! older ostmig wrote (hashes of serde_json's text, the state update assembled in Rust) is
//! re-hashed once by `ostmig transform`, so nothing already loaded shows as changed and what did
//! change still does.
mod common;

use common::*;
use ostmig::load::objects::OBJECT_TYPES;
use sha2::{Digest, Sha256};

/// The hash ostmig kept before 0016_sql_hash, computed as it did: serde_json's text.
fn legacy_sha(text: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    hex::encode(Sha256::digest(v.to_string().as_bytes()))
}

fn not_skipped(conn: &duckdb::Connection) -> Vec<(String, String, String)> {
    let mut stmt = conn
        .prepare("SELECT object_type, source_key, action FROM load.plan WHERE action <> 'skip' ORDER BY ALL")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn an_older_ledgers_hashes_are_rehashed_once_and_nothing_loaded_shows_as_changed() {
    let (dir, db) = demo_migration(30);
    let d = db.to_str().unwrap();
    let config = dir.path().join("ostmig.toml");
    let conn = duck(&db);
    // After a whole load the plan has nothing left to do, for every object type staged.
    assert_eq!(not_skipped(&conn), []);
    for t in [
        "contact",
        "company",
        "ticket",
        "part",
        "ticket_state",
        "tag",
    ] {
        assert!(
            duck_i64(
                &conn,
                &format!("SELECT count(*) FROM load.plan WHERE object_type = '{t}'")
            ) > 0,
            "{t}"
        );
    }
    // What is sent is in the outboxes: the agent is assigned with the state, not at create.
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM outbox.outbox_tickets WHERE json_exists(payload, '$.assignment.admin_assignee_id')"
        ),
        0
    );
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM outbox.outbox_tickets t JOIN outbox.outbox_ticket_states s USING (ticket_id)
                         WHERE t.assignee_admin_id IS DISTINCT FROM json_extract_string(s.payload, '$.assignee_id')"),
        0
    );
    assert!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM outbox.outbox_ticket_states WHERE payload->>'$.assignee_id' IS NOT NULL"
        ) > 0
    );

    // Turn the ledger into one an older ostmig wrote: each hash of the old kind, listed as
    // such by 0016_sql_hash; one contact's of a payload that has changed since.
    let changed: String = duck_str(
        &conn,
        "SELECT min(source_key) FROM load.ledger WHERE object_type = 'contact'",
    )
    .unwrap();
    let mut rewritten = 0;
    for o in OBJECT_TYPES {
        let mut stmt = conn.prepare(o.legacy).unwrap();
        let rows: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (key, text) in rows {
            let hash = if o.name == "contact" && key == changed {
                legacy_sha(r#"{"name":"before the delta"}"#)
            } else {
                legacy_sha(&text)
            };
            rewritten += conn
                .execute(
                    "UPDATE load.ledger SET payload_sha256 = ? WHERE object_type = ? AND source_key = ? AND payload_sha256 IS NOT NULL",
                    duckdb::params![hash, o.name, key],
                )
                .unwrap();
        }
    }
    assert!(rewritten > 100, "{rewritten}");
    conn.execute_batch(
        "INSERT INTO load.legacy_hash SELECT 'main', object_type, source_key FROM load.ledger WHERE payload_sha256 IS NOT NULL",
    )
    .unwrap();
    drop(conn);

    // Until the transform re-hashes them, the plan and the load refuse, saying what to run.
    for args in [vec!["load", "--db", d], vec!["load", "--db", d, "--apply"]] {
        let out = ostmig(&args, &[("OSTMIG_INTERCOM_TOKEN", "t")]);
        expect_exit(&out, 2, "load over old hashes");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("older ostmig") && err.contains("ostmig transform"),
            "{err}"
        );
    }

    // With the demo's settings (its fallback admin), so the outboxes are those that were loaded.
    let transform = ["transform", "--db", d, "--config", config.to_str().unwrap()];
    expect_exit(&ostmig(&transform, &[]), 0, "transform");
    let conn = duck(&db);
    assert_eq!(duck_i64(&conn, "SELECT count(*) FROM load.legacy_hash"), 0);
    // Only the contact that changed is to be sent again, as an update.
    assert_eq!(
        not_skipped(&conn),
        [("contact".to_string(), changed, "update".to_string())]
    );
    drop(conn);
    let out = ostmig(&["load", "--db", d, "--json"], &[]);
    expect_exit(&out, 0, "plan");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let contacts = plan
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phase"] == "contacts")
        .unwrap();
    assert_eq!(contacts["updated"], 1, "{plan}");
    assert_eq!(contacts["sent"], 0, "{plan}");
}
