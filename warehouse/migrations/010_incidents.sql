-- Incidents: one real-world event, however many reports. Every event is linked to
-- one incident when its batch is stored (in the same transaction); a later report
-- that shows two incidents to be one merges them (the older id survives). Both
-- tables are append-only but for a merge's one-hop rewrite (see writer.py).

CREATE TABLE incident_links (
    event_id     VARCHAR PRIMARY KEY,
    incident_id  VARCHAR NOT NULL,        -- as linked; see incident_merges for its fate
    run_id       VARCHAR NOT NULL,        -- the batch that linked it
    linked_at    TIMESTAMPTZ NOT NULL,
    reason       VARCHAR NOT NULL         -- 'new', or which fields agreed with the incident
);

CREATE TABLE incident_merges (
    incident_id  VARCHAR PRIMARY KEY,     -- merged away
    merged_into  VARCHAR NOT NULL,        -- the surviving (older) incident, one hop
    run_id       VARCHAR NOT NULL,
    merged_at    TIMESTAMPTZ NOT NULL,
    reason       VARCHAR NOT NULL
);

-- Analysts' events view, with the article's url as `url` (the incident scorer reads it).
DROP VIEW daily_event_counts;
DROP VIEW events_view;

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
    a2.best.actor2 AS actor2,
    a2.best.actor2_country AS actor2_country,
    a2.best.actor2_type AS actor2_type,
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
LEFT JOIN actor2 a2 USING (incident_id);

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
