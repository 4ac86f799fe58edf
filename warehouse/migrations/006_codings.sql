-- Which coder version coded which article, and when. A new coder version can
-- re-code stored articles (the nightly maintenance flow does): their new events
-- are appended beside the old ones (the tables stay append-only, and an event's
-- id includes the coder version), and analysts' views show each article's
-- latest coding only. Articles stored before this migration get a coding row
-- from their events (or 'unknown' when they had none).

CREATE TABLE codings (
    article_id        VARCHAR NOT NULL,
    extractor_version VARCHAR NOT NULL,
    run_id            VARCHAR NOT NULL,      -- the batch that stored this coding
    events            INTEGER NOT NULL,
    coded_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (article_id, extractor_version)
);

INSERT INTO codings
SELECT a.article_id,
       coalesce(e.extractor_version, 'unknown'),
       a.run_id,
       coalesce(e.n, 0),
       a.loaded_at
FROM articles a
LEFT JOIN (
    SELECT article_id, max(extractor_version) AS extractor_version, count(*) AS n
    FROM events GROUP BY article_id
) e USING (article_id);

-- Each article's latest coding.
CREATE VIEW latest_codings AS
SELECT * FROM codings
QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY coded_at DESC, extractor_version DESC) = 1;

-- Events of each article's latest coding: what analysts should count.
CREATE VIEW current_events AS
SELECT e.*
FROM events e
JOIN latest_codings c USING (article_id, extractor_version);

DROP VIEW daily_event_counts;
DROP VIEW events_view;

CREATE VIEW events_view AS
SELECT
    e.*,
    a.title        AS article_title,
    a.url          AS article_url,
    a.source       AS article_source,
    a.source_kind  AS article_source_kind,
    a.published_at AS article_published_at
FROM current_events e
JOIN articles a USING (article_id);

CREATE VIEW daily_event_counts AS
SELECT
    event_date,
    country,
    event_type,
    acled_event_type,
    count(*)                      AS events,
    count(DISTINCT article_id)    AS articles,
    coalesce(sum(fatalities), 0)  AS fatalities
FROM current_events
WHERE event_date IS NOT NULL
GROUP BY ALL
ORDER BY event_date, country, event_type;
