-- Images pasted into bodies as data: URIs, written by `ostmig split`.
-- Why: Intercom shows no data: image (its sanitizer drops them), and the split replaces each one
-- by the marker `[image: <name>]`; the bytes must travel as a file of the part like an
-- attachment does. They exist nowhere in osTicket's file tables, so they are kept here.

-- Grain: one row per pasted image of a part, in the order it appears in the body.
CREATE TABLE stage.part_image (
    entry_id   BIGINT NOT NULL,
    n          INTEGER NOT NULL,   -- 1-based, as in the marker's name image-<n>.<ext>
    name       VARCHAR NOT NULL,
    mime_type  VARCHAR NOT NULL,
    size       BIGINT NOT NULL,
    over_limit BOOLEAN NOT NULL,   -- larger than the split's --attachment-limit
    data       BLOB NOT NULL,
    PRIMARY KEY (entry_id, n)
);
