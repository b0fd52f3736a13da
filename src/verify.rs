//! `ostmig verify`: read back every object the ledger says was loaded, store what Intercom
//! answered in `load.readback`, and compare it with what was sent and with what osTicket held.
//!
//! The comparisons are SQL (`sql/verify/`, run in file order): an analyst runs any of them in
//! the `duckdb` shell to see its rows, and a test feeds them read-backs without HTTP. Their
//! differences go to `load.verify_mismatch` (replaced on every run), which the reconciliation
//! report shows; what one read cannot hold is counted as not verifiable.

use std::path::Path;

use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;

use crate::intercom::client::Client;
use crate::load::ledger::{Ledger, Target};
use crate::load::objects::OBJECT_TYPES;
use crate::warehouse;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Checked {
    pub object_type: String,
    pub checked: i64,
    pub mismatched: i64,
    /// Read back but not comparable whole: a ticket with more parts than one read returns.
    pub unverifiable: i64,
}

/// The comparisons, in order. Each returns `object_type, source_key, intercom_id, field,
/// expected, actual, verdict` (`differs` or `unverifiable`).
pub const COMPARISONS: &[(&str, &str)] = &[
    (
        "01_contacts.sql",
        include_str!("../sql/verify/01_contacts.sql"),
    ),
    (
        "02_companies.sql",
        include_str!("../sql/verify/02_companies.sql"),
    ),
    (
        "03_tickets.sql",
        include_str!("../sql/verify/03_tickets.sql"),
    ),
    (
        "04_ticket_parts.sql",
        include_str!("../sql/verify/04_ticket_parts.sql"),
    ),
    ("05_source.sql", include_str!("../sql/verify/05_source.sql")),
    (
        "06_articles.sql",
        include_str!("../sql/verify/06_articles.sql"),
    ),
    (
        "07_customer_notes.sql",
        include_str!("../sql/verify/07_customer_notes.sql"),
    ),
    ("08_tasks.sql", include_str!("../sql/verify/08_tasks.sql")),
];

/// The object types verify compares, in the order it reports them (the ticket type is read for
/// its list options only).
const COMPARED: &[&str] = &[
    "contact",
    "company",
    "ticket",
    "task",
    "contact_note",
    "company_note",
    "collection",
    "article",
    "internal_article",
];

pub fn run(db: &Path, url: &str, target: Target) -> anyhow::Result<Vec<Checked>> {
    let client = Client::new(url, crate::settings::intercom_token()?, 4)?;
    let ledger = Ledger::new(warehouse::open(db)?, target);
    crate::block_on(client.reachable())?;
    let now = chrono::Utc::now().naive_utc();
    let bodies = crate::block_on(read_back(&client, &loaded(&ledger)?))?;
    store(&ledger, &bodies, now)?;
    compare(&ledger, now)
}

