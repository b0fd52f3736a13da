-- intermediate.int_collaborators: every collaborator (CC) of an osTicket thread, and whether it
-- is on its Intercom ticket.
-- Grain: one row per raw.thread_collaborator row.
-- Why: a CC is someone the agents kept informed; on Intercom they are a participant of the
-- ticket (participants = "add", outbox_ticket_participants) or a name in its CC note
-- ("notes"). `reason` is NULL when they arrive, else why not: their thread is not a migrated
-- ticket's, osTicket had taken them off, they are the requester (the ticket's contact already),
-- or they cannot be a contact. The reconciliation counts from here; the "Collaborators" sheet
-- lists the ones that do not arrive.
CREATE OR REPLACE TABLE intermediate.int_collaborators AS
WITH
raw_thread_collaborator AS (SELECT * FROM staging.base_thread_collaborator),
raw_thread AS (SELECT * FROM staging.base_thread),
int_tickets AS (SELECT * FROM intermediate.int_tickets),
int_contacts AS (SELECT * FROM intermediate.int_contacts),
stg_tickets AS (SELECT * FROM staging.stg_tickets),
stg_users AS (SELECT * FROM staging.stg_users),
settings AS (SELECT * FROM config.settings),

final AS (
    SELECT c.id AS collaborator_id, c.thread_id, th.object_type AS thread_type,
           t.ticket_id, coalesce(t.number, k.number) AS number, c.user_id::BIGINT AS user_id, u.name, u.email, ic.external_id,
           CASE WHEN th.object_type = 'C'
                    THEN 'on the thread of osTicket #' || coalesce(k.number, th.object_id::VARCHAR) || ', merged into another ticket: osTicket did not move its CCs'
                WHEN th.object_type IS DISTINCT FROM 'T' THEN 'on a thread that is not a ticket''s (a task''s, or one osTicket lost)'
                WHEN t.ticket_id IS NULL OR t.outcome <> 'migrate' THEN 'its ticket is not migrated'
                WHEN c.flags::BIGINT & 1 = 0 THEN 'inactive: taken off the ticket''s CCs in osTicket'
                WHEN c.user_id = t.user_id THEN 'is the ticket''s requester (its contact)'
                WHEN s.participants = 'add' AND ic.external_id IS NULL
                    THEN 'cannot be a contact (no e-mail, no phone: see the excluded users)'
           END AS reason
    FROM raw_thread_collaborator c
    CROSS JOIN settings s
    LEFT JOIN raw_thread th ON th.id = c.thread_id
    LEFT JOIN int_tickets t ON th.object_type = 'T' AND t.ticket_id = th.object_id
    LEFT JOIN stg_tickets k ON th.object_type = 'C' AND k.ticket_id = th.object_id
    LEFT JOIN int_contacts ic ON ic.user_id = c.user_id
    LEFT JOIN stg_users u ON u.user_id = c.user_id
)

SELECT * FROM final;
