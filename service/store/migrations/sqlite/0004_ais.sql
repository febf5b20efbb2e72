-- Raw AIS as ingested: one row per file or feed batch, its positions and its static reports.
-- A file is known by the sha256 of its bytes, so ingesting the same file twice stores it once.
-- Its positions are written a chunk at a time as it is read, each chunk in a transaction of
-- its own (so a long file never holds the write lock the audit trail needs); `complete`
-- turns true in the last one, and only complete ingests are ever read.
CREATE TABLE ais_ingests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source       TEXT    NOT NULL,
    sha256       TEXT    NOT NULL UNIQUE,
    ingested_at  TEXT    NOT NULL,
    positions    INTEGER NOT NULL,
    statics      INTEGER NOT NULL,
    rejected     INTEGER NOT NULL,
    complete     INTEGER NOT NULL DEFAULT 0
);

-- Positions in columns, a chunk of up to 100,000 reports a row: each column is the reader's
-- numpy array as bytes (little-endian int64 mmsi and t in Unix seconds, float64 lat and lon,
-- float32 sog, cog and heading with NaN for "not available", int8 status). Positions are only
-- ever read whole, to derive events, so they are stored the way they are used: written and
-- read back without a Python object per report.
CREATE TABLE ais_chunks (
    ingest_id  INTEGER NOT NULL REFERENCES ais_ingests (id),
    seq        INTEGER NOT NULL,
    row_count  INTEGER NOT NULL,
    mmsi       BLOB NOT NULL,
    t          BLOB NOT NULL,
    lat        BLOB NOT NULL,
    lon        BLOB NOT NULL,
    sog        BLOB NOT NULL,
    cog        BLOB NOT NULL,
    heading    BLOB NOT NULL,
    status     BLOB NOT NULL,
    PRIMARY KEY (ingest_id, seq)
);

CREATE TABLE ais_statics (
    ingest_id  INTEGER NOT NULL REFERENCES ais_ingests (id),
    mmsi       TEXT    NOT NULL,
    at         TEXT    NOT NULL,
    imo        TEXT,
    name       TEXT,
    call_sign  TEXT,
    ship_type  INTEGER,
    source     TEXT    NOT NULL
);
