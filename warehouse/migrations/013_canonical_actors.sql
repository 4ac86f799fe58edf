-- Canonical actor names: one name per actor across events and articles, ACLED's way
-- ("Military Forces of Pakistan", "Tehrik-i-Taliban Pakistan", "Protesters (Kenya)"),
-- beside the text's own wording in actor1/actor2 (tasks/extract/canonical.py). NULL
-- for events coded before this migration (a re-coding by a newer coder fills them).
-- The views over events are made again so that they carry the new columns, and the
-- incidents view gives the canonical name most of an incident's reports give.

ALTER TABLE events ADD COLUMN actor1_canonical VARCHAR;
ALTER TABLE events ADD COLUMN actor2_canonical VARCHAR;

DROP VIEW daily_incident_counts;
DROP VIEW incidents;
DROP VIEW incident_reports;
DROP VIEW incident_events;
DROP VIEW daily_event_counts;
DROP VIEW events_view;
DROP VIEW current_events;

-- Events of each article's latest coding: what analysts should count.
CREATE VIEW current_events AS
SELECT e.*
FROM events e
JOIN latest_codings c USING (article_id, extractor_version);

-- Analysts' events view, with the article's url as `url` (the incident scorer reads it).
CREATE VIEW events_view AS
SELECT
    e.*,
    a.title        AS article_title,
    a.url          AS article_url,
    a.url          AS url,
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

-- Every current event and its incident (an event stored before linking existed is
-- an incident of its own).
CREATE VIEW incident_events AS
SELECT
    e.event_id,
    coalesce(m.merged_into, l.incident_id, 'inc-' || left(e.event_id, 24)) AS incident_id,
    coalesce(l.reason, 'new') AS link_reason
FROM current_events e
LEFT JOIN incident_links l USING (event_id)
LEFT JOIN incident_merges m ON m.incident_id = l.incident_id;

-- Each report's part in its incident: the event, its article, outlet and day.
CREATE VIEW incident_reports AS
SELECT
    i.incident_id,
    i.link_reason,
    e.*,
    coalesce(a.site_name, a.source) AS outlet,
    coalesce(a.published_at, a.loaded_at) AS reported_at,
    CASE e.geo_precision WHEN 'point' THEN 3 WHEN 'admin1' THEN 2 WHEN 'country' THEN 1 ELSE 0 END
        AS place_rank
FROM incident_events i
JOIN current_events e USING (event_id)
JOIN articles a USING (article_id);

