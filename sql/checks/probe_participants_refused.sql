-- check: participants = "add", on a workspace that `ostmig probe` found refuses participants on tickets
-- severity: error
-- Why: every collaborator's participant request would fail, and their replies with it (a
-- contact who is not on the ticket cannot reply there). Set participants = "notes" in
-- ostmig.toml (the CCs are named in a note, their messages become notes naming them), run
-- `ostmig transform`, and check again.
WITH settings AS (SELECT * FROM config.settings),
probe_result AS (SELECT * FROM probe.result),
final AS (
    SELECT r.question_id, r.answer, r.evidence, r.probed_at, r.workspace
    FROM probe_result r, settings s
    WHERE r.question_id = 'participants_on_tickets' AND r.answer = 'no' AND s.participants = 'add'
)
SELECT * FROM final;
