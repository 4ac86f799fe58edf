-- Two new fetch outcomes (tasks/fetch/records.py FetchOutcome):
-- 'dns_error': a host name that does not resolve (offline, a typo, a lapsed domain). It
--   was recorded as 'blocked_address', which reads as if the SSRF guard had refused it;
--   it is tried again next run, while an address the guard refuses stays refused.
-- 'budget_exceeded': a URL not fetched because its host's or the run's fetch budget was
--   spent (slow servers); it is tried again next run, so its feed's cursor is held.
-- DuckDB cannot change a CHECK constraint in place, so fetch_log is rebuilt with every
-- row, its columns in the same order. No view or index depends on fetch_log (the views
-- of migrations 002, 005 and 006 read events, articles, codings and runs).

CREATE TABLE fetch_log_v8 (
    run_id        VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL CHECK (kind IN ('feed', 'page', 'robots')),
    url           VARCHAR NOT NULL,
    canonical_url VARCHAR,
    feed_url      VARCHAR,                   -- the feed that listed this page, if any
    final_url     VARCHAR,                   -- after redirects
    outcome       VARCHAR NOT NULL CHECK (outcome IN ('fetched', 'fetched_bozo',
        'not_modified', 'stored', 'duplicate_url', 'duplicate_content', 'bad_url',
        'bad_config', 'blocked_address', 'dns_error', 'robots_disallowed', 'timeout',
        'connection_error', 'tls_error', 'too_many_redirects', 'client_error',
        'rate_limited', 'server_error', 'budget_exceeded', 'too_large', 'bad_content_type',
        'bad_encoding', 'bad_feed', 'no_link', 'no_text', 'bad_html', 'extract_failed')),
    http_status   INTEGER,
    detail        VARCHAR,                   -- one line for a human
    attempts      INTEGER NOT NULL DEFAULT 0,
    bytes         BIGINT,
    article_id    VARCHAR,                   -- the article the page became, if any
    fetched_at    TIMESTAMPTZ NOT NULL
);
INSERT INTO fetch_log_v8 BY NAME SELECT * FROM fetch_log;
DROP TABLE fetch_log;
ALTER TABLE fetch_log_v8 RENAME TO fetch_log;
