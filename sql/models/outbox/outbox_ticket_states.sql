-- outbox.outbox_ticket_states: what the loader sends each ticket once its history is posted:
-- its state and agent (PUT /tickets/{id}), then its tag (POST /tickets/{id}/tags).
-- Grain: one row per ticket of outbox_tickets.
-- Why: set last, so an agent assigned in Intercom sees a complete conversation, and the state
-- (resolved, say) does not close a ticket that is still being written. `payload` is the update
-- as sent except `ticket_state_id`, the id of the ticket type's state of category
-- `state_category`, known only once the type exists; `tag_payload` is the tag request except
-- `id`, the Intercom id of tag `tag` (NULL: no tag, or no admin to tag as).
CREATE OR REPLACE TABLE outbox.outbox_ticket_states AS
WITH
outbox_tickets AS (SELECT * FROM outbox.outbox_tickets),
int_fallback_admin AS (SELECT * FROM intermediate.int_fallback_admin),

requests AS (
    SELECT t.ticket_id, t.number, t.state_category, t.assignee_admin_id, t.tag,
           json_merge_patch('{}', json_object(
               'assignee_id', t.assignee_admin_id,
               'skip_notifications', true)) AS payload,
           -- Intercom records who tagged: the ticket's agent, else the fallback admin.
           CASE WHEN t.tag IS NOT NULL AND coalesce(t.assignee_admin_id, f.admin_id) IS NOT NULL
                THEN json_object('admin_id', coalesce(t.assignee_admin_id, f.admin_id)) END AS tag_payload
    FROM outbox_tickets t
    CROSS JOIN int_fallback_admin f
),

-- What the ledger records of the two requests: when this hash changes, so did one of them.
final AS (
    SELECT *,
           sha256(json_object('state', state_category, 'update', payload,
                              'tag', tag, 'tagging', tag_payload)::VARCHAR) AS payload_sha256
    FROM requests
)

SELECT * FROM final;