-- One row per incident, with its best fields:
-- * type, actors, date: what most reports say (ties: the most specific name, the earliest day);
-- * place: the most precise one given (a town over a province over a country), then the
--   one most reports give;
-- * fatalities: the figure of the latest report that gives one; when several reports of
--   that latest day disagree, the lowest (ACLED's conservative rule). So a toll that rose
--   in a later report replaces the earlier one, and outlets that disagree on one day
--   are not added up or maximised.
CREATE VIEW incidents AS
WITH per_report AS (
    SELECT incident_id, article_id, max(fatalities) AS figure, max(reported_at) AS reported_at
    FROM incident_reports GROUP BY incident_id, article_id
),
toll AS (
    SELECT incident_id,
           arg_min(figure, figure) FILTER (WHERE reported_at::DATE = last_day) AS fatalities
    FROM (
        SELECT *, max(reported_at::DATE) OVER (PARTITION BY incident_id) AS last_day
        FROM per_report WHERE figure IS NOT NULL
    ) GROUP BY incident_id
),
place AS (
    SELECT incident_id,
           arg_max(struct_pack(country, admin1, location, latitude, longitude),
                   row(place_rank, n, location, admin1)) AS best
    FROM (SELECT incident_id, place_rank, country, admin1, location, latitude, longitude,
                 count(*) AS n
          FROM incident_reports GROUP BY ALL)
    GROUP BY incident_id
),
day AS (
    SELECT incident_id, arg_max(event_date, row(n, -epoch(event_date))) AS event_date
    FROM (SELECT incident_id, event_date, count(*) AS n FROM incident_reports
          WHERE event_date IS NOT NULL GROUP BY ALL)
    GROUP BY incident_id
),
kind AS (
    SELECT incident_id,
           arg_max(struct_pack(event_type, acled_event_type, acled_sub_event_type),
                   row(n, acled_sub_event_type, event_type)) AS best
    FROM (SELECT incident_id, event_type, acled_event_type, acled_sub_event_type, count(*) AS n
          FROM incident_reports GROUP BY ALL)
    GROUP BY incident_id
),
actor1 AS (
    SELECT incident_id, arg_max(struct_pack(actor1, actor1_country, actor1_type),
                                row(n, length(actor1), actor1)) AS best
    FROM (SELECT incident_id, actor1, actor1_country, actor1_type, count(*) AS n
          FROM incident_reports WHERE actor1 IS NOT NULL GROUP BY ALL)
    GROUP BY incident_id
),
actor2 AS (
    SELECT incident_id, arg_max(struct_pack(actor2, actor2_country, actor2_type),
                                row(n, length(actor2), actor2)) AS best
    FROM (SELECT incident_id, actor2, actor2_country, actor2_type, count(*) AS n
          FROM incident_reports WHERE actor2 IS NOT NULL GROUP BY ALL)
    GROUP BY incident_id
),
-- The canonical name most reports give each side (ties: the longer, then the first).
canonical1 AS (
    SELECT incident_id, arg_max(actor1_canonical, row(n, length(actor1_canonical), actor1_canonical))
               AS actor1_canonical
    FROM (SELECT incident_id, actor1_canonical, count(*) AS n
          FROM incident_reports WHERE actor1_canonical IS NOT NULL GROUP BY ALL)
    GROUP BY incident_id
),
canonical2 AS (
    SELECT incident_id, arg_max(actor2_canonical, row(n, length(actor2_canonical), actor2_canonical))
               AS actor2_canonical
    FROM (SELECT incident_id, actor2_canonical, count(*) AS n
          FROM incident_reports WHERE actor2_canonical IS NOT NULL GROUP BY ALL)
    GROUP BY incident_id
),
totals AS (
    SELECT incident_id,
           count(*) AS num_events,
           count(DISTINCT article_id) AS num_articles,
           count(DISTINCT outlet) AS num_sources,
           min(reported_at) AS first_reported,
           max(reported_at) AS last_reported
    FROM incident_reports GROUP BY incident_id
)
SELECT
    t.incident_id,
    k.best.event_type AS event_type,
    k.best.acled_event_type AS acled_event_type,
    k.best.acled_sub_event_type AS acled_sub_event_type,
    a1.best.actor1 AS actor1,
    a1.best.actor1_country AS actor1_country,
    a1.best.actor1_type AS actor1_type,
    c1.actor1_canonical,
    a2.best.actor2 AS actor2,
    a2.best.actor2_country AS actor2_country,
    a2.best.actor2_type AS actor2_type,
    c2.actor2_canonical,
    p.best.country AS country,
    p.best.admin1 AS admin1,
    p.best.location AS location,
    p.best.latitude AS latitude,
    p.best.longitude AS longitude,
    d.event_date,
    f.fatalities,
    t.num_events,
    t.num_articles,
    t.num_sources,
    t.first_reported,
    t.last_reported
FROM totals t
JOIN kind k USING (incident_id)
JOIN place p USING (incident_id)
LEFT JOIN day d USING (incident_id)
LEFT JOIN toll f USING (incident_id)
LEFT JOIN actor1 a1 USING (incident_id)
LEFT JOIN actor2 a2 USING (incident_id)
LEFT JOIN canonical1 c1 USING (incident_id)
LEFT JOIN canonical2 c2 USING (incident_id);

-- The twin of daily_event_counts, over incidents: what to count per day.
CREATE VIEW daily_incident_counts AS
SELECT
    event_date,
    country,
    event_type,
    acled_event_type,
    count(*)                      AS incidents,
    sum(num_articles)             AS reports,
    coalesce(sum(fatalities), 0)  AS fatalities
FROM incidents
WHERE event_date IS NOT NULL
GROUP BY ALL
ORDER BY event_date, country, event_type;
