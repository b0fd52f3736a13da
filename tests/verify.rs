//! `ostmig verify` as data: the read-backs are rows in `load.readback` and the comparisons SQL
//! over them, so this test changes what "Intercom answered" (and what the outbox holds) in the
//! staging file and runs the comparisons again — no HTTP — to prove each rule sees a loss.
mod common;

use common::*;
use ostmig::load::ledger::{Ledger, Target};

fn compare(db: &std::path::Path) -> duckdb::Connection {
    let ledger = Ledger::new(ostmig::warehouse::open(db).unwrap(), Target::Main);
    let checked = ostmig::verify::compare(&ledger, chrono::Utc::now().naive_utc()).unwrap();
    assert_eq!(
        checked
            .iter()
            .map(|c| c.object_type.as_str())
            .collect::<Vec<_>>(),
        [
            "contact",
            "company",
            "ticket",
            "task",
            "contact_note",
            "company_note",
            "collection",
            "article",
            "internal_article"
        ]
    );
    drop(ledger);
    duck(db)
}

#[test]
fn verify_compares_stored_read_backs_with_the_outbox_and_with_osticket() {
    let (_dir, db) = demo_migration(40);
    let conn = duck(&db);
    // The demo's verify read everything back and found nothing.
    for kind in [
        "contact",
        "company",
        "ticket",
        "task",
        "contact_note",
        "company_note",
        "collection",
        "article",
        "internal_article",
    ] {
        assert!(
            duck_i64(
                &conn,
                &format!("SELECT count(*) FROM load.readback WHERE object_type = '{kind}'")
            ) > 0,
            "{kind}"
        );
    }
    assert_eq!(
        duck_i64(&conn, "SELECT count(*) FROM load.verify_mismatch"),
        0
    );
    // Each comparison runs as-is in an analyst's shell: none finds a difference either.
    for (name, sql) in ostmig::verify::COMPARISONS {
        assert_eq!(
            duck_i64(
                &conn,
                &format!(
                    "SELECT count(*) FROM ({}) WHERE verdict = 'differs'",
                    sql.trim().trim_end_matches(';')
                )
            ),
            0,
            "{name}"
        );
    }

    // Now Intercom "answers" otherwise: a contact renamed, a ticket's first posted part gone
    // from its read, a state changed; and a part is dropped from the outbox before the load
    // could send it.
    let contact = duck_str(
        &conn,
        "SELECT min(source_key) FROM load.readback WHERE object_type = 'contact'",
    )
    .unwrap();
    conn.execute(
        "UPDATE load.readback SET body = json_merge_patch(body, '{\"name\": \"Somebody Else\"}')
         WHERE object_type = 'contact' AND source_key = ?",
        [&contact],
    )
    .unwrap();
    let (ticket, part_id): (String, String) = conn
        .query_row(
            "SELECT ticket_key, intercom_id FROM load.ledger
             WHERE object_type = 'part' AND status = 'created' ORDER BY ticket_key, source_key LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    conn.execute(
        "UPDATE load.readback SET body = json_merge_patch(body, json_object('ticket_parts', json_object(
             'type', 'ticket_part.list',
             'ticket_parts', (SELECT to_json(list(p)) FROM (
                 SELECT unnest(json_extract(body, '$.ticket_parts.ticket_parts[*]')) AS p) WHERE p->>'$.id' <> ?),
             'total_count', json_array_length(body, '$.ticket_parts.ticket_parts') - 1)),
             '{\"ticket_state\": {\"category\": \"submitted\"}}')
         WHERE object_type = 'ticket' AND source_key = ?",
        [&part_id, &ticket],
    )
    .unwrap();
    let lost_entry: i64 = conn
        .query_row(
            "SELECT min(p.entry_id) FROM outbox.outbox_ticket_parts p
             JOIN outbox.outbox_tickets t USING (ticket_id)
             WHERE t.number <> ? AND t.number IN (SELECT source_key FROM load.readback WHERE object_type = 'ticket')",
            [&ticket],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute(
        "DELETE FROM outbox.outbox_ticket_parts WHERE entry_id = ?",
        [lost_entry],
    )
    .unwrap();
    // The knowledge base: a published FAQ read back as a draft, a sub-collection's article
    // read back outside its collection.
    conn.execute_batch(
        "UPDATE load.readback SET body = json_merge_patch(body, '{\"state\": \"draft\"}')
         WHERE object_type = 'article' AND source_key = 'osticket-faq-1';
         UPDATE load.readback SET body = json_merge_patch(body, '{\"parent_ids\": []}')
         WHERE object_type = 'article' AND source_key = 'osticket-faq-4';",
    )
    .unwrap();
    // A staff note read back without its signature line, and one on another customer.
    conn.execute_batch(
        "UPDATE load.readback SET body = json_merge_patch(body, '{\"body\": \"<p>Prefers a call back</p>\"}')
         WHERE object_type = 'contact_note' AND source_key = 'osticket-note-1';
         UPDATE load.readback SET body = json_merge_patch(body, '{\"company\": {\"type\": \"company\", \"id\": \"someone-else\"}}')
         WHERE object_type = 'company_note' AND source_key = 'osticket-note-4';",
    )
    .unwrap();
    // A task's back-office ticket read back unlinked from its ticket, and its first note shown
    // as a comment (which a customer could see).
    let (task, note_id): (String, String) = conn
        .query_row(
            "SELECT ticket_key, intercom_id FROM load.ledger
             WHERE object_type = 'task_note' AND status = 'created' ORDER BY ticket_key, source_key LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    conn.execute(
        "UPDATE load.readback SET body = json_merge_patch(body, json_object(
             'linked_objects', json_object('type', 'list', 'data', []),
             'ticket_parts', json_object('type', 'ticket_part.list', 'ticket_parts', (
                 SELECT to_json(list(CASE WHEN p->>'$.id' = ? THEN json_merge_patch(p, '{\"part_type\": \"comment\"}') ELSE p END))
                 FROM (SELECT unnest(json_extract(body, '$.ticket_parts.ticket_parts[*]')) AS p)))))
         WHERE object_type = 'task' AND source_key = ?",
        [&note_id, &task],
    )
    .unwrap();
    drop(conn);

    let conn = compare(&db);
    let found = |sql: &str| duck_i64(&conn, sql);
    assert_eq!(
        found(&format!(
            "SELECT count(*) FROM load.verify_mismatch WHERE object_type = 'contact' AND source_key = '{contact}'
               AND field = 'name' AND actual = 'Somebody Else'"
        )),
        1
    );
    assert_eq!(
        found(&format!(
            "SELECT count(*) FROM load.verify_mismatch WHERE source_key = '{ticket}'
               AND field LIKE 'part %' AND expected = '{part_id}' AND actual = ''"
        )),
        1
    );
    assert_eq!(
        found(&format!(
            "SELECT count(*) FROM load.verify_mismatch WHERE source_key = '{ticket}'
               AND field = 'state' AND actual = 'submitted'"
        )),
        1
    );
    // The entry dropped before the load: only the comparison with osTicket's thread sees it.
    assert_eq!(
        found(&format!(
            "SELECT count(*) FROM load.verify_mismatch
             WHERE field LIKE 'osTicket entry {lost_entry} %' AND actual LIKE 'not in the outbox%'"
        )),
        1
    );
    assert_eq!(
        found(
            "SELECT count(*) FROM load.verify_mismatch WHERE source_key = 'osticket-faq-1'
               AND field = 'state' AND expected = 'published' AND actual = 'draft'"
        ),
        1
    );
    assert_eq!(
        found(
            "SELECT count(*) FROM load.verify_mismatch WHERE source_key = 'osticket-faq-4'
               AND field = 'parent_id' AND actual = ''"
        ),
        1
    );
    assert_eq!(
        found(
            "SELECT count(*) FROM load.verify_mismatch WHERE source_key = 'osticket-note-1'
               AND field = 'body' AND expected LIKE '%osTicket note 1, by %' AND actual = 'Prefers a call back'"
        ),
        1
    );
    assert_eq!(
        found(
            "SELECT count(*) FROM load.verify_mismatch WHERE source_key = 'osticket-note-4'
               AND field = 'company' AND actual = 'someone-else'"
        ),
        1
    );
    assert_eq!(
        found(&format!(
            "SELECT count(*) FROM load.verify_mismatch WHERE object_type = 'task' AND source_key = '{task}'
               AND field LIKE 'linked ticket #%' AND actual = ''"
        )),
        1
    );
    assert_eq!(
        found(&format!(
            "SELECT count(*) FROM load.verify_mismatch WHERE object_type = 'task' AND source_key = '{task}'
               AND field LIKE 'note %' AND actual LIKE 'comment at %'"
        )),
        1
    );
    // Nothing else differs, and the run is counted per object.
    assert_eq!(found("SELECT count(*) FROM load.verify_mismatch"), 10);
    assert_eq!(
        found(
            "SELECT mismatched FROM load.verify_run WHERE object_type = 'ticket' ORDER BY run_at DESC LIMIT 1"
        ),
        2
    );
}
