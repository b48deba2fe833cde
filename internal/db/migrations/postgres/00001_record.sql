-- The record: situations, parties, incidents with their acts, sources, and the
-- revision history every write appends to. Instants are stored as fixed-width
-- UTC text on both engines so the storage code has one path.

-- +goose Up
CREATE TABLE situations (
    id             TEXT COLLATE "C" PRIMARY KEY,
    name           TEXT NOT NULL,
    country_code   TEXT NOT NULL DEFAULT '',
    on_sc_agenda   BOOLEAN NOT NULL DEFAULT FALSE,
    conflict_class TEXT NOT NULL,
    setting        TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    version        INTEGER NOT NULL,
    created_at     TEXT COLLATE "C" NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     TEXT COLLATE "C" NOT NULL,
    updated_by     TEXT NOT NULL
);
CREATE UNIQUE INDEX situations_name ON situations (name);

CREATE TABLE parties (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT NOT NULL,
    abbreviation TEXT NOT NULL DEFAULT '',
    type         TEXT NOT NULL,
    parent_id    TEXT COLLATE "C" REFERENCES parties (id),
    country_code TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    search       TSVECTOR NOT NULL DEFAULT ''::tsvector,
    version      INTEGER NOT NULL,
    created_at   TEXT COLLATE "C" NOT NULL,
    created_by   TEXT NOT NULL,
    updated_at   TEXT COLLATE "C" NOT NULL,
    updated_by   TEXT NOT NULL
);
CREATE INDEX parties_parent ON parties (parent_id);
CREATE INDEX parties_name ON parties (name);
CREATE INDEX parties_search ON parties USING GIN (search);

CREATE TABLE party_names (
    party_id TEXT COLLATE "C" NOT NULL REFERENCES parties (id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    lang     TEXT NOT NULL,
    name     TEXT NOT NULL,
    alias    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (party_id, seq)
);

CREATE TABLE sources (
    id              TEXT COLLATE "C" PRIMARY KEY,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    organisation    TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    document_symbol TEXT NOT NULL DEFAULT '',
    published_on    TEXT NOT NULL DEFAULT '',
    language        TEXT NOT NULL DEFAULT '',
    reliability     TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    version         INTEGER NOT NULL,
    created_at      TEXT COLLATE "C" NOT NULL,
    created_by      TEXT NOT NULL,
    updated_at      TEXT COLLATE "C" NOT NULL,
    updated_by      TEXT NOT NULL
);
CREATE INDEX sources_published ON sources (published_on);

CREATE TABLE incidents (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    title              TEXT NOT NULL,
    summary            TEXT NOT NULL DEFAULT '',
    situation_id       TEXT COLLATE "C" REFERENCES situations (id),
    place_name         TEXT NOT NULL DEFAULT '',
    place_admin_area   TEXT NOT NULL DEFAULT '',
    place_country      TEXT NOT NULL DEFAULT '',
    latitude           DOUBLE PRECISION,
    longitude          DOUBLE PRECISION,
    location_precision TEXT NOT NULL DEFAULT '',
    date_start         TEXT COLLATE "C" NOT NULL DEFAULT '',
    date_end           TEXT COLLATE "C" NOT NULL DEFAULT '',
    date_precision     TEXT NOT NULL DEFAULT '',
    context            TEXT NOT NULL,
    status             TEXT NOT NULL,
    search             TSVECTOR NOT NULL DEFAULT ''::tsvector,
    version            INTEGER NOT NULL,
    created_at         TEXT COLLATE "C" NOT NULL,
    created_by         TEXT NOT NULL,
    updated_at         TEXT COLLATE "C" NOT NULL,
    updated_by         TEXT NOT NULL
);
CREATE INDEX incidents_date ON incidents (date_start, id);
CREATE INDEX incidents_updated ON incidents (updated_at, id);
CREATE INDEX incidents_title ON incidents (title, id);
CREATE INDEX incidents_situation_date ON incidents (situation_id, date_start, id);
CREATE INDEX incidents_status_date ON incidents (status, date_start, id);
CREATE INDEX incidents_search ON incidents USING GIN (search);

CREATE TABLE acts (
    id               TEXT COLLATE "C" PRIMARY KEY,
    incident_id      TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,
    violation_type   TEXT NOT NULL,
    tags             TEXT NOT NULL DEFAULT '',
    victim_code      TEXT NOT NULL DEFAULT '',
    victim_sex       TEXT NOT NULL,
    victim_age_group TEXT NOT NULL,
    victim_status    TEXT NOT NULL,
    victim_count     INTEGER NOT NULL DEFAULT 1,
    description      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX acts_incident ON acts (incident_id, seq);
CREATE INDEX acts_violation ON acts (violation_type, incident_id);
CREATE INDEX acts_age_group ON acts (victim_age_group, incident_id);

CREATE TABLE act_perpetrators (
    act_id      TEXT COLLATE "C" NOT NULL REFERENCES acts (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    party_id    TEXT COLLATE "C" REFERENCES parties (id),
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (act_id, seq)
);
CREATE INDEX act_perpetrators_party ON act_perpetrators (party_id, act_id);

CREATE TABLE information_links (
    id          TEXT COLLATE "C" PRIMARY KEY,
    incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    source_id   TEXT COLLATE "C" NOT NULL REFERENCES sources (id),
    act_id      TEXT COLLATE "C",
    connection  TEXT NOT NULL,
    reliability TEXT NOT NULL,
    reference   TEXT NOT NULL DEFAULT '',
    notes       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX information_links_incident ON information_links (incident_id, seq);
CREATE INDEX information_links_source ON information_links (source_id);

CREATE TABLE revisions (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind      TEXT NOT NULL,
    record_id TEXT COLLATE "C" NOT NULL,
    version   INTEGER NOT NULL,
    action    TEXT NOT NULL,
    actor     TEXT NOT NULL,
    at        TEXT COLLATE "C" NOT NULL,
    -- The record as it stood at this version, written when a newer version
    -- supersedes it; the current version is the record in its tables.
    snapshot  TEXT
);
CREATE UNIQUE INDEX revisions_record ON revisions (kind, record_id, version);

-- +goose Down
DROP TABLE revisions;
DROP TABLE information_links;
DROP TABLE act_perpetrators;
DROP TABLE acts;
DROP TABLE incidents;
DROP TABLE sources;
DROP TABLE party_names;
DROP TABLE parties;
DROP TABLE situations;
