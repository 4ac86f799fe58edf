-- The incidents view picks each field from the value most of an incident's reports give,
-- ties broken by a fixed order; two reports that agree on an actor's name but not on its
-- type or country ("Bangladesh Nationalist Party" with and without `rioters`) tied, and
-- DuckDB's arg_max then returned either, so one warehouse and its copy on another
-- backend (DuckLake, the Dask runner) could show different rows. Every tie now ends in a
-- full order over the fields returned, a known value before an unknown one.

DROP VIEW daily_incident_counts;
DROP VIEW incidents;
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
                   row(place_rank, n, location, admin1, coalesce(country, ''),
                       coalesce(latitude, -999), coalesce(longitude, -999))) AS best
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
                   row(n, coalesce(acled_sub_event_type, ''), event_type,
                       coalesce(acled_event_type, ''))) AS best
    FROM (SELECT incident_id, event_type, acled_event_type, acled_sub_event_type, count(*) AS n
          FROM incident_reports GROUP BY ALL)
    GROUP BY incident_id
),
actor1 AS (
    SELECT incident_id, arg_max(struct_pack(actor1, actor1_country, actor1_type),
                                row(n, length(actor1), actor1, coalesce(actor1_country, ''),
                                    coalesce(actor1_type, ''))) AS best
    FROM (SELECT incident_id, actor1, actor1_country, actor1_type, count(*) AS n
          FROM incident_reports WHERE actor1 IS NOT NULL GROUP BY ALL)
    GROUP BY incident_id
),
actor2 AS (
    SELECT incident_id, arg_max(struct_pack(actor2, actor2_country, actor2_type),
                                row(n, length(actor2), actor2, coalesce(actor2_country, ''),
                                    coalesce(actor2_type, ''))) AS best
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
