-- raw.ticket and the objects it names (statuses, departments, help topics, agents, teams,
-- priorities), its thread, and its subject and priority answers, from the ticket export
-- (raw_csv.tickets, osTicket's default export columns).
-- Grain: one ticket per "Ticket Number"; one status, department, topic, agent, team or priority
-- per distinct name.
-- Why: the export names these objects instead of giving ids, so each becomes a row of its own
-- table, id by name order. A status's state is read from its name (Closed/Resolved → closed,
-- Archived, Deleted; any other → open): the export does not say. Agents are known by name only:
-- their username is that name, so `[admins.map]` maps "First Last". Dates are read in the
-- snapshot's time zone (--source-timezone, default UTC): the loader in src/snapshot/csv.rs
-- turns them into UTC after these statements.
CREATE OR REPLACE TEMP MACRO csv_time(t) AS
    coalesce(TRY_STRPTIME(trim(t), '%Y-%m-%d %H:%M:%S'), TRY_STRPTIME(trim(t), '%Y-%m-%d %H:%M'),
             TRY_STRPTIME(trim(t), '%m/%d/%Y %I:%M %p'), TRY_STRPTIME(trim(t), '%m/%d/%y %I:%M %p'),
             TRY_STRPTIME(trim(t), '%d/%m/%Y %H:%M'), TRY_STRPTIME(trim(t), '%Y-%m-%d'));
CREATE OR REPLACE TEMP MACRO csv_flag(v) AS lower(trim(coalesce(v, ''))) IN ('1', 'yes', 'true', 'y');

CREATE OR REPLACE TEMP TABLE csv_ticket AS
SELECT row_number() OVER (ORDER BY csv_time("Date Created") NULLS LAST, trim("Ticket Number")) AS ticket_id, *
FROM raw_csv.tickets WHERE nullif(trim("Ticket Number"), '') IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY trim("Ticket Number") ORDER BY "Last Updated" DESC) = 1;

CREATE OR REPLACE TEMP TABLE csv_named AS
SELECT kind, name, row_number() OVER (PARTITION BY kind ORDER BY lower(name), name) AS id
FROM (
    SELECT DISTINCT 'status' AS kind, trim("Current Status") AS name FROM csv_ticket
    UNION SELECT DISTINCT 'dept', trim("Department") FROM csv_ticket
    UNION SELECT DISTINCT 'topic', trim("Help Topic") FROM csv_ticket
    UNION SELECT DISTINCT 'staff', trim("Agent Assigned") FROM csv_ticket
    UNION SELECT DISTINCT 'team', trim("Team Assigned") FROM csv_ticket
    UNION SELECT DISTINCT 'priority', trim("Priority") FROM csv_ticket
) WHERE nullif(name, '') IS NOT NULL;

INSERT INTO raw.ticket_status (id, name, state, mode, flags, sort, properties, created, updated)
SELECT id, name,
       CASE WHEN lower(name) IN ('closed', 'resolved') THEN 'closed'
            WHEN lower(name) = 'archived' THEN 'archived'
            WHEN lower(name) = 'deleted' THEN 'deleted' ELSE 'open' END,
       1, 0, id, '{}', NULL, NULL
FROM csv_named WHERE kind = 'status';
INSERT INTO raw.department (id, pid, tpl_id, sla_id, schedule_id, email_id, autoresp_email_id, manager_id, flags, name, signature, ispublic, group_membership, ticket_auto_response, message_auto_response, path, updated, created)
SELECT id, 0, 0, 0, 0, 0, 0, 0, 0, name, '', 1, 0, 1, 1, '/' || id || '/', NULL, NULL FROM csv_named WHERE kind = 'dept';
INSERT INTO raw.help_topic (topic_id, topic_pid, ispublic, noautoresp, flags, status_id, priority_id, dept_id, staff_id, team_id, sla_id, page_id, sequence_id, sort, topic, number_format, notes, created, updated)
SELECT id, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, id, name, NULL, NULL, NULL, NULL FROM csv_named WHERE kind = 'topic';
INSERT INTO raw.staff (staff_id, dept_id, role_id, username, firstname, lastname, isactive, isadmin, isvisible, onvacation, created)
SELECT id, 0, 0, name, split_part(name, ' ', 1), nullif(trim(substr(name, length(split_part(name, ' ', 1)) + 1)), ''), 1, 0, 1, 0, NULL
FROM csv_named WHERE kind = 'staff';
INSERT INTO raw.team (team_id, lead_id, flags, name, notes, created, updated)
SELECT id, 0, 1, name, NULL, NULL, NULL FROM csv_named WHERE kind = 'team';
INSERT INTO raw.ticket_priority (priority_id, priority, priority_desc, priority_color, priority_urgency, ispublic)
SELECT id, lower(name), name, '', NULL, 1 FROM csv_named WHERE kind = 'priority';

