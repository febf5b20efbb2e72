-- The store's first schema (PostgreSQL). Applied once by service/store/migrate.py inside
-- one transaction under an advisory lock; never edit after release: add 0002_... instead.

-- Every list load that parsed and validated completely. A version is immutable once stored:
-- `seq` orders publications, and the newest published version of a list is its highest `seq`.
CREATE TABLE list_versions (
    list_id        text        NOT NULL,
    version        text        NOT NULL,
    seq            bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    title          text        NOT NULL,
    source         text,
    format         text        NOT NULL,
    published_at   text,
    loaded_at      timestamptz NOT NULL,
    entry_count    integer     NOT NULL,
    files_sha256   jsonb       NOT NULL,
    PRIMARY KEY (list_id, version)
);

-- One row per vessel; `position` keeps the order the loader gave, so an instance that
-- builds its index from the store ranks ties exactly as the one that read the files.
CREATE TABLE list_entries (
    list_id    text    NOT NULL,
    version    text    NOT NULL,
    entity_id  text    NOT NULL,
    position   integer NOT NULL,
    entry      jsonb   NOT NULL,
    PRIMARY KEY (list_id, version, entity_id),
    FOREIGN KEY (list_id, version) REFERENCES list_versions (list_id, version) ON DELETE CASCADE
);

-- Loads that failed: the previous version kept serving; this says why and when.
CREATE TABLE list_load_failures (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    list_id       text        NOT NULL,
    version       text,
    failed_at     timestamptz NOT NULL,
    error         text        NOT NULL,
    files_sha256  jsonb       NOT NULL
);
CREATE INDEX list_load_failures_list ON list_load_failures (list_id, failed_at);

-- A CSV upload (or any group of screenings answered together).
CREATE TABLE jobs (
    job_id       text        PRIMARY KEY,
    caller       text,
    filename     text,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    row_count    integer,
    error        text
);

-- The audit trail. `query` and `response` are `json`, not `jsonb`: json keeps the text exactly
-- as it was sent (key order, spacing, escapes), which is what a regulator is shown.
CREATE TABLE screenings (
    screening_id   text        PRIMARY KEY,
    screened_at    timestamptz NOT NULL,
    caller         text,
    kind           text        NOT NULL CHECK (kind IN ('single', 'batch', 'csv')),
    job_id         text        REFERENCES jobs (job_id),
    job_row        integer,
    query          json        NOT NULL,
    list_versions  jsonb       NOT NULL,
    decision       text        NOT NULL,
    response       json        NOT NULL,
    CHECK (kind <> 'csv' OR (job_id IS NOT NULL AND job_row IS NOT NULL))
);
CREATE INDEX screenings_screened_at ON screenings (screened_at, screening_id);
CREATE INDEX screenings_job ON screenings (job_id, job_row) WHERE job_id IS NOT NULL;

-- Re-screening found a new or stronger match for an earlier screening. One alert per
-- (screening, list version, vessel), so re-running a re-screen adds nothing.
CREATE TABLE alerts (
    alert_id           text             PRIMARY KEY,
    created_at         timestamptz      NOT NULL,
    screening_id       text             NOT NULL REFERENCES screenings (screening_id),
    list_id            text             NOT NULL,
    version            text             NOT NULL,
    entity_id          text             NOT NULL,
    score              double precision NOT NULL,
    decision           text             NOT NULL,
    previous_decision  text,
    reason             text             NOT NULL,
    UNIQUE (screening_id, list_id, version, entity_id)
);
CREATE INDEX alerts_created_at ON alerts (created_at, alert_id);

-- Port calls. `seq` only grows and is assigned under a lock (see postgres.py), so a worker that
-- has read up to seq N takes in exactly the calls above N. The natural key, with absent IMO or
-- MMSI as '', makes a re-pushed call a no-op.
CREATE TABLE port_calls (
    seq          bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    imo          text,
    mmsi         text,
    locode       text             NOT NULL,
    port_name    text             NOT NULL,
    country      text             NOT NULL,
    arrived_at   timestamptz      NOT NULL,
    departed_at  timestamptz,
    source       text             NOT NULL,
    note         text,
    confidence   double precision
);
CREATE UNIQUE INDEX port_calls_natural_key
    ON port_calls (COALESCE(imo, ''), COALESCE(mmsi, ''), locode, arrived_at, source);
