//! What a load would do, as the view `load.plan` (and `load.sample_plan` for a rehearsal): one
//! row per staged object with the ledger's status and the action the load takes for it. The
//! view is built from [`OBJECT_TYPES`], so it knows every object type the phases send; an
//! analyst reads it with `ostmig sql "select * from load.plan where action <> 'skip'"`.

use std::collections::HashMap;

use duckdb::Connection;

use super::objects::{OBJECT_TYPES, Phase};
use super::{PhaseResult, Target, phase_result};
use crate::error::Hinted;
use crate::warehouse;

/// The view's text for `target` (the sample's reads the sample's outboxes and ledger).
fn view_sql(target: Target) -> String {
    let staged: Vec<String> = OBJECT_TYPES
        .iter()
        .map(|o| {
            format!(
                "SELECT '{}' AS phase, '{}' AS object_type, {} AS updatable, s.* FROM ({}) s(source_key, payload_sha256, calls)",
                o.phase.name(),
                o.name,
                o.updatable,
                o.staged
            )
        })
        .collect();
    target.sql(&format!(
        "CREATE OR REPLACE VIEW load.plan AS
        WITH
        staged AS ({}),
        ledger AS (SELECT * FROM load.ledger),

        final AS (
            SELECT s.phase, s.object_type, s.source_key, s.payload_sha256, s.calls,
                   l.status, l.intercom_id, l.payload_sha256 AS sent_sha256, l.last_error,
                   CASE
                       WHEN l.status = 'existing' THEN 'skip'
                       WHEN l.status = 'created' AND l.payload_sha256 = s.payload_sha256 THEN 'skip'
                       WHEN l.status = 'created' AND s.updatable THEN 'update'
                       -- Changed, and Intercom cannot edit it (a reply's text): listed, not sent.
                       WHEN l.status = 'created' THEN 'stale'
                       WHEN l.status = 'failed' THEN 'retry'
                       -- Sent, its answer lost: looked up before anything is sent again.
                       WHEN l.status = 'unknown' THEN 'look up'
                       ELSE 'create'
                   END AS action
            FROM staged s
            LEFT JOIN ledger l ON l.object_type = s.object_type AND l.source_key = s.source_key
        )

        SELECT * FROM final",
        staged.join("\n            UNION ALL ")
    ))
}

/// (Re)create the plan view of `target`; the outboxes must exist.
pub fn create_view(conn: &Connection, target: Target) -> anyhow::Result<()> {
    conn.execute_batch(&view_sql(target)).map_err(|e| {
        Hinted::new(
            format!("the outboxes cannot be read: {e}"),
            "run `ostmig transform` (and `ostmig split`) first",
        )
        .into()
    })
}

/// Refuse a ledger whose hashes are still of the kind before 0016_sql_hash: against them every
/// object would look changed.
pub fn refuse_legacy_hashes(conn: &Connection, target: Target) -> anyhow::Result<()> {
    let pending: i64 = conn.query_row(
        "SELECT count(*) FROM load.legacy_hash WHERE target = ?",
        [if target == Target::Main {
            "main"
        } else {
            "sample"
        }],
        |r| r.get(0),
    )?;
    if pending > 0 {
        return Err(Hinted::new(
            format!("{pending} objects of the load ledger carry hashes of an older ostmig"),
            "run `ostmig transform` once: it re-hashes them against the outboxes, so nothing already loaded shows as changed",
        )
        .into());
    }
    Ok(())
}

/// What each phase would send: new objects to create, created ones whose outbox payload changed
/// since (to update, or listed when Intercom cannot edit them), and the rest already loaded —
/// `load.plan` counted by phase — with the calls that takes (`load.plan.calls` a create, one
/// an update or a lookup) and how long at `per_minute` calls a minute.
pub fn plan(
    db: &std::path::Path,
    target: Target,
    per_minute: u64,
) -> anyhow::Result<Vec<PhaseResult>> {
    let duck = warehouse::open(db)?;
    refuse_legacy_hashes(&duck, target)?;
    create_view(&duck, target)?;
    // A create takes its object type's calls; an update or a lookup one.
    let mut stmt = duck.prepare(&target.sql(
        "SELECT phase, count(*),
                count(*) FILTER (action IN ('create', 'retry', 'look up')),
                count(*) FILTER (action = 'skip'),
                count(*) FILTER (action = 'retry'),
                count(*) FILTER (action = 'update'),
                count(*) FILTER (action = 'stale'),
                count(*) FILTER (action = 'look up'),
                coalesce(sum(calls) FILTER (action IN ('create', 'retry')), 0)
                  + count(*) FILTER (action IN ('update', 'look up'))
         FROM load.plan GROUP BY phase",
    ))?;
    let mut by_phase: HashMap<String, PhaseResult> = stmt
        .query_map([], |r| {
            Ok(PhaseResult {
                phase: r.get(0)?,
                staged: r.get(1)?,
                sent: r.get(2)?,
                skipped: r.get(3)?,
                failed: r.get(4)?,
                updated: r.get(5)?,
                stale: r.get(6)?,
                unknown: r.get(7)?,
                calls: r.get(8)?,
                ..Default::default()
            })
        })?
        .map(|p| p.map(|p| (p.phase.clone(), p)))
        .collect::<Result<_, _>>()?;
    Ok(Phase::ALL
        .iter()
        .map(|p| {
            let mut r = by_phase
                .remove(p.name())
                .unwrap_or_else(|| phase_result(p.name()));
            r.seconds = r.calls as f64 * 60.0 / per_minute.max(1) as f64;
            r
        })
        .collect())
}

/// One decision of `intermediate.int_workspace_strategy`: how the load meets an undocumented
/// behaviour of the workspace, and whether `ostmig probe` answered it.
#[derive(Debug, serde::Serialize)]
pub struct Strategy {
    pub decision: String,
    pub answer: Option<String>,
    pub value: Option<String>,
    pub why: String,
}

/// The decisions the outbox was built with (empty before the first transform of this version).
pub fn strategy(db: &std::path::Path) -> anyhow::Result<Vec<Strategy>> {
    let conn = warehouse::open(db)?;
    let Ok(mut stmt) = conn.prepare(
        "SELECT decision, answer, value, why FROM intermediate.int_workspace_strategy ORDER BY decision",
    ) else {
        return Ok(Vec::new());
    };
    let rows = stmt
        .query_map([], |r| {
            Ok(Strategy {
                decision: r.get(0)?,
                answer: r.get(1)?,
                value: r.get(2)?,
                why: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn print_strategy(rows: &[Strategy]) {
    use crate::ui::Column;
    const COLUMNS: &[Column<Strategy>] = &[
        ("workspace behaviour", |s| s.decision.replace('_', " ")),
        ("probed", |s| {
            s.answer.clone().unwrap_or_else(|| "not probed".into())
        }),
        ("the load", |s| {
            s.value.clone().unwrap_or_else(|| "—".into())
        }),
        ("why", |s| s.why.clone()),
    ];
    crate::out!("{}", crate::ui::columns(COLUMNS, rows));
}
