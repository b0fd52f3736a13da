-- staging.base_thread_collaborator: osTicket's thread collaborators (CCs), as the snapshot copied them.
-- Grain: one row per raw.thread_collaborator row.
-- Why: the one place later layers read raw.thread_collaborator through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_thread_collaborator AS
WITH
raw_thread_collaborator AS (SELECT * FROM raw.thread_collaborator),

final AS (
    SELECT * FROM raw_thread_collaborator
)

SELECT * FROM final;
