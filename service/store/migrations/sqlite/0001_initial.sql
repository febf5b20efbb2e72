-- The store's first schema (SQLite); the same tables as postgresql/0001_initial.sql. Applied
-- once by service/store/migrate.py inside one BEGIN IMMEDIATE transaction; never edit after
-- release: add 0002_... instead.
--
-- Times are TEXT in one fixed UTC form (2026-01-31T12:00:00.000000+00:00), so comparing the
-- text compares the times. JSON is TEXT checked by json_valid() and kept exactly as sent.

CREATE TABLE list_versions (
    list_id        TEXT    NOT NULL,
    version        TEXT    NOT NULL,
    seq            INTEGER NOT NULL UNIQUE,
    title          TEXT    NOT NULL,
    source         TEXT,
    format         TEXT    NOT NULL,
    published_at   TEXT,
    loaded_at      TEXT    NOT NULL,
    entry_count    INTEGER NOT NULL,
    files_sha256   TEXT    NOT NULL CHECK (json_valid(files_sha256)),
    PRIMARY KEY (list_id, version)
);

-- One row per vessel; `position` keeps the order the loader gave, so an instance that
-- builds its index from the store ranks ties exactly as the one that read the files.
CREATE TABLE list_entries (
    list_id    TEXT    NOT NULL,
    version    TEXT    NOT NULL,
    entity_id  TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    entry      TEXT    NOT NULL CHECK (json_valid(entry)),
    PRIMARY KEY (list_id, version, entity_id),
    FOREIGN KEY (list_id, version) REFERENCES list_versions (list_id, version) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE list_load_failures (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    list_id       TEXT    NOT NULL,
    version       TEXT,
    failed_at     TEXT    NOT NULL,
    error         TEXT    NOT NULL,
    files_sha256  TEXT    NOT NULL CHECK (json_valid(files_sha256))
);
CREATE INDEX list_load_failures_list ON list_load_failures (list_id, failed_at);

CREATE TABLE jobs (
    job_id       TEXT    PRIMARY KEY,
    caller       TEXT,
    filename     TEXT,
    started_at   TEXT    NOT NULL,
    finished_at  TEXT,
    row_count    INTEGER,
    error        TEXT
);

CREATE TABLE screenings (
    screening_id   TEXT    PRIMARY KEY,
    screened_at    TEXT    NOT NULL,
    caller         TEXT,
    kind           TEXT    NOT NULL CHECK (kind IN ('single', 'batch', 'csv')),
    job_id         TEXT    REFERENCES jobs (job_id),
    job_row        INTEGER,
    query          TEXT    NOT NULL CHECK (json_valid(query)),
    list_versions  TEXT    NOT NULL CHECK (json_valid(list_versions)),
    decision       TEXT    NOT NULL,
    response       TEXT    NOT NULL CHECK (json_valid(response)),
    CHECK (kind <> 'csv' OR (job_id IS NOT NULL AND job_row IS NOT NULL))
);
CREATE INDEX screenings_screened_at ON screenings (screened_at, screening_id);
CREATE INDEX screenings_job ON screenings (job_id, job_row) WHERE job_id IS NOT NULL;

CREATE TABLE alerts (
    alert_id           TEXT    PRIMARY KEY,
    created_at         TEXT    NOT NULL,
    screening_id       TEXT    NOT NULL REFERENCES screenings (screening_id),
    list_id            TEXT    NOT NULL,
    version            TEXT    NOT NULL,
    entity_id          TEXT    NOT NULL,
    score              REAL    NOT NULL,
    decision           TEXT    NOT NULL,
    previous_decision  TEXT,
    reason             TEXT    NOT NULL,
    UNIQUE (screening_id, list_id, version, entity_id)
);
CREATE INDEX alerts_created_at ON alerts (created_at, alert_id);

-- AUTOINCREMENT: a seq is never reused, even after the newest row is deleted, so a worker that
-- has read up to seq N never misses a later call. Writes are serialised by BEGIN IMMEDIATE.
CREATE TABLE port_calls (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    imo          TEXT,
    mmsi         TEXT,
    locode       TEXT    NOT NULL,
    port_name    TEXT    NOT NULL,
    country      TEXT    NOT NULL,
    arrived_at   TEXT    NOT NULL,
    departed_at  TEXT,
    source       TEXT    NOT NULL,
    note         TEXT,
    confidence   REAL
);
CREATE UNIQUE INDEX port_calls_natural_key
    ON port_calls (COALESCE(imo, ''), COALESCE(mmsi, ''), locode, arrived_at, source);
