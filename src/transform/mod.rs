//! `ostmig transform`: run the SQL models in `sql/models/`, layer by layer, in one transaction.
//!
//! Layers: staging (typed copies of raw.*, and the `base_*` views through which alone later
//! layers read it), intermediate (joins and rules), outbox (exactly what the loader sends, in
//! Intercom's request shape), reports (lists for the customer). Each
//! file creates one relation named like the file, in the schema named like its folder, and says
//! its grain in its header. Settings from `ostmig.toml` are written to `config.*` first, so every
//! model runs unchanged in the duckdb shell against the staging file.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::hinted;
use crate::warehouse;

/// The models shipped with this binary, in run order: layer by layer (staging, intermediate,
/// outbox, reports), and within a layer every model after the models it reads.
/// `tests::every_model_file_is_listed_and_runs_after_what_it_reads` checks both.
pub const MODELS: &[(&str, &str)] = &[
    (
        "staging/base_attachment.sql",
        include_str!("../../sql/models/staging/base_attachment.sql"),
    ),
    (
        "staging/base_canned_response.sql",
        include_str!("../../sql/models/staging/base_canned_response.sql"),
    ),
    (
        "staging/base_config.sql",
        include_str!("../../sql/models/staging/base_config.sql"),
    ),
    (
        "staging/base_department.sql",
        include_str!("../../sql/models/staging/base_department.sql"),
    ),
    (
        "staging/base_email.sql",
        include_str!("../../sql/models/staging/base_email.sql"),
    ),
    (
        "staging/base_email_account.sql",
        include_str!("../../sql/models/staging/base_email_account.sql"),
    ),
    (
        "staging/base_email_template.sql",
        include_str!("../../sql/models/staging/base_email_template.sql"),
    ),
    (
        "staging/base_email_template_group.sql",
        include_str!("../../sql/models/staging/base_email_template_group.sql"),
    ),
    (
        "staging/base_event.sql",
        include_str!("../../sql/models/staging/base_event.sql"),
    ),
    (
        "staging/base_faq.sql",
        include_str!("../../sql/models/staging/base_faq.sql"),
    ),
    (
        "staging/base_faq_category.sql",
        include_str!("../../sql/models/staging/base_faq_category.sql"),
    ),
    (
        "staging/base_faq_topic.sql",
        include_str!("../../sql/models/staging/base_faq_topic.sql"),
    ),
    (
        "staging/base_file.sql",
        include_str!("../../sql/models/staging/base_file.sql"),
    ),
    (
        "staging/base_filter.sql",
        include_str!("../../sql/models/staging/base_filter.sql"),
    ),
    (
        "staging/base_filter_action.sql",
        include_str!("../../sql/models/staging/base_filter_action.sql"),
    ),
    (
        "staging/base_filter_rule.sql",
        include_str!("../../sql/models/staging/base_filter_rule.sql"),
    ),
    (
        "staging/base_form.sql",
        include_str!("../../sql/models/staging/base_form.sql"),
    ),
    (
        "staging/base_form_entry.sql",
        include_str!("../../sql/models/staging/base_form_entry.sql"),
    ),
    (
        "staging/base_form_entry_values.sql",
        include_str!("../../sql/models/staging/base_form_entry_values.sql"),
    ),
    (
        "staging/base_form_field.sql",
        include_str!("../../sql/models/staging/base_form_field.sql"),
    ),
    (
        "staging/base_help_topic.sql",
        include_str!("../../sql/models/staging/base_help_topic.sql"),
    ),
    (
        "staging/base_help_topic_form.sql",
        include_str!("../../sql/models/staging/base_help_topic_form.sql"),
    ),
    (
        "staging/base_organization.sql",
        include_str!("../../sql/models/staging/base_organization.sql"),
    ),
    (
        "staging/base_queue.sql",
        include_str!("../../sql/models/staging/base_queue.sql"),
    ),
    (
        "staging/base_schedule.sql",
        include_str!("../../sql/models/staging/base_schedule.sql"),
    ),
    (
        "staging/base_schedule_entry.sql",
        include_str!("../../sql/models/staging/base_schedule_entry.sql"),
    ),
    (
        "staging/base_sla.sql",
        include_str!("../../sql/models/staging/base_sla.sql"),
    ),
    (
        "staging/base_task.sql",
        include_str!("../../sql/models/staging/base_task.sql"),
    ),
    (
        "staging/base_staff.sql",
        include_str!("../../sql/models/staging/base_staff.sql"),
    ),
    (
        "staging/base_team.sql",
        include_str!("../../sql/models/staging/base_team.sql"),
    ),
    (
        "staging/base_thread.sql",
        include_str!("../../sql/models/staging/base_thread.sql"),
    ),
    (
        "staging/base_thread_collaborator.sql",
        include_str!("../../sql/models/staging/base_thread_collaborator.sql"),
    ),
    (
        "staging/base_thread_entry.sql",
        include_str!("../../sql/models/staging/base_thread_entry.sql"),
    ),
    (
        "staging/base_thread_event.sql",
        include_str!("../../sql/models/staging/base_thread_event.sql"),
    ),
    (
        "staging/base_ticket.sql",
        include_str!("../../sql/models/staging/base_ticket.sql"),
    ),
    (
        "staging/base_ticket_priority.sql",
        include_str!("../../sql/models/staging/base_ticket_priority.sql"),
    ),
    (
        "staging/base_ticket_status.sql",
        include_str!("../../sql/models/staging/base_ticket_status.sql"),
    ),
    (
        "staging/base_user.sql",
        include_str!("../../sql/models/staging/base_user.sql"),
    ),
    (
        "staging/base_note.sql",
        include_str!("../../sql/models/staging/base_note.sql"),
    ),
    (
        "staging/base_user_account.sql",
        include_str!("../../sql/models/staging/base_user_account.sql"),
    ),
    (
        "staging/base_user_email.sql",
        include_str!("../../sql/models/staging/base_user_email.sql"),
    ),
    (
        "staging/stg_custom_fields.sql",
        include_str!("../../sql/models/staging/stg_custom_fields.sql"),
    ),
    (
        "staging/stg_departments.sql",
        include_str!("../../sql/models/staging/stg_departments.sql"),
    ),
    (
        "staging/stg_help_topics.sql",
        include_str!("../../sql/models/staging/stg_help_topics.sql"),
    ),
    (
        "staging/stg_kb_categories.sql",
        include_str!("../../sql/models/staging/stg_kb_categories.sql"),
    ),
    (
        "staging/stg_faqs.sql",
        include_str!("../../sql/models/staging/stg_faqs.sql"),
    ),
    (
        "staging/stg_tasks.sql",
        include_str!("../../sql/models/staging/stg_tasks.sql"),
    ),
    (
        "staging/stg_organizations.sql",
        include_str!("../../sql/models/staging/stg_organizations.sql"),
    ),
    (
        "staging/stg_staff.sql",
        include_str!("../../sql/models/staging/stg_staff.sql"),
    ),
    (
        "staging/stg_customer_notes.sql",
        include_str!("../../sql/models/staging/stg_customer_notes.sql"),
    ),
    (
        "staging/stg_users.sql",
        include_str!("../../sql/models/staging/stg_users.sql"),
    ),
    (
        "staging/stg_tickets.sql",
        include_str!("../../sql/models/staging/stg_tickets.sql"),
    ),
    (
        "intermediate/int_workspace_strategy.sql",
        include_str!("../../sql/models/intermediate/int_workspace_strategy.sql"),
    ),
    (
        "intermediate/int_agent_admins.sql",
        include_str!("../../sql/models/intermediate/int_agent_admins.sql"),
    ),
    (
        "intermediate/int_fallback_admin.sql",
        include_str!("../../sql/models/intermediate/int_fallback_admin.sql"),
    ),
    (
        "intermediate/int_attribute_map.sql",
        include_str!("../../sql/models/intermediate/int_attribute_map.sql"),
    ),
    (
        "intermediate/int_field_answers.sql",
        include_str!("../../sql/models/intermediate/int_field_answers.sql"),
    ),
    (
        "intermediate/int_field_values.sql",
        include_str!("../../sql/models/intermediate/int_field_values.sql"),
    ),
    (
        "intermediate/int_org_domains.sql",
        include_str!("../../sql/models/intermediate/int_org_domains.sql"),
    ),
    (
        "intermediate/int_orphan_company_links.sql",
        include_str!("../../sql/models/intermediate/int_orphan_company_links.sql"),
    ),
    (
        "intermediate/int_account_managers.sql",
        include_str!("../../sql/models/intermediate/int_account_managers.sql"),
    ),
    (
        "intermediate/int_contacts.sql",
        include_str!("../../sql/models/intermediate/int_contacts.sql"),
    ),
    (
        "intermediate/int_team_inboxes.sql",
        include_str!("../../sql/models/intermediate/int_team_inboxes.sql"),
    ),
    (
        "intermediate/int_osticket_teams.sql",
        include_str!("../../sql/models/intermediate/int_osticket_teams.sql"),
    ),
    (
        "intermediate/int_ticket_states.sql",
        include_str!("../../sql/models/intermediate/int_ticket_states.sql"),
    ),
    (
        "intermediate/int_tickets.sql",
        include_str!("../../sql/models/intermediate/int_tickets.sql"),
    ),
    (
        "intermediate/int_ticket_parts.sql",
        include_str!("../../sql/models/intermediate/int_ticket_parts.sql"),
    ),
    (
        "intermediate/int_ticket_events.sql",
        include_str!("../../sql/models/intermediate/int_ticket_events.sql"),
    ),
    (
        "intermediate/int_tasks.sql",
        include_str!("../../sql/models/intermediate/int_tasks.sql"),
    ),
    (
        "intermediate/int_field_files.sql",
        include_str!("../../sql/models/intermediate/int_field_files.sql"),
    ),
    (
        "intermediate/int_collaborators.sql",
        include_str!("../../sql/models/intermediate/int_collaborators.sql"),
    ),
    (
        "outbox/outbox_companies.sql",
        include_str!("../../sql/models/outbox/outbox_companies.sql"),
    ),
    (
        "outbox/outbox_contacts.sql",
        include_str!("../../sql/models/outbox/outbox_contacts.sql"),
    ),
    (
        "outbox/outbox_customer_notes.sql",
        include_str!("../../sql/models/outbox/outbox_customer_notes.sql"),
    ),
    (
        "outbox/outbox_data_attributes.sql",
        include_str!("../../sql/models/outbox/outbox_data_attributes.sql"),
    ),
    (
        "outbox/outbox_tags.sql",
        include_str!("../../sql/models/outbox/outbox_tags.sql"),
    ),
    (
        "outbox/outbox_ticket_type.sql",
        include_str!("../../sql/models/outbox/outbox_ticket_type.sql"),
    ),
    (
        "outbox/outbox_ticket_type_attributes.sql",
        include_str!("../../sql/models/outbox/outbox_ticket_type_attributes.sql"),
    ),
    (
        "outbox/outbox_tickets.sql",
        include_str!("../../sql/models/outbox/outbox_tickets.sql"),
    ),
    (
        "outbox/outbox_attachments.sql",
        include_str!("../../sql/models/outbox/outbox_attachments.sql"),
    ),
    (
        "outbox/outbox_field_files.sql",
        include_str!("../../sql/models/outbox/outbox_field_files.sql"),
    ),
    (
        "outbox/outbox_ticket_parts.sql",
        include_str!("../../sql/models/outbox/outbox_ticket_parts.sql"),
    ),
    (
        "outbox/outbox_ticket_participants.sql",
        include_str!("../../sql/models/outbox/outbox_ticket_participants.sql"),
    ),
    (
        "outbox/outbox_ticket_events.sql",
        include_str!("../../sql/models/outbox/outbox_ticket_events.sql"),
    ),
    (
        "outbox/outbox_ticket_states.sql",
        include_str!("../../sql/models/outbox/outbox_ticket_states.sql"),
    ),
    (
        "outbox/outbox_tasks.sql",
        include_str!("../../sql/models/outbox/outbox_tasks.sql"),
    ),
    (
        "outbox/outbox_task_notes.sql",
        include_str!("../../sql/models/outbox/outbox_task_notes.sql"),
    ),
    (
        "outbox/outbox_collections.sql",
        include_str!("../../sql/models/outbox/outbox_collections.sql"),
    ),
    (
        "outbox/outbox_articles.sql",
        include_str!("../../sql/models/outbox/outbox_articles.sql"),
    ),
    (
        "reports/rpt_ticket_events.sql",
        include_str!("../../sql/models/reports/rpt_ticket_events.sql"),
    ),
    (
        "reports/rpt_attribute_inventory.sql",
        include_str!("../../sql/models/reports/rpt_attribute_inventory.sql"),
    ),
    (
        "reports/rpt_contact_exclusions.sql",
        include_str!("../../sql/models/reports/rpt_contact_exclusions.sql"),
    ),
    (
        "reports/rpt_missing_teams.sql",
        include_str!("../../sql/models/reports/rpt_missing_teams.sql"),
    ),
    (
        "reports/rpt_orphan_users.sql",
        include_str!("../../sql/models/reports/rpt_orphan_users.sql"),
    ),
    (
        "reports/rpt_sla_map.sql",
        include_str!("../../sql/models/reports/rpt_sla_map.sql"),
    ),
    (
        "reports/rpt_unmatched_agents.sql",
        include_str!("../../sql/models/reports/rpt_unmatched_agents.sql"),
    ),
    (
        "reports/rpt_ticket_exclusions.sql",
        include_str!("../../sql/models/reports/rpt_ticket_exclusions.sql"),
    ),
    (
        "reports/rpt_part_exclusions.sql",
        include_str!("../../sql/models/reports/rpt_part_exclusions.sql"),
    ),
    (
        "reports/rpt_attachment_exclusions.sql",
        include_str!("../../sql/models/reports/rpt_attachment_exclusions.sql"),
    ),
    (
        "reports/rpt_kb_exclusions.sql",
        include_str!("../../sql/models/reports/rpt_kb_exclusions.sql"),
    ),
    (
        "reports/rpt_field_value_losses.sql",
        include_str!("../../sql/models/reports/rpt_field_value_losses.sql"),
    ),
    (
        "reports/rpt_customer_context.sql",
        include_str!("../../sql/models/reports/rpt_customer_context.sql"),
    ),
    (
        "reports/rpt_task_exclusions.sql",
        include_str!("../../sql/models/reports/rpt_task_exclusions.sql"),
    ),
    (
        "reports/rpt_collaborator_exclusions.sql",
        include_str!("../../sql/models/reports/rpt_collaborator_exclusions.sql"),
    ),
    (
        "reports/rpt_scope_audit.sql",
        include_str!("../../sql/models/reports/rpt_scope_audit.sql"),
    ),
    (
        "reports/rpt_readiness.sql",
        include_str!("../../sql/models/reports/rpt_readiness.sql"),
    ),
    (
        "reports/rpt_tickets_by_month.sql",
        include_str!("../../sql/models/reports/rpt_tickets_by_month.sql"),
    ),
    (
        "reports/rpt_entries_by_agent.sql",
        include_str!("../../sql/models/reports/rpt_entries_by_agent.sql"),
    ),
    (
        "reports/rpt_entries_by_department.sql",
        include_str!("../../sql/models/reports/rpt_entries_by_department.sql"),
    ),
    (
        "reports/rpt_review_thread.sql",
        include_str!("../../sql/models/reports/rpt_review_thread.sql"),
    ),
    (
        "reports/rpt_review_digest.sql",
        include_str!("../../sql/models/reports/rpt_review_digest.sql"),
    ),
    (
        "reports/rpt_review_readback.sql",
        include_str!("../../sql/models/reports/rpt_review_readback.sql"),
    ),
    (
        "reports/rpt_review_tickets.sql",
        include_str!("../../sql/models/reports/rpt_review_tickets.sql"),
    ),
    (
        "reports/rpt_thread_sample.sql",
        include_str!("../../sql/models/reports/rpt_thread_sample.sql"),
    ),
    (
        "reports/rpt_reconciliation.sql",
        include_str!("../../sql/models/reports/rpt_reconciliation.sql"),
    ),
    (
        "reports/rpt_load_phases.sql",
        include_str!("../../sql/models/reports/rpt_load_phases.sql"),
    ),
    (
        "reports/rpt_phone_only_users.sql",
        include_str!("../../sql/models/reports/rpt_phone_only_users.sql"),
    ),
    (
        "reports/rpt_oversized_attachments.sql",
        include_str!("../../sql/models/reports/rpt_oversized_attachments.sql"),
    ),
    (
        "reports/rpt_review_queue.sql",
        include_str!("../../sql/models/reports/rpt_review_queue.sql"),
    ),
    (
        "reports/rpt_broken_references.sql",
        include_str!("../../sql/models/reports/rpt_broken_references.sql"),
    ),
    (
        "reports/rpt_fallback_gaps.sql",
        include_str!("../../sql/models/reports/rpt_fallback_gaps.sql"),
    ),
    (
        "reports/rpt_verify_mismatches.sql",
        include_str!("../../sql/models/reports/rpt_verify_mismatches.sql"),
    ),
    (
        "reports/rpt_office_hours.sql",
        include_str!("../../sql/models/reports/rpt_office_hours.sql"),
    ),
    (
        "reports/rpt_schedules.sql",
        include_str!("../../sql/models/reports/rpt_schedules.sql"),
    ),
    (
        "reports/rpt_filters.sql",
        include_str!("../../sql/models/reports/rpt_filters.sql"),
    ),
    (
        "reports/rpt_email_templates.sql",
        include_str!("../../sql/models/reports/rpt_email_templates.sql"),
    ),
    (
        "reports/rpt_canned_responses.sql",
        include_str!("../../sql/models/reports/rpt_canned_responses.sql"),
    ),
    (
        "reports/rpt_workspace_behaviour.sql",
        include_str!("../../sql/models/reports/rpt_workspace_behaviour.sql"),
    ),
    (
        "reports/rpt_queues.sql",
        include_str!("../../sql/models/reports/rpt_queues.sql"),
    ),
    (
        "reports/rpt_email_routing.sql",
        include_str!("../../sql/models/reports/rpt_email_routing.sql"),
    ),
    (
        "reports/rpt_help_topic_routing.sql",
        include_str!("../../sql/models/reports/rpt_help_topic_routing.sql"),
    ),
    (
        "reports/rpt_department_settings.sql",
        include_str!("../../sql/models/reports/rpt_department_settings.sql"),
    ),
];

