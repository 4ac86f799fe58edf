-- How much of each article the coder read, and whether it stopped short. A text
-- longer than the coder's cap is coded up to a sentence end before the cap
-- ('truncated', with coded_chars saying where); one whose coding ran past its time
-- budget is stored without events ('coding_timeout') rather than holding the run.
-- The table is made anew (DuckDB cannot add a column with a CHECK constraint).

CREATE TABLE codings_new (
    article_id        VARCHAR NOT NULL,
    extractor_version VARCHAR NOT NULL,
    run_id            VARCHAR NOT NULL,      -- the batch that stored this coding
    events            INTEGER NOT NULL,
    coded_at          TIMESTAMPTZ NOT NULL,
    coded_chars       INTEGER,               -- characters of the text coded (NULL: before 009)
    flag              VARCHAR CHECK (flag IN ('truncated', 'coding_timeout')),
    PRIMARY KEY (article_id, extractor_version)
);

INSERT INTO codings_new (article_id, extractor_version, run_id, events, coded_at)
SELECT article_id, extractor_version, run_id, events, coded_at FROM codings;

DROP TABLE codings;
ALTER TABLE codings_new RENAME TO codings;
