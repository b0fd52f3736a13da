//! The knowledge base's answers through the thread cleaner: each FAQ's HTML in Intercom's
//! subset, its inline images (`cid:` of the FAQ's files, `attachment.type = 'F'`) as markers,
//! written to `stage.articles` for `outbox.outbox_articles`. Intercom's article API takes no
//! files, so the images and attachments are listed by `reports.rpt_kb_exclusions`, not sent.

use duckdb::Connection;

use super::clean::{self, Format, InlineFile, InlineFiles};

/// Clean every FAQ's answer into `stage.articles` (inside the split's transaction, which has
/// emptied it). Returns how many were written.
pub(super) fn clean_all(duck: &Connection) -> anyhow::Result<i64> {
    // Saved ticket pages alone (`split --pages` without an export) hold no knowledge base.
    let tables: i64 = duck.query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'
           AND table_name IN ('faq', 'attachment', 'file')",
        [],
        |r| r.get(0),
    )?;
    if tables < 3 {
        return Ok(0);
    }
    let files = faq_files(duck)?;
    let mut stmt = duck.prepare("SELECT faq_id::BIGINT, answer FROM raw.faq ORDER BY faq_id")?;
    let faqs = stmt
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let none = InlineFiles::new();
    let mut insert = duck.prepare(
        "INSERT INTO stage.articles VALUES (?, ?, ?, (?::JSON)::BIGINT[], (?::JSON)::VARCHAR[], (?::JSON)::VARCHAR[])",
    )?;
    for (faq_id, answer) in &faqs {
        let inline = files.get(faq_id).unwrap_or(&none);
        // An answer has no mail history: no separator to cut at.
        let c = clean::clean_body(answer.as_deref().unwrap_or(""), Format::Html, "", inline);
        insert.execute(duckdb::params![
            faq_id,
            c.html,
            c.text,
            serde_json::to_string(&c.resolved)?,
            serde_json::to_string(&c.unresolved)?,
            serde_json::to_string(&c.problems)?,
        ])?;
    }
    Ok(faqs.len() as i64)
}

/// The files of each FAQ, by the lower-cased key its answer's `cid:` names them with.
fn faq_files(duck: &Connection) -> anyhow::Result<std::collections::HashMap<i64, InlineFiles>> {
    let mut stmt = duck.prepare(
        "SELECT a.object_id::BIGINT, f.id::BIGINT, lower(f.key), coalesce(a.name, f.name, '')
         FROM raw.attachment a JOIN raw.file f ON f.id = a.file_id
         WHERE a.type = 'F'",
    )?;
    let mut map: std::collections::HashMap<i64, InlineFiles> = Default::default();
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
        ))
    })? {
        let (faq, file_id, key, name) = row?;
        if let Some(key) = key {
            map.entry(faq)
                .or_default()
                .insert(key, InlineFile { file_id, name });
        }
    }
    Ok(map)
}
