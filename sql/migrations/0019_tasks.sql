-- osTicket's task threads as `ostmig split` cleaned them, for the back-office tickets that carry
-- tasks (outbox.outbox_task_notes).
-- Why: a task's entries are HTML written in the same editor as a ticket's, and go through the
-- same cleaner; they are not parts of any customer ticket, so they get a table of their own
-- with the shape of stage.parts (the split writes both with one writer).

-- Grain: one row per visible entry of a task's thread (thread.object_type 'A').
CREATE TABLE stage.task_parts (
    task_id          BIGINT NOT NULL,   -- thread.object_id of the task's thread
    origin_task_id   BIGINT NOT NULL,   -- the same (tasks are not merged)
    entry_id         BIGINT NOT NULL PRIMARY KEY,
    seq              INTEGER NOT NULL,  -- 1-based position in the task's thread
    kind             VARCHAR NOT NULL,  -- message | response | note | system
    author_type      VARCHAR NOT NULL,  -- contact | admin | system | unknown
    user_id          BIGINT,
    staff_id         BIGINT,
    poster           VARCHAR,
    created_at       TIMESTAMP NOT NULL,-- UTC
    internal         BOOLEAN NOT NULL,
    edited           BOOLEAN NOT NULL,
    source_format    VARCHAR NOT NULL,
    title            VARCHAR,
    body_html        VARCHAR NOT NULL,
    body_text        VARCHAR NOT NULL,
    quoted_html      VARCHAR,
    body_origin      VARCHAR NOT NULL,
    problems         VARCHAR[] NOT NULL
);

-- config.settings gains tasks.type_name: the back-office ticket type tasks become.
CREATE OR REPLACE VIEW config.settings AS
SELECT
    coalesce(max(value) FILTER (WHERE key = 'companies.link_subdomains') = 'true', false) AS companies_link_subdomains,
    max(value) FILTER (WHERE key = 'attributes.prefix') AS attributes_prefix,
    coalesce(max(value) FILTER (WHERE key = 'topics.naming'), 'path') AS topics_naming,
    coalesce(max(value) FILTER (WHERE key = 'notes.policy'), 'note') AS notes_policy,
    max(value) FILTER (WHERE key = 'attachments.limit_bytes')::BIGINT AS attachments_limit_bytes,
    coalesce(max(value) FILTER (WHERE key = 'attachments.request_bytes')::BIGINT, 8388608) AS attachments_request_bytes,
    nullif(max(value) FILTER (WHERE key = 'admins.fallback'), '') AS admins_fallback,
    max(value) FILTER (WHERE key = 'tickets.type_name') AS tickets_type_name,
    coalesce(max(value) FILTER (WHERE key = 'events'), 'notes') AS events,
    coalesce(max(value) FILTER (WHERE key = 'participants'), 'add') AS participants,
    coalesce(nullif(max(value) FILTER (WHERE key = 'tasks.type_name'), ''), 'osTicket task') AS tasks_type_name
FROM config.setting;
