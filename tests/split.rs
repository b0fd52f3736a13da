//! `ostmig split` against real snapshots: the generated fixture and, when present, the database a
//! real osTicket 1.17 wrote (`../shared/osticket-1.17/`, edge cases by id in its README).
mod common;

use std::path::Path;

use common::*;

fn split(path: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["split", "--db", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = ostmig(&args, &[]);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "split failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every source entry is a part (of a ticket or a task), an exclusion, or in the review queue —
/// exactly once.
fn assert_reconciles(conn: &duckdb::Connection) {
    let source = duck_i64(conn, "SELECT count(*) FROM raw.thread_entry");
    let accounted = duck_i64(
        conn,
        "SELECT count(*) FROM (
             SELECT entry_id FROM stage.parts
             UNION ALL SELECT entry_id FROM stage.task_parts
             UNION ALL SELECT entry_id FROM stage.split_excluded
             UNION ALL SELECT DISTINCT object_id FROM stage.review_queue
                 WHERE object_type = 'thread_entry'
                   AND object_id NOT IN (SELECT entry_id FROM stage.parts))",
    );
    assert_eq!(accounted, source, "entries unaccounted for");
    assert_eq!(
        duck_i64(
            conn,
            "SELECT count(*) FROM stage.parts JOIN stage.split_excluded USING (entry_id)"
        ),
        0,
        "an entry is both a part and excluded"
    );
    // Conversation order: seq follows (created, entry id) within each ticket, without gaps.
    assert_eq!(
        duck_i64(
            conn,
            "SELECT count(*) FROM (
                 SELECT seq, row_number() OVER (PARTITION BY ticket_id ORDER BY created_at, entry_id) AS expected
                 FROM stage.parts) WHERE seq <> expected",
        ),
        0
    );
    // Hidden originals of edits never become parts.
    assert_eq!(
        duck_i64(
            conn,
            "SELECT count(*) FROM stage.parts p JOIN raw.thread_entry e ON e.id = p.entry_id WHERE e.flags & 4 <> 0",
        ),
        0
    );
    assert_eq!(
        duck_i64(
            conn,
            "SELECT count(*) FROM raw.thread_entry WHERE flags & 4 <> 0",
        ),
        duck_i64(
            conn,
            "SELECT count(*) FROM stage.split_excluded WHERE reason = 'superseded_edit'",
        )
    );
    // Nothing Intercom would execute or that points back into osTicket survives.
    assert_eq!(
        duck_i64(
            conn,
            "SELECT count(*) FROM stage.parts WHERE regexp_matches(lower(body_html || coalesce(quoted_html, '')),
                 '<script|<style|<iframe|\\son[a-z]+=|javascript:|class=|cid:|</div>|</span>')",
        ),
        0
    );
    // Notes, and only notes, are internal.
    assert_eq!(
        duck_i64(
            conn,
            "SELECT count(*) FROM stage.parts p JOIN raw.thread_entry e ON e.id = p.entry_id
             WHERE p.internal <> (e.type = 'N')",
        ),
        0
    );
}

/// The ticket's first message was offloaded to an inline .txt file (≥ 65,000 characters) with
/// an empty body column: the part has the file's text, and the file is its body, not an upload.
fn assert_offloaded_body_recovered(conn: &duckdb::Connection, ticket: i64) {
    let (origin, len) = conn
        .query_row(
            "SELECT body_origin, length(body_text) FROM stage.parts WHERE ticket_id = ? AND seq = 1",
            [ticket],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )
        .unwrap();
    assert_eq!(origin, "attachment");
    assert!(len >= 65_000, "{len}");
    assert_eq!(
        conn.query_row(
            "SELECT count(*) FROM stage.part_attachment a JOIN stage.parts p USING (entry_id)
             WHERE p.ticket_id = ? AND a.role = 'body'",
            [ticket],
            |r| r.get::<_, i64>(0),
        )
        .unwrap(),
        1
    );
}

