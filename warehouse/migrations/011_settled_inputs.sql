-- Every settled input, by the hash of its bytes and metadata (RawDoc.raw_sha256), so a
-- re-run skips it before parsing: parsing HTML is the costly step. Migration 007 kept
-- the hash only on the article an input became (or its rejection), so inputs whose text
-- was a duplicate of a stored one (syndicated copies, AMP and print versions, the same
-- page with other ads or tracking) were parsed again on every run.
-- outcome: 'stored' (the input became `article_id`), 'duplicate' (its text is
--   `article_id`'s, stored from another input or earlier in the same batch), or
--   'rejected' (refused for its content alone, `reason`; article_id is NULL).
-- Inputs settled before this migration are still found through articles.raw_sha256 and
-- rejections.raw_sha256 (warehouse/reads.py settled_raw_hashes reads all three).

CREATE TABLE settled_inputs (
    raw_sha256  VARCHAR PRIMARY KEY,
    outcome     VARCHAR NOT NULL CHECK (outcome IN ('stored', 'duplicate', 'rejected')),
    article_id  VARCHAR,                     -- the article it became or duplicates
    reason      VARCHAR,                     -- 'rejected': the rejection's reason
    source      VARCHAR NOT NULL,            -- the input's path (or URL) when settled
    run_id      VARCHAR NOT NULL,            -- the batch that settled it
    settled_at  TIMESTAMPTZ NOT NULL,
    CHECK ((outcome = 'rejected') = (article_id IS NULL)),
    CHECK ((outcome = 'rejected') = (reason IS NOT NULL))
);
