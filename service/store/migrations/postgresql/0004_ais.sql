-- Raw AIS as ingested: one row per file or feed batch, its positions and its static reports.
-- A file is known by the sha256 of its bytes, so ingesting the same file twice stores it once.
-- Its positions are written a chunk at a time as it is read, each chunk in a transaction of
-- its own (so a long file never holds the write lock the audit trail needs); `complete`
-- turns true in the last one, and only complete ingests are ever read.
CREATE TABLE ais_ingests (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source       text        NOT NULL,
    sha256       text        NOT NULL UNIQUE,
    ingested_at  timestamptz NOT NULL,
    positions    integer     NOT NULL,
    statics      integer     NOT NULL,
    rejected     integer     NOT NULL,
    complete     boolean NOT NULL DEFAULT false
);

-- Positions in columns, a chunk of up to 100,000 reports a row: each column is the reader's
-- numpy array as bytes (little-endian int64 mmsi and t in Unix seconds, float64 lat and lon,
-- float32 sog, cog and heading with NaN for "not available", int8 status). Positions are only
-- ever read whole, to derive events, so they are stored the way they are used: written and
-- read back without a Python object per report.
CREATE TABLE ais_chunks (
    ingest_id  bigint  NOT NULL REFERENCES ais_ingests (id),
    seq        integer NOT NULL,
    row_count  integer NOT NULL,
    mmsi       bytea NOT NULL,
    t          bytea NOT NULL,
    lat        bytea NOT NULL,
    lon        bytea NOT NULL,
    sog        bytea NOT NULL,
    cog        bytea NOT NULL,
    heading    bytea NOT NULL,
    status     bytea NOT NULL,
    PRIMARY KEY (ingest_id, seq)
);

CREATE TABLE ais_statics (
    ingest_id  bigint      NOT NULL REFERENCES ais_ingests (id),
    mmsi       text        NOT NULL,
    at         timestamptz NOT NULL,
    imo        text,
    name       text,
    call_sign  text,
    ship_type  integer,
    source     text        NOT NULL
);
