-- What `ostmig verify` read back from Intercom, stored as it came, and the two rules the
-- comparisons in sql/verify/ share.
-- Why: verify was a fetch-and-compare loop in Rust; an analyst could see its verdicts but not
-- re-run them, and no test could feed it without HTTP. Now the fetch writes rows and the
-- comparisons are SQL over them (`duckdb FILE < sql/verify/tickets.sql` shows the same rows
-- `load.verify_mismatch` got).

-- Grain: one row per object read back by the last verify (replaced by every run).
CREATE TABLE load.readback (
    object_type VARCHAR NOT NULL,   -- contact, company, ticket, ticket_type
    source_key  VARCHAR NOT NULL,   -- as in load.ledger
    intercom_id VARCHAR NOT NULL,
    body        JSON NOT NULL,      -- Intercom's answer to GET /{objects}/{id}, whole
    read_at     TIMESTAMP NOT NULL
);

-- The `verify --sample` rehearsal's read-backs, apart from the real ones.
CREATE TABLE load.sample_readback AS SELECT * FROM load.readback LIMIT 0;

-- Two values are the same when they mean the same: a decimal sent as 5.0 comes back as 5
-- through any JSON hop, an integer id may come back as a string, NULL reads as ''.
CREATE OR REPLACE MACRO same_value(expected, actual) AS
    coalesce(expected, '') = coalesce(actual, '')
    OR coalesce(try_cast(trim(expected) AS DOUBLE) = try_cast(trim(actual) AS DOUBLE), false);

-- What a reader sees of an HTML body: tags gone (a block tag separates words, an inline one
-- does not), the usual entities decoded, whitespace collapsed. Intercom rewrites the bodies it
-- stores (erratum bodies-rewritten), so bodies compare by this, never by their markup.
CREATE OR REPLACE MACRO visible_text(html) AS
    trim(regexp_replace(
        replace(replace(replace(replace(replace(replace(replace(
            regexp_replace(
                regexp_replace(coalesce(html, ''),
                    '</?(a|b|strong|i|em|u|code|span|small|sub|sup|font|mark|s|strike|abbr|cite|q|tt|kbd|var)([\s/][^>]*)?>',
                    '', 'gi'),
                '<[^>]*>', ' ', 'g'),
            '&nbsp;', ' '), chr(160), ' '), '&lt;', '<'), '&gt;', '>'), '&quot;', '"'),
            '&#39;', ''''), '&amp;', '&'),
        '\s+', ' ', 'g'));