pub struct Options {
    pub db: PathBuf,
    pub config: Config,
}

#[derive(Debug, Serialize)]
pub struct ModelRun {
    pub model: String,
    pub relation: String,
    pub rows: i64,
    pub seconds: f64,
}

/// `staging/stg_users.sql` → `staging.stg_users`.
pub fn relation_of(model: &str) -> String {
    model.trim_end_matches(".sql").replace('/', ".")
}

/// The staging views over the snapshot's tables (`staging/base_*.sql`): what every later model
/// reads instead of `raw.*`. `discover` creates them before the scope audit, which runs before
/// any transform.
pub fn create_base_views(duck: &duckdb::Connection) -> anyhow::Result<()> {
    for (model, sql) in MODELS
        .iter()
        .filter(|(m, _)| m.starts_with("staging/base_"))
    {
        duck.execute_batch(sql)
            .with_context(|| format!("model sql/models/{model} failed"))?;
    }
    Ok(())
}

pub fn run(opts: &Options) -> anyhow::Result<Vec<ModelRun>> {
    let duck = warehouse::open(&opts.db)?;
    let has_raw: i64 = duck.query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = 'user'",
        [],
        |r| r.get(0),
    )?;
    if has_raw == 0 {
        return hinted(
            format!(
                "{} holds no snapshot (raw.user is missing)",
                opts.db.display()
            ),
            "run `ostmig snapshot` into this file first",
        );
    }
    let begin =
        "BEGIN TRANSACTION; DELETE FROM config.setting; DELETE FROM config.free_mail_domain;
         DELETE FROM config.admin_map; DELETE FROM config.team_map;
         DELETE FROM config.status_map; DELETE FROM config.priority_map;
         DELETE FROM config.field_map;";
    warehouse::in_transaction(&duck, begin, "the transform", || {
        {
            let mut app = duck.appender_to_db("setting", "config")?;
            for (k, v) in opts.config.settings() {
                app.append_row(duckdb::params![k, v])?;
            }
            app.flush()?;
            let mut app = duck.appender_to_db("free_mail_domain", "config")?;
            for d in opts.config.free_mail() {
                app.append_row([d])?;
            }
            app.flush()?;
            let mut app = duck.appender_to_db("admin_map", "config")?;
            for (user, email) in &opts.config.admins.map {
                app.append_row([user, email])?;
            }
            app.flush()?;
            let mut app = duck.appender_to_db("team_map", "config")?;
            for (dept, team) in &opts.config.teams.map {
                app.append_row([dept, team])?;
            }
            app.flush()?;
            let mut app = duck.appender_to_db("status_map", "config")?;
            for (status, category) in &opts.config.statuses.map {
                app.append_row([status, category])?;
            }
            app.flush()?;
            let mut app = duck.appender_to_db("priority_map", "config")?;
            for (priority, value) in &opts.config.priorities.map {
                app.append_row([priority, value.trim()])?;
            }
            app.flush()?;
        }
        // The confirmed mapping's edits win over ostmig.toml: they are what the customer signed.
        duck.execute_batch(crate::map::APPLY_EDITS)?;
        let run_id: i32 = duck.query_row(
            "SELECT coalesce(max(run_id), 0) + 1 FROM meta.model_run",
            [],
            |r| r.get(0),
        )?;
        let mut runs = Vec::new();
        for (model, sql) in MODELS {
            let started = Instant::now();
            let relation = relation_of(model);
            duck.execute_batch(sql).map_err(|e| {
                if e.to_string().contains("Out of Memory") {
                    return anyhow::Error::from(crate::error::Hinted::new(
                        format!("model sql/models/{model} ran out of memory: {e}"),
                        format!(
                            "raise DuckDB's cap, e.g. {}=4GB (default {})",
                            crate::settings::ENV_DUCKDB_MEMORY,
                            warehouse::DEFAULT_MEMORY_LIMIT
                        ),
                    ));
                }
                anyhow::anyhow!(
                    "model sql/models/{model} failed: {e}. Run it in the duckdb shell against the staging file to see where"
                )
            })?;
            let rows: i64 = duck
                .query_row(&format!("SELECT count(*) FROM {relation}"), [], |r| {
                    r.get(0)
                })
                .with_context(|| format!("sql/models/{model} must create {relation}"))?;
            let seconds = started.elapsed().as_secs_f64();
            duck.execute(
                "INSERT INTO meta.model_run VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
                duckdb::params![
                    run_id,
                    model,
                    relation,
                    hex::encode(Sha256::digest(sql.as_bytes())),
                    rows,
                    seconds
                ],
            )?;
            runs.push(ModelRun {
                model: model.to_string(),
                relation,
                rows,
                seconds,
            });
        }
        // What the load would do, readable as soon as the outboxes exist; and the hashes an
        // older ostmig left in the ledger brought to the outboxes' own, once.
        crate::load::plan::create_view(&duck, crate::load::Target::Main)?;
        crate::load::ledger::rehash_legacy(&duck)?;
        Ok(runs)
    })
}

