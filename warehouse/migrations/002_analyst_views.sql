-- Views for analysts: events with their article's provenance, and daily counts.

CREATE VIEW events_view AS
SELECT
    e.*,
    a.title        AS article_title,
    a.url          AS article_url,
    a.source       AS article_source,
    a.source_kind  AS article_source_kind,
    a.published_at AS article_published_at
FROM events e
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
FROM events
WHERE event_date IS NOT NULL
GROUP BY ALL
ORDER BY event_date, country, event_type;