#[test]
fn fixture_threads_become_ordered_clean_parts() {
    require_mariadb!();
    let db = "ostmig_t_split";
    fixture_db(db, "ost_", 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    snapshot(db, &path, &[]);
    let out = split(&path, &["--sample", "20"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("thread entries →") && stdout.contains(" parts"),
        "{stdout}"
    );
    {
        let conn = duck(&path);
        assert_reconciles(&conn);

        // A task's thread is split like a ticket's, into its own table, in order, and none of
        // it is a ticket's part.
        let task_entries = duck_i64(
            &conn,
            "SELECT count(*) FROM raw.thread_entry e JOIN raw.thread t ON t.id = e.thread_id
             WHERE t.object_type = 'A' AND e.flags & 4 = 0",
        );
        assert!(task_entries > 0);
        assert_eq!(
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.task_parts p JOIN raw.thread t ON t.object_id = p.task_id AND t.object_type = 'A'
                 JOIN raw.thread_entry e ON e.id = p.entry_id AND e.thread_id = t.id
                 WHERE p.body_html LIKE '<p>%' AND p.seq = (SELECT count(*) FROM stage.task_parts q
                       WHERE q.task_id = p.task_id AND (q.created_at, q.entry_id) <= (p.created_at, p.entry_id))"
            ),
            task_entries
        );
        assert_eq!(
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.parts WHERE entry_id IN (SELECT entry_id FROM stage.task_parts)"
            ),
            0
        );

        // Merges: every 97th ticket was merged into the one before it. Its entries are parts
        // of the parent, remember where they came from, and the child has no parts of its own.
        assert_eq!(
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.parts WHERE ticket_id = 97"
            ),
            0
        );
        let moved = duck_i64(
            &conn,
            "SELECT count(*) FROM raw.thread_entry WHERE flags & 1024 <> 0 AND flags & 4 = 0",
        );
        assert!(moved > 0);
        assert_eq!(
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.parts WHERE origin_ticket_id <> ticket_id"
            ),
            moved
        );
        assert_eq!(
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.parts WHERE origin_ticket_id = 97 AND ticket_id = 96"
            ),
            duck_i64(
                &conn,
                "SELECT count(*) FROM raw.thread_entry_merge m JOIN raw.thread t ON t.id = CAST(json_extract_string(m.data, '$.thread') AS BIGINT)
                 JOIN raw.thread_entry e ON e.id = m.thread_entry_id
                 WHERE t.object_id = 97 AND e.flags & 4 = 0"
            )
        );

        // Edits: the final text migrates, marked edited.
        assert!(duck_i64(&conn, "SELECT count(*) FROM stage.parts WHERE edited") > 0);

        // Text bodies: unescaped into paragraphs.
        assert_eq!(
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.parts WHERE source_format = 'text' AND body_origin <> 'empty' AND (body_html NOT LIKE '<p>%' OR body_text LIKE '%&amp;%' OR body_text LIKE '%&#%')"
            ),
            0
        );
        assert!(
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.parts WHERE source_format = 'text'"
            ) > 0
        );

        // `-` bodies are empty parts, flagged, not review items.
        assert_eq!(
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.parts WHERE list_contains(problems, 'empty_body') AND body_html = ''"
            ),
            duck_i64(
                &conn,
                "SELECT count(*) FROM raw.thread_entry WHERE body = '-' AND flags & 4 = 0"
            )
        );

        // Ticket 3's first message was offloaded to an inline .txt file (≥ 65,000 chars).
        assert_offloaded_body_recovered(&conn, 3);

        // Inline images: every cid: resolved to its file, and the file is not also sent as a
        // plain attachment; its place in the text names the file (no broken image reference).
        let inline = duck_i64(
            &conn,
            "SELECT count(*) FROM stage.part_attachment WHERE role = 'inline_image' AND cid_resolved",
        );
        assert!(inline > 0);
        // Images pasted as data: URIs are decoded into files of their entry, real images (PNG
        // signature), named in the text like any other.
        let pasted = duck_i64(
            &conn,
            "SELECT count(*) FROM stage.part_image WHERE hex(data) LIKE '89504E47%' AND mime_type = 'image/png'",
        );
        assert!(pasted > 0, "no pasted image decoded");
        assert_eq!(
            pasted,
            duck_i64(&conn, "SELECT count(*) FROM stage.part_image")
        );
        assert_eq!(
            inline + pasted,
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.parts, unnest(regexp_extract_all(body_html, '\\[image: [^\\]]+\\]')) AS t(x)"
            )
        );
        assert_eq!(
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.parts WHERE body_html LIKE '%ostmig-file:%' OR body_text LIKE '%ostmig-file:%'
                    OR body_html LIKE '%data:image%' OR body_html LIKE '%src=\"cid:%'"
            ),
            0
        );

        // Edited entries keep their inline images, which osTicket leaves on the hidden original.
        assert_eq!(
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.review_queue WHERE reason = 'unresolved_cid'"
            ),
            0
        );

        // Quoted history (client removed the separator): a trailing quote is cut off and kept
        // apart; a quote followed by more of the sender's content stays in the body. Never lost.
        let trailing = duck_i64(
            &conn,
            "SELECT count(*) FROM raw.thread_entry WHERE body LIKE '%Previous reply quoted%</blockquote>' AND flags & 4 = 0",
        );
        assert!(trailing > 0);
        assert_eq!(
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.parts WHERE quoted_html LIKE '%wrote:%Previous reply quoted%'
                 AND body_html NOT LIKE '%Previous reply quoted%'"
            ),
            trailing
        );
        assert_eq!(
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.parts WHERE body_html LIKE '%Previous reply quoted%' OR quoted_html LIKE '%Previous reply quoted%'"
            ),
            duck_i64(
                &conn,
                "SELECT count(*) FROM raw.thread_entry WHERE body LIKE '%Previous reply quoted%' AND flags & 4 = 0"
            )
        );

        // The sign-off sample: 20 tickets, several strata, source beside result.
        assert_eq!(
            duck_i64(
                &conn,
                "SELECT count(DISTINCT ticket_id) FROM stage.split_sample"
            ),
            20
        );
        assert!(
            duck_i64(
                &conn,
                "SELECT count(DISTINCT stratum) FROM stage.split_sample"
            ) >= 5
        );
        assert_eq!(
            duck_i64(
                &conn,
                "SELECT count(*) FROM stage.split_sample WHERE source_body IS NULL AND entry_id IN (SELECT id FROM raw.thread_entry WHERE body IS NOT NULL)"
            ),
            0
        );
    }
    // Re-running replaces the output instead of adding to it.
    let before = duck_i64(&duck(&path), "SELECT count(*) FROM stage.parts");
    split(&path, &[]);
    let conn = duck(&path);
    assert_eq!(duck_i64(&conn, "SELECT count(*) FROM stage.parts"), before);
    assert_eq!(duck_i64(&conn, "SELECT count(*) FROM meta.split_run"), 2);
}

