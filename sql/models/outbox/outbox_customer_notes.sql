-- outbox.outbox_customer_notes: osTicket's staff notes on users and organizations, as the contact
-- and company notes the loader creates (POST /contacts/{id}/notes, POST /companies/{id}/notes).
-- Grain: one row per note about a user who becomes a contact or an organization that becomes a
-- company, with a body.
-- Why: agents keep what they know of a customer there ("prefers a call back"). Intercom cannot
-- backdate a note or post it as someone who is not an admin, so the foot of the body says who
-- wrote it and when, and carries the osTicket note's id: that line is how a resumed load finds
-- a note a killed one created (notes carry no id of ours). The agent's admin posts it, else the
-- fallback admin. The contact's or company's Intercom id exists only at load time: the loader
-- puts `owner_key`'s into the path. reports.rpt_customer_context lists the notes left behind.
CREATE OR REPLACE TABLE outbox.outbox_customer_notes AS
WITH
stg_customer_notes AS (SELECT * FROM staging.stg_customer_notes),
int_contacts AS (SELECT * FROM intermediate.int_contacts),
outbox_companies AS (SELECT * FROM outbox.outbox_companies),
int_agent_admins AS (SELECT * FROM intermediate.int_agent_admins),
fallback AS (SELECT * FROM intermediate.int_fallback_admin),

carried AS (
    SELECT n.note_id, n.target, n.object_id, n.staff_id, n.staff_name, n.body_html, n.created, n.updated,
           coalesce(c.external_id, co.company_id) AS owner_key,
           coalesce(a.admin_id, (SELECT admin_id FROM fallback)) AS admin_id
    FROM stg_customer_notes n
    LEFT JOIN int_contacts c ON n.target = 'contact' AND c.user_id = n.object_id
    LEFT JOIN outbox_companies co ON n.target = 'company' AND co.org_id = n.object_id
    LEFT JOIN int_agent_admins a ON a.staff_id = n.staff_id
    WHERE NOT n.empty AND coalesce(c.external_id, co.company_id) IS NOT NULL
),

payloads AS (
    SELECT note_id,
           'osticket-note-' || note_id AS note_key,
           target, owner_key, admin_id, created,
           json_merge_patch('{}', json_object(
               'body', body_html || '<p><em>osTicket note ' || note_id || ', by '
                   || html_escape(coalesce(nullif(trim(staff_name), ''), 'an agent no longer in osTicket'))
                   || coalesce(', ' || strftime(created, '%Y-%m-%d %H:%M UTC'), '')
                   || CASE WHEN updated > created THEN ', edited ' || strftime(updated, '%Y-%m-%d %H:%M UTC') ELSE '' END
                   || '</em></p>',
               'admin_id', admin_id
           )) AS payload
    FROM carried
),

-- What the ledger records of a sent object: when this hash changes, so did the request.
final AS (
    SELECT *, sha256(payload::VARCHAR) AS payload_sha256 FROM payloads
)

SELECT * FROM final;