INSERT INTO raw.ticket (ticket_id, ticket_pid, number, user_id, user_email_id, status_id, dept_id, sla_id, topic_id, staff_id, team_id, email_id, lock_id, flags, sort, ip_address, source, source_extra, isoverdue, isanswered, duedate, est_duedate, reopened, closed, lastupdate, created, updated)
SELECT t.ticket_id, NULL, trim(t."Ticket Number"), coalesce(u.id, 0), 0,
       coalesce(s.id, 0), coalesce(d.id, 0), 0, coalesce(h.id, 0), coalesce(a.id, 0), coalesce(m.id, 0), 0, 0,
       0, 0, '', coalesce(nullif(trim(t."Source"), ''), 'Other'), NULL,
       CASE WHEN csv_flag(t."Overdue") THEN 1 ELSE 0 END, CASE WHEN csv_flag(t."Answered") THEN 1 ELSE 0 END,
       csv_time(t."Due Date"), csv_time(t."SLA Due Date"), NULL, csv_time(t."Closed Date"),
       csv_time(t."Last Updated"), csv_time(t."Date Created"), csv_time(t."Last Updated")
FROM csv_ticket t
LEFT JOIN csv_people u ON lower(u.email) = lower(nullif(trim(t."From Email"), ''))
LEFT JOIN csv_named s ON s.kind = 'status' AND s.name = trim(t."Current Status")
LEFT JOIN csv_named d ON d.kind = 'dept' AND d.name = trim(t."Department")
LEFT JOIN csv_named h ON h.kind = 'topic' AND h.name = trim(t."Help Topic")
LEFT JOIN csv_named a ON a.kind = 'staff' AND a.name = trim(t."Agent Assigned")
LEFT JOIN csv_named m ON m.kind = 'team' AND m.name = trim(t."Team Assigned");

INSERT INTO raw.thread (id, object_id, object_type, extra, lastresponse, lastmessage, created)
SELECT ticket_id, ticket_id, 'T', NULL, NULL, NULL, created FROM raw.ticket;

INSERT INTO raw.form (id, pid, type, flags, title, instructions, name, notes, created, updated)
VALUES (2, NULL, 'T', 0, 'Ticket Details', NULL, '', NULL, NULL, NULL);
INSERT INTO raw.form_field (id, form_id, flags, type, label, name, configuration, sort, hint, created, updated)
VALUES (20, 2, 3, 'text', 'Issue Summary', 'subject', NULL, 1, NULL, NULL, NULL),
       (22, 2, 3, 'priority', 'Priority Level', 'priority', NULL, 3, NULL, NULL, NULL);
INSERT INTO raw.form_entry (id, form_id, object_id, object_type, sort, extra, created, updated)
SELECT 200000 + ticket_id, 2, ticket_id, 'T', 1, NULL, created, updated FROM raw.ticket;
INSERT INTO raw.form_entry_values (entry_id, field_id, value, value_id)
SELECT 200000 + t.ticket_id, 20, trim(t."Subject"), NULL FROM csv_ticket t WHERE nullif(trim(t."Subject"), '') IS NOT NULL
UNION ALL
SELECT 200000 + t.ticket_id, 22, p.name, p.id FROM csv_ticket t JOIN csv_named p ON p.kind = 'priority' AND p.name = trim(t."Priority");
