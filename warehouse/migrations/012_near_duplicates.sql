-- Near-duplicate articles: a syndicated copy of a stored article's text (a new
-- headline, a credit line, a trailing paragraph, a few words edited) is not stored
-- as an article of its own. Each stored article keeps its MinHash signature and the
-- LSH band keys of it (tasks/neardup.py); a new article's candidates are the stored
-- articles sharing a band with it (a join on `band`), whose signatures decide.

CREATE TABLE article_minhash (
    article_id  VARCHAR PRIMARY KEY,      -- the stored article
    minhash     UINTEGER[] NOT NULL,      -- its MinHash values, one per permutation
    run_id      VARCHAR NOT NULL
);

CREATE TABLE article_bands (
    band        VARCHAR NOT NULL,         -- settings tag, band number, the band's values
    article_id  VARCHAR NOT NULL,
    run_id      VARCHAR NOT NULL,
    PRIMARY KEY (band, article_id)
);

-- Every input found to repeat a stored article's text: it was not stored, nor its
-- events; `duplicate_of` is the stored article it repeats.
CREATE TABLE near_duplicates (
    article_id    VARCHAR PRIMARY KEY,    -- the id the input's text would have had
    duplicate_of  VARCHAR NOT NULL,       -- the stored article
    similarity    DOUBLE NOT NULL,        -- estimated Jaccard similarity of their shingles
    source        VARCHAR,                -- where the input came from, as for articles
    url           VARCHAR,
    title         VARCHAR,
    raw_sha256    VARCHAR,                -- so a re-run skips the input before parsing it
    run_id        VARCHAR NOT NULL,       -- the batch that found it
    found_at      TIMESTAMPTZ NOT NULL
);
