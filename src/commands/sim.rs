//! `ostmig sim`: the local Intercom.
use crate::cli::SimArgs;
use crate::error::Hinted;
use crate::{Outcome, sim};

pub fn run(args: SimArgs) -> anyhow::Result<Outcome> {
    let rate_limit = sim::parse_rate(&args.rate_limit)
        .map_err(|e| Hinted::new(e, "for example --rate-limit 1666/10s"))?;
    // Counted in the apps' windows: 25,000 a minute is 4166 per 10 s.
    let (workspace_calls, workspace_window) = sim::parse_rate(&args.workspace_rate_limit)
        .map_err(|e| Hinted::new(e, "for example --workspace-rate-limit 25000/60s"))?;
    let workspace_limit = (workspace_calls * rate_limit.1 / workspace_window).max(1);
    let lose_answers = args
        .lose_answers
        .iter()
        .map(|l| sim::parse_lose(l))
        .collect::<Result<_, _>>()
        .map_err(|e| Hinted::new(e, "for example --lose-answers \"POST /tickets=1\""))?;
    sim::run(sim::Options {
        listen: args.listen,
        state: args.state,
        seed: args.seed,
        spec: args.spec,
        fail_rate: args.fail_rate,
        latency_ms: args.latency_ms,
        latency_jitter_ms: args.latency_jitter_ms,
        drop_connections: args.drop_connections,
        timeout_rate: args.timeout_rate,
        hang_seconds: args.hang_seconds,
        storm_rate: args.storm_rate,
        rate_limit,
        workspace_limit,
        behaviour: sim::workspace::Behaviour {
            search_lag: args.search_lag.max(0.0),
            restrict_deletes: args.restrict_deletes,
            refuse_participants: args.refuse_participants,
            clamp_backdated: args.clamp_backdated,
            raw_bodies: args.raw_bodies,
            drop_contact_reply_files: args.drop_contact_reply_files,
            max_request_bytes: args.max_request_bytes,
            refuse_underscore_names: args.refuse_underscore_names,
        },
        lose_answers,
    })?;
    Ok(Outcome::Ok)
}