#[test]
fn split_without_a_snapshot_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.duckdb");
    let out = ostmig(&["split", "--db", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ostmig snapshot"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn real_osticket_117_threads_split_as_its_readme_says() {
    require_mariadb!();
    let db = "ostmig_t_split117";
    if !load_real117(db) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.duckdb");
    snapshot(db, &path, &[]);
    let out = split(&path, &[]);
    // Entry 179 has no author osTicket knows: the run reports a review item.
    assert_eq!(out.status.code(), Some(1));
    let conn = duck(&path);
    assert_reconciles(&conn);

    // Edits: 1 (entries 2 → 3), 2 (5 → 7, intermediate replaced), 3 (9 → 10).
    assert_eq!(
        duck_str(
            &conn,
            "SELECT string_agg(entry_id::VARCHAR, ',' ORDER BY entry_id) FROM stage.split_excluded WHERE reason = 'superseded_edit'"
        )
        .unwrap(),
        "2,5,9"
    );
    assert_eq!(
        duck_str(
            &conn,
            "SELECT string_agg(entry_id::VARCHAR, ',' ORDER BY entry_id) FROM stage.parts WHERE edited"
        )
        .unwrap(),
        "3,7,10"
    );

    // Merges: 47 ← 48; 49 ← 50, 51; 56 ← 57; separate 52 ← 53. Link 54 ← 55 moves nothing.
    assert_eq!(
        duck_str(
            &conn,
            "SELECT string_agg(ticket_id || '<' || origin_ticket_id, ' ' ORDER BY ticket_id, origin_ticket_id)
             FROM (SELECT DISTINCT ticket_id, origin_ticket_id FROM stage.parts WHERE ticket_id <> origin_ticket_id)"
        )
        .unwrap(),
        "47<48 49<50 49<51 52<53 56<57"
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM stage.parts WHERE ticket_id IN (48, 50, 51, 53, 57)"
        ),
        0
    );
    assert!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM stage.parts WHERE ticket_id = 55"
        ) > 0
    );
    // Every ticket that is not a merged child has its conversation.
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM raw.ticket WHERE ticket_id NOT IN (48, 50, 51, 53, 57)
             AND ticket_id NOT IN (SELECT ticket_id FROM stage.parts)"
        ),
        0
    );

    // Ticket 30: a message of ≥ 65,000 characters stored as an inline .txt file, body empty.
    assert_offloaded_body_recovered(&conn, 30);

    // Ticket 6: the long thread, 23 entries. Ticket 19: eight odd attachments. Ticket 22: the
    // 13 MB log is flagged over the 10 MiB limit; ticket 33's 4 MB photo is not.
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM stage.parts WHERE ticket_id = 6"
        ),
        23
    );
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM stage.part_attachment a JOIN stage.parts p USING (entry_id) WHERE p.ticket_id = 19 AND a.role = 'attachment'"
        ),
        8
    );
    assert_eq!(
        duck_str(
            &conn,
            "SELECT string_agg(DISTINCT p.ticket_id || ':' || a.name, ' ') FROM stage.part_attachment a JOIN stage.parts p USING (entry_id) WHERE a.size > 10 * 1024 * 1024"
        )
        .unwrap(),
        "22:full-diagnostics-2025-09.log"
    );

    // Ticket 5: ISO-8859-1 mail with a cid: image and a PDF.
    assert_eq!(
        duck_str(
            &conn,
            "SELECT string_agg(a.role || ':' || a.name, ' ' ORDER BY a.role) FROM stage.part_attachment a
             JOIN stage.parts p USING (entry_id) WHERE p.ticket_id = 5"
        )
        .unwrap(),
        "attachment:Invoice-INV-2025-0412.pdf inline_image:tiny-logo.png"
    );
    // Ticket 7: inline images (data URIs osTicket extracted to files) stay images.
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM stage.part_attachment a JOIN stage.parts p USING (entry_id)
             WHERE p.ticket_id = 7 AND a.role = 'inline_image' AND a.cid_resolved"
        ),
        2
    );
    // Ticket 11: hostile HTML (osTicket neutered the link to `denied:javascript:`): text kept,
    // link and the remote image's handler-free markup only.
    let hostile = duck_str(
        &conn,
        "SELECT body_html FROM stage.parts WHERE ticket_id = 11 AND seq = 1",
    )
    .unwrap();
    assert!(
        !hostile.contains("denied:") && !hostile.contains("href=\"javascript"),
        "{hostile}"
    );
    assert!(
        hostile.contains("Click here") && hostile.contains("<u>underline</u>"),
        "{hostile}"
    );
    // Ticket 23: an attachment-only e-mail is an empty part that still carries its file.
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM stage.parts p JOIN stage.part_attachment a USING (entry_id)
             WHERE p.ticket_id = 23 AND list_contains(p.problems, 'empty_body')"
        ),
        1
    );
    // Ticket 42: the message from a non-participant (user_id 0, poster "Outside Consultant")
    // is kept as a part and queued for a decision on who it is posted as.
    assert_eq!(
        duck_str(
            &conn,
            "SELECT p.author_type || '/' || q.reason FROM stage.parts p JOIN stage.review_queue q ON q.object_id = p.entry_id
             WHERE p.ticket_id = 42 AND p.poster = 'Outside Consultant'"
        )
        .unwrap(),
        "unknown/unknown_author"
    );
    // Replies by the deactivated agent ocontractor (staff 7) are still admin parts.
    assert!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM stage.parts p JOIN raw.staff s ON s.staff_id = p.staff_id
             WHERE s.username = 'ocontractor' AND p.author_type = 'admin'"
        ) > 0
    );
}

