-- Live sources: feeds and web pages. Articles gain their author, site name and
-- canonical URL (what dedup looks up before fetching); `feeds` holds each feed's
-- conditional-GET cursor and last poll; `fetch_log` records every URL tried and
-- what came of it, in a closed vocabulary (tasks/fetch/records.py FetchOutcome).

ALTER TABLE articles ADD COLUMN author VARCHAR;
ALTER TABLE articles ADD COLUMN site_name VARCHAR;
ALTER TABLE articles ADD COLUMN canonical_url VARCHAR;

CREATE TABLE feeds (
    feed_url        VARCHAR PRIMARY KEY,
    name            VARCHAR,
    etag            VARCHAR,                 -- sent as If-None-Match next time
    last_modified   VARCHAR,                 -- sent as If-Modified-Since next time
    last_polled_at  TIMESTAMPTZ NOT NULL,
    last_outcome    VARCHAR NOT NULL,        -- a fetch_log outcome
    last_status     INTEGER,                 -- the HTTP status, if a response came
    bozo            BOOLEAN NOT NULL DEFAULT false,  -- malformed, entries used anyway
    bozo_reason     VARCHAR,
    entries         INTEGER NOT NULL DEFAULT 0,      -- usable entries in the last poll
    run_id          VARCHAR NOT NULL
);

CREATE TABLE fetch_log (
    run_id        VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL CHECK (kind IN ('feed', 'page', 'robots')),
    url           VARCHAR NOT NULL,
    canonical_url VARCHAR,
    feed_url      VARCHAR,                   -- the feed that listed this page, if any
    final_url     VARCHAR,                   -- after redirects
    outcome       VARCHAR NOT NULL CHECK (outcome IN ('fetched', 'fetched_bozo',
        'not_modified', 'stored', 'duplicate_url', 'duplicate_content', 'bad_url',
        'bad_config', 'blocked_address', 'robots_disallowed', 'timeout', 'connection_error',
        'tls_error', 'too_many_redirects', 'client_error', 'rate_limited', 'server_error',
        'too_large', 'bad_content_type', 'bad_encoding', 'bad_feed', 'no_link', 'no_text',
        'bad_html', 'extract_failed')),
    http_status   INTEGER,
    detail        VARCHAR,                   -- one line for a human
    attempts      INTEGER NOT NULL DEFAULT 0,
    bytes         BIGINT,
    article_id    VARCHAR,                   -- the article the page became, if any
    fetched_at    TIMESTAMPTZ NOT NULL
);
