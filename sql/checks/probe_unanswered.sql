-- check: a load strategy taken without `ostmig probe`'s answer: the safe choice is used
-- severity: warn
-- Why: where Intercom's behaviour is undocumented the load takes the safe choice (each row's
-- `why` says which: files in a note after a customer's message, the configured request size,
-- the given search window, rollback asking Intercom at the time). Run `ostmig probe --apply`
-- against the customer's sandbox, then `ostmig transform`, and the load uses what it found.
WITH strategy AS (SELECT * FROM intermediate.int_workspace_strategy),
final AS (
    SELECT decision, question_id, value, why
    FROM strategy
    WHERE answer IS NULL
)
SELECT * FROM final;
