-- osTicket's FAQ answers as `ostmig split` cleaned them, for the knowledge-base outbox.
-- Why: the answers are HTML written in osTicket's editor, like thread bodies; they go through
-- the same cleaner (Intercom's subset, inline images as markers), which is Rust, so the split
-- writes them here and the models read them.

-- Grain: one row per raw.faq row.
CREATE TABLE stage.articles (
    faq_id     BIGINT NOT NULL PRIMARY KEY,
    body_html  VARCHAR NOT NULL,    -- Intercom's HTML subset; inline images as [image: <name>]
    body_text  VARCHAR NOT NULL,
    images     BIGINT[] NOT NULL,   -- file ids of the inline images the answer showed
    unresolved VARCHAR[] NOT NULL,  -- cid: keys that matched no file of the FAQ
    problems   VARCHAR[] NOT NULL
);
