-- What a reviewer decided in `ostmig review`, ticket by ticket, kept for good.
-- Why a migration: the decisions are the customer's sign-off of the threads. The thread-sample
-- workbook shows them, and `load --apply` reads them: it warns while a flag is open and refuses
-- when a ticket was approved as a payload that has changed since (reports.rpt_review_tickets).

CREATE SCHEMA IF NOT EXISTS review;

-- Grain: one row per decision; a ticket's latest decision is the one that counts, the earlier
-- ones are its history (a flag, then the approval after it was mended).
CREATE SEQUENCE review.decision_seq;
CREATE TABLE review.decision (
    decision_id    BIGINT NOT NULL PRIMARY KEY DEFAULT nextval('review.decision_seq'),
    ticket_id      BIGINT NOT NULL,
    number         VARCHAR NOT NULL,   -- osTicket's ticket number, as the reviewer saw it
    verdict        VARCHAR NOT NULL CHECK (verdict IN ('approved', 'flagged')),
    comment        VARCHAR NOT NULL,   -- '' when none
    reviewer       VARCHAR NOT NULL,   -- the name the reviewer gave
    decided_at     TIMESTAMP NOT NULL, -- UTC
    -- reports.rpt_review_tickets.payload_sha256 of the page the reviewer saw: everything the
    -- load sends for the ticket (ticket, parts, files, notes, participants, state).
    payload_sha256 VARCHAR NOT NULL,
    -- What the right-hand column showed: 'outbox' (what the load will send) or 'intercom'
    -- (what verify read back after a load).
    shown          VARCHAR NOT NULL CHECK (shown IN ('outbox', 'intercom'))
);
CREATE INDEX review_decision_ticket ON review.decision (ticket_id);
