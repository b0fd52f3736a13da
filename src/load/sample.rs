//! `ostmig load --sample N`: the rehearsal's own outboxes, a stratified pick of tickets with
//! everything they need.

use crate::error::Hinted;
use crate::warehouse;

/// Pick `n` tickets for a rehearsal and fill `sample_outbox.*` with them and everything they
/// need: their contacts (requesters and every contact who wrote a part), those contacts' and
/// the tickets' companies, their parts and files, their tasks, those contacts' and companies'
/// notes; the
/// workspace schema and the knowledge base whole. The pick is
/// stratified — state × has files × has notes × several contacts — taking tickets round-robin
/// across strata in a fixed (md5) order, so every kind of ticket appears and the same `n`
/// always gives the same sample. Returns the strata with their counts.
pub fn build_sample(db: &std::path::Path, n: usize) -> anyhow::Result<Vec<(String, i64)>> {
    if n == 0 {
        return Err(
            Hinted::new("--sample 0 picks no ticket", "use --sample 50, for example").into(),
        );
    }
    let duck = warehouse::open(db)?;
    duck.execute_batch(&format!(
        "BEGIN TRANSACTION;
         DELETE FROM load.sample;
         INSERT INTO load.sample
         WITH t AS (
             SELECT t.ticket_id, t.number,
                    t.state_category
                    || CASE WHEN EXISTS (SELECT 1 FROM outbox.outbox_attachments a WHERE a.ticket_id = t.ticket_id) THEN ', files' ELSE '' END
                    || CASE WHEN EXISTS (SELECT 1 FROM outbox.outbox_ticket_parts p WHERE p.ticket_id = t.ticket_id AND p.route NOT IN ('contact_comment', 'admin_comment')) THEN ', notes' ELSE '' END
                    || CASE WHEN (SELECT count(DISTINCT p.author_external_id) FROM outbox.outbox_ticket_parts p WHERE p.ticket_id = t.ticket_id) > 1 THEN ', several contacts' ELSE '' END
                    AS stratum
             FROM outbox.outbox_tickets t)
         SELECT ticket_id, number, stratum FROM t
         ORDER BY row_number() OVER (PARTITION BY stratum ORDER BY md5(number)), md5(number)
         LIMIT {n};
         CREATE OR REPLACE TABLE sample_outbox.outbox_tickets AS
             SELECT * FROM outbox.outbox_tickets WHERE ticket_id IN (SELECT ticket_id FROM load.sample);
         CREATE OR REPLACE TABLE sample_outbox.outbox_ticket_states AS
             SELECT * FROM outbox.outbox_ticket_states WHERE ticket_id IN (SELECT ticket_id FROM load.sample);
         CREATE OR REPLACE TABLE sample_outbox.outbox_ticket_parts AS
             SELECT * FROM outbox.outbox_ticket_parts WHERE ticket_id IN (SELECT ticket_id FROM load.sample);
         CREATE OR REPLACE TABLE sample_outbox.outbox_ticket_events AS
             SELECT * FROM outbox.outbox_ticket_events WHERE ticket_id IN (SELECT ticket_id FROM load.sample);
         CREATE OR REPLACE TABLE sample_outbox.outbox_attachments AS
             SELECT * FROM outbox.outbox_attachments WHERE ticket_id IN (SELECT ticket_id FROM load.sample);
         CREATE OR REPLACE TABLE sample_outbox.outbox_ticket_participants AS
             SELECT * FROM outbox.outbox_ticket_participants WHERE ticket_id IN (SELECT ticket_id FROM load.sample);
         CREATE OR REPLACE TABLE sample_outbox.outbox_field_files AS
             SELECT * FROM outbox.outbox_field_files WHERE ticket_id IN (SELECT ticket_id FROM load.sample);
         CREATE OR REPLACE TABLE sample_outbox.outbox_tasks AS
             SELECT * FROM outbox.outbox_tasks WHERE ticket_number IN (SELECT number FROM load.sample);
         CREATE OR REPLACE TABLE sample_outbox.outbox_task_notes AS
             SELECT * FROM outbox.outbox_task_notes WHERE task_key IN (SELECT task_key FROM sample_outbox.outbox_tasks);
         CREATE OR REPLACE TABLE sample_outbox.outbox_contacts AS
             SELECT * FROM outbox.outbox_contacts WHERE external_id IN (
                 SELECT contact_external_id FROM sample_outbox.outbox_tickets
                 UNION SELECT author_external_id FROM sample_outbox.outbox_ticket_parts
                 UNION SELECT payload->>'$.customer.user_id' FROM sample_outbox.outbox_ticket_participants
                 WHERE kind = 'participant');
         CREATE OR REPLACE TABLE sample_outbox.outbox_companies AS
             SELECT * FROM outbox.outbox_companies WHERE company_id IN (
                 SELECT company_id FROM sample_outbox.outbox_tickets
                 UNION SELECT 'osticket-org-' || org_id FROM sample_outbox.outbox_contacts);
         CREATE OR REPLACE TABLE sample_outbox.outbox_customer_notes AS
             SELECT * FROM outbox.outbox_customer_notes WHERE owner_key IN (
                 SELECT external_id FROM sample_outbox.outbox_contacts
                 UNION SELECT company_id FROM sample_outbox.outbox_companies);
         CREATE OR REPLACE TABLE sample_outbox.outbox_data_attributes AS SELECT * FROM outbox.outbox_data_attributes;
         CREATE OR REPLACE TABLE sample_outbox.outbox_tags AS SELECT * FROM outbox.outbox_tags;
         CREATE OR REPLACE TABLE sample_outbox.outbox_ticket_type AS SELECT * FROM outbox.outbox_ticket_type;
         CREATE OR REPLACE TABLE sample_outbox.outbox_ticket_type_attributes AS SELECT * FROM outbox.outbox_ticket_type_attributes;
         CREATE OR REPLACE TABLE sample_outbox.outbox_collections AS SELECT * FROM outbox.outbox_collections;
         CREATE OR REPLACE TABLE sample_outbox.outbox_articles AS SELECT * FROM outbox.outbox_articles;
         COMMIT;"
    ))
    .map_err(|e| {
        Hinted::new(
            format!("the sample cannot be drawn: {e}"),
            "run `ostmig transform` first",
        )
    })?;
    let mut stmt =
        duck.prepare("SELECT stratum, count(*) FROM load.sample GROUP BY 1 ORDER BY 1")?;
    let strata = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(strata)
}