/// `(object_type, source_key, intercom_id, GET path)` of every loaded object verify reads.
fn loaded(ledger: &Ledger) -> anyhow::Result<Vec<(String, String, String, String)>> {
    let mut wanted = Vec::new();
    for o in OBJECT_TYPES {
        let Some(read) = o.read_back else { continue };
        let statuses = if read.existing {
            "'created', 'existing'"
        } else {
            "'created'"
        };
        let sql = ledger.sql(&format!(
            "SELECT source_key, intercom_id FROM load.ledger
             WHERE object_type = ? AND status IN ({statuses}) AND intercom_id IS NOT NULL
             ORDER BY source_key"
        ));
        let rows: Vec<(String, String)> = ledger.with(|c| {
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt
                .query_map([o.name], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, duckdb::Error>(rows)
        })?;
        for (key, id) in rows {
            let path = format!("{}/{id}", read.path);
            wanted.push((o.name.to_string(), key, id, path));
        }
    }
    Ok(wanted)
}

/// Each object's answer, four reads in flight. A failed read is an error: a verify that could
/// not read everything has not verified it.
async fn read_back(
    client: &Client,
    wanted: &[(String, String, String, String)],
) -> anyhow::Result<Vec<(String, String, String, Value)>> {
    let reads = futures::stream::iter(wanted.iter().map(|(kind, key, id, path)| async move {
        let body = client.call(reqwest::Method::GET, path, None).await?;
        Ok::<_, anyhow::Error>((kind.clone(), key.clone(), id.clone(), body))
    }))
    .buffered(4)
    .collect::<Vec<_>>()
    .await;
    reads.into_iter().collect()
}

/// Replace the last verify's read-backs with these.
fn store(
    ledger: &Ledger,
    bodies: &[(String, String, String, Value)],
    now: chrono::NaiveDateTime,
) -> anyhow::Result<()> {
    ledger.with(|c| -> anyhow::Result<()> {
        warehouse::in_transaction(c, "BEGIN", "storing the read-backs", || {
            c.execute_batch(&ledger.sql("DELETE FROM load.readback"))?;
            let mut insert = c.prepare(&ledger.sql(
                "INSERT INTO load.readback (object_type, source_key, intercom_id, body, read_at)
             VALUES (?, ?, ?, ?, ?)",
            ))?;
            for (kind, key, id, body) in bodies {
                insert.execute(duckdb::params![kind, key, id, body.to_string(), now])?;
            }
            Ok(())
        })
    })
}

/// Run the comparisons over `load.readback`, replace `load.verify_mismatch` with their
/// differences and record the run in `load.verify_run`.
pub fn compare(ledger: &Ledger, now: chrono::NaiveDateTime) -> anyhow::Result<Vec<Checked>> {
    let sample = ledger.target() == Target::Sample;
    ledger.with(|c| -> anyhow::Result<Vec<Checked>> {
        c.execute_batch(
            "CREATE OR REPLACE TEMP TABLE verify_found (object_type VARCHAR, source_key VARCHAR,
               intercom_id VARCHAR, field VARCHAR, expected VARCHAR, actual VARCHAR, verdict VARCHAR)",
        )?;
        for (name, sql) in COMPARISONS {
            c.execute_batch(&format!(
                "INSERT INTO verify_found {}",
                ledger.sql(sql.trim().trim_end_matches(';'))
            ))
            .map_err(|e| anyhow::anyhow!("sql/verify/{name}: {e}"))?;
        }
        warehouse::in_transaction(c, "BEGIN", "recording the verify", || {
        c.execute_batch(&ledger.sql("DELETE FROM load.verify_mismatch"))?;
        c.execute(
            &ledger.sql(
                "INSERT INTO load.verify_mismatch
                 SELECT object_type, source_key, intercom_id, field, expected, actual, ?
                 FROM verify_found WHERE verdict = 'differs'",
            ),
            [now],
        )?;
        let mut summary = Vec::new();
        for kind in COMPARED {
            let (checked, mismatched, unverifiable): (i64, i64, i64) = c.query_row(
                &ledger.sql(
                    "SELECT (SELECT count(*) FROM load.readback WHERE object_type = $1),
                            (SELECT count(DISTINCT source_key) FROM verify_found WHERE object_type = $1 AND verdict = 'differs'),
                            (SELECT count(DISTINCT source_key) FROM verify_found WHERE object_type = $1 AND verdict = 'unverifiable')",
                ),
                [kind],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            c.execute(
                "INSERT INTO load.verify_run (run_at, object_type, checked, mismatched, sample, unverifiable)
                 VALUES (?, ?, ?, ?, ?, ?)",
                duckdb::params![now, kind, checked, mismatched, sample, unverifiable],
            )?;
            summary.push(Checked {
                object_type: kind.to_string(),
                checked,
                mismatched,
                unverifiable,
            });
        }
        Ok(summary)
        })
    })
}

pub fn print(checked: &[Checked]) {
    let mut table = crate::ui::table(["object", "checked", "with differences", "not verifiable"]);
    for c in checked {
        table.add_row(vec![
            c.object_type.clone().into(),
            crate::ui::num(c.checked),
            crate::ui::num(c.mismatched),
            crate::ui::num(c.unverifiable),
        ]);
    }
    crate::out!("{table}");
}

#[cfg(test)]
mod tests {
    /// The staging file's `same_value` macro, which the comparisons in sql/verify use.
    #[test]
    fn values_compare_by_meaning() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::warehouse::open(&dir.path().join("t.duckdb")).unwrap();
        let same = |a: &str, b: &str| -> bool {
            conn.query_row(&format!("SELECT same_value({a}, {b})"), [], |r| r.get(0))
                .unwrap()
        };
        assert!(same("'5.0'", "'5'"));
        assert!(same("'5'", "' 5'"));
        assert!(same("'true'", "'true'"));
        assert!(!same("'5.5'", "'5'"));
        assert!(!same("'a'", "'b'"));
        assert!(same("NULL", "''"));
    }
}