#[test]
fn saved_staff_pages_split_like_the_database_rows() {
    require_mariadb!();
    let Some(dump) = real117_dump() else { return };
    let pages = dump.parent().unwrap().join("rendered");
    let db = "ostmig_t_rendered117";
    if !load_real117(db) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let from_db = dir.path().join("db.duckdb");
    let from_pages = dir.path().join("pages.duckdb");
    snapshot(db, &from_db, &[]);
    split(&from_db, &[]);
    let out = split(&from_pages, &["--rendered", pages.to_str().unwrap()]);
    // The print templates and the queue page are listed, not guessed at.
    assert_eq!(out.status.code(), Some(1));
    let conn = duck(&from_db);
    conn.execute_batch(&format!(
        "ATTACH '{}' AS page (READ_ONLY)",
        from_pages.display()
    ))
    .unwrap();
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM page.stage.review_queue WHERE reason = 'not_a_ticket_page'"
        ),
        6
    );
    let pages_split = duck_i64(&conn, "SELECT count(*) FROM page.stage.parts");
    assert_eq!(pages_split, 41);
    // Same entries, tickets, order, time, author name, edit mark and text. The page shows
    // FLAG_SYSTEM entries as `system` whatever their type, the one stated difference.
    let mismatches = duck_str(
        &conn,
        "SELECT string_agg(coalesce(d.entry_id, r.entry_id)::VARCHAR, ',') FROM
           (SELECT * FROM stage.parts WHERE ticket_id IN (SELECT DISTINCT ticket_id FROM page.stage.parts)) d
           FULL JOIN page.stage.parts r USING (entry_id)
           JOIN raw.thread_entry e ON e.id = coalesce(d.entry_id, r.entry_id)
         WHERE d.entry_id IS NULL OR r.entry_id IS NULL
            OR d.ticket_id <> r.ticket_id OR d.seq <> r.seq OR d.created_at <> r.created_at
            OR d.poster <> r.poster OR d.edited <> r.edited
            OR (CASE WHEN e.flags & 128 <> 0 THEN 'system' ELSE d.kind END) <> r.kind
            OR regexp_replace(d.body_text, '\\s+', ' ', 'g') <> regexp_replace(r.body_text, '\\s+', ' ', 'g')",
    );
    assert_eq!(
        mismatches, None,
        "entries that differ between page and database"
    );
    // Inline images resolve on the page too (ticket 5's logo, ticket 7's two images).
    assert_eq!(
        duck_i64(
            &conn,
            "SELECT count(*) FROM page.stage.part_attachment WHERE role = 'inline_image' AND cid_resolved"
        ),
        3
    );
}
