-- Core tables: runs, articles, events, rejections. Append-only; every row
-- carries the run that loaded it, and `runs` says which loads completed.

CREATE TABLE runs (
    run_id            VARCHAR PRIMARY KEY,   -- the Prefect flow run id
    flow_name         VARCHAR NOT NULL,
    parameters        JSON,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    status            VARCHAR NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    articles_seen     INTEGER NOT NULL DEFAULT 0,
    articles_new      INTEGER NOT NULL DEFAULT 0,
    articles_duplicate INTEGER NOT NULL DEFAULT 0,
    articles_rejected INTEGER NOT NULL DEFAULT 0,
    events_stored     INTEGER NOT NULL DEFAULT 0,
    error             VARCHAR
);

CREATE TABLE articles (
    article_id     VARCHAR PRIMARY KEY,      -- first 32 hex of content_sha256
    source_kind    VARCHAR NOT NULL CHECK (source_kind IN ('file', 'feed', 'url')),
    source         VARCHAR NOT NULL,
    url            VARCHAR,
    title          VARCHAR,
    published_at   TIMESTAMPTZ,
    text           VARCHAR NOT NULL,
    content_sha256 VARCHAR NOT NULL,
    language       VARCHAR,
    run_id         VARCHAR NOT NULL,
    loaded_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE events (
    event_id             VARCHAR PRIMARY KEY, -- hash of article_id and the event's content
    article_id           VARCHAR NOT NULL,
    run_id               VARCHAR NOT NULL,
    event_type           VARCHAR NOT NULL CHECK (event_type IN (
        'AGREE', 'CONSULT', 'SUPPORT', 'CONCEDE', 'COOPERATE', 'AID', 'RETREAT', 'REQUEST',
        'ACCUSE', 'REJECT', 'THREATEN', 'PROTEST', 'SANCTION', 'MOBILIZE', 'COERCE', 'ASSAULT')),
    event_mode           VARCHAR,
    cameo_code           VARCHAR,
    acled_event_type     VARCHAR CHECK (acled_event_type IN (
        'Battles', 'Explosions/Remote violence', 'Violence against civilians', 'Protests',
        'Riots', 'Strategic developments')),
    acled_sub_event_type VARCHAR CHECK (acled_sub_event_type IN (
        'Armed clash', 'Government regains territory', 'Non-state actor overtakes territory',
        'Chemical weapon', 'Air/drone strike', 'Suicide bomb', 'Shelling/artillery/missile attack',
        'Remote explosive/landmine/IED', 'Grenade', 'Sexual violence', 'Attack',
        'Abduction/forced disappearance', 'Peaceful protest', 'Protest with intervention',
        'Excessive force against protesters', 'Violent demonstration', 'Mob violence',
        'Agreement', 'Arrests', 'Change to group/activity', 'Disrupted weapons use',
        'Headquarters or base established', 'Looting/property destruction',
        'Non-violent transfer of territory', 'Other')),
    actor1               VARCHAR,
    actor1_country       VARCHAR,
    actor1_type          VARCHAR CHECK (actor1_type IN ('state_forces', 'government', 'rebel_group', 'political_militia', 'identity_militia',
        'rioters', 'protesters', 'civilians', 'external_other')),
    actor2               VARCHAR,
    actor2_country       VARCHAR,
    actor2_type          VARCHAR CHECK (actor2_type IN ('state_forces', 'government', 'rebel_group', 'political_militia', 'identity_militia',
        'rioters', 'protesters', 'civilians', 'external_other')),
    country              VARCHAR,
    admin1               VARCHAR,
    location             VARCHAR,
    latitude             DOUBLE,
    longitude            DOUBLE,
    geo_precision        VARCHAR CHECK (geo_precision IN ('point', 'admin1', 'country', 'unknown')),
    event_date           DATE,
    date_text            VARCHAR,
    date_precision       VARCHAR CHECK (date_precision IN ('day', 'month', 'year', 'relative', 'unknown')),
    fatalities           INTEGER CHECK (fatalities >= 0),
    sentence             VARCHAR,
    char_start           INTEGER,
    char_end             INTEGER,
    confidence           DOUBLE,
    extractor_version    VARCHAR NOT NULL,
    loaded_at            TIMESTAMPTZ NOT NULL
);

CREATE TABLE rejections (
    run_id      VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL CHECK (reason IN ('missing', 'unknown_extension', 'too_large',
        'unreadable', 'empty', 'binary', 'not_utf8', 'bad_metadata', 'bad_json', 'bad_html',
        'no_text', 'extract_failed')),
    detail      VARCHAR,                     -- the one-line message shown to the user
    rejected_at TIMESTAMPTZ NOT NULL
);
