-- staging.base_team: osTicket's teams, as the snapshot copied them.
-- Grain: one row per raw.team row.
-- Why: the one place later layers read raw.team through, so a column osTicket renames between
-- versions is mended here once. A view: nothing is copied.
CREATE OR REPLACE VIEW staging.base_team AS
WITH
raw_team AS (SELECT * FROM raw.team),

final AS (
    SELECT * FROM raw_team
)

SELECT * FROM final;
