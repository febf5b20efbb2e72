-- Lists no longer named by the operator's folder or manifest: kept with their whole history,
-- never served. A list named again leaves this table (its row is deleted).
CREATE TABLE retired_lists (
    list_id     TEXT PRIMARY KEY,
    retired_at  TEXT NOT NULL
);

-- The vessels of a version, beside `entry_count` (vessels and listed companies together), so
-- that a version's history reports the same count as the list it served.
ALTER TABLE list_versions ADD COLUMN vessel_count INTEGER;