pub fn print(runs: &[ModelRun], json: bool) -> anyhow::Result<()> {
    if json {
        crate::ui::json(runs)?;
        return Ok(());
    }
    if !crate::verbose() {
        // What a user checks after a transform: how much each outbox will send.
        let seconds: f64 = runs.iter().map(|r| r.seconds).sum();
        let outbox: Vec<String> = runs
            .iter()
            .filter(|r| r.relation.starts_with("outbox."))
            .map(|r| {
                format!(
                    "{} {}",
                    r.rows,
                    r.relation.trim_start_matches("outbox.outbox_")
                )
            })
            .collect();
        crate::out!(
            "{} models in {seconds:.1} s; the outboxes hold {} (--verbose lists every relation)",
            runs.len(),
            outbox.join(", ")
        );
        return Ok(());
    }
    let mut table = crate::ui::table(["relation", "rows", "seconds"]);
    for r in runs {
        table.add_row(vec![
            comfy_table::Cell::new(&r.relation),
            comfy_table::Cell::new(r.rows).set_alignment(comfy_table::CellAlignment::Right),
            comfy_table::Cell::new(format!("{:.2}", r.seconds))
                .set_alignment(comfy_table::CellAlignment::Right),
        ]);
    }
    crate::out!("{table}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_file_is_listed_and_runs_after_what_it_reads() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/models");
        let mut on_disk = Vec::new();
        for layer in ["staging", "intermediate", "outbox", "reports"] {
            for f in std::fs::read_dir(root.join(layer)).unwrap() {
                on_disk.push(format!(
                    "{layer}/{}",
                    f.unwrap().file_name().to_string_lossy()
                ));
            }
        }
        on_disk.sort();
        let mut listed: Vec<String> = MODELS.iter().map(|(m, _)| m.to_string()).collect();
        listed.sort();
        assert_eq!(listed, on_disk);
        let reference =
            regex::Regex::new(r"\b(staging|intermediate|outbox|reports)\.([a-z_0-9]+)").unwrap();
        let layers = ["staging", "intermediate", "outbox", "reports"];
        let raw = regex::Regex::new(r"\braw\.").unwrap();
        let comments_and_strings = regex::Regex::new(r"--[^\n]*|'[^']*'").unwrap();
        let mut defined: Vec<String> = Vec::new();
        for (model, sql) in MODELS {
            let relation = relation_of(model);
            let layer = model.split('/').next().unwrap();
            if let Some((prev, _)) = MODELS.iter().take_while(|(m, _)| m != model).last() {
                let prev_layer = prev.split('/').next().unwrap();
                let pos = |l: &str| layers.iter().position(|x| *x == l).unwrap();
                assert!(
                    pos(prev_layer) <= pos(layer),
                    "{model} runs before a model of an earlier layer"
                );
            }
            // Relations named in comments and string literals are not reads.
            let code = comments_and_strings.replace_all(sql, "");
            for cap in reference.captures_iter(&code) {
                let used = format!("{}.{}", &cap[1], &cap[2]);
                if used != relation {
                    assert!(
                        defined.contains(&used),
                        "{model} reads {used}, which must be created by a model listed before it"
                    );
                }
            }
            // Only staging reads the snapshot: every later layer goes through a staging model,
            // so a column osTicket renames between versions is mended in one place.
            if layer != "staging" {
                assert!(
                    !raw.is_match(&code),
                    "{model} reads raw.* directly: read the staging model instead (staging/base_<table>.sql)"
                );
            }
            defined.push(relation.clone());
            assert!(
                sql.contains(&format!("CREATE OR REPLACE TABLE {relation} AS"))
                    || sql.contains(&format!("CREATE OR REPLACE VIEW {relation} AS")),
                "{model} must create {relation}"
            );
            assert!(sql.contains("-- Grain:"), "{model} must state its grain");
            // dbt's shape: whatever the CTEs above it, the model ends by selecting its `final`
            // one, so an analyst inspects any step by changing that one word.
            let last = code
                .trim_end()
                .trim_end_matches(';')
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            assert!(
                last.starts_with("select * from final"),
                "{model} must end with `select * from final`, not `{last}`"
            );
        }
    }
}
