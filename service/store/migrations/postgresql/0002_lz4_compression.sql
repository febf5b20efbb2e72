-- Large stored values are compressed with lz4 instead of pglz. A recorded answer above about
-- 2 KB (one with matches and port calls) is compressed by the server inside the commit that
-- every answer waits for, and pglz was the largest single item of the server's own CPU for
-- recording a screening; lz4 does the same job in a fraction of the time, for slightly larger
-- values. Only values stored from now on are affected; reading is the same for both.
-- SET COMPRESSION needs PostgreSQL 14; a server older than that, or built without lz4, keeps
-- pglz, and the service works the same on it.
DO $$
BEGIN
    IF current_setting('server_version_num')::integer >= 140000 THEN
        EXECUTE 'ALTER TABLE screenings ALTER COLUMN response SET COMPRESSION lz4';
        EXECUTE 'ALTER TABLE list_entries ALTER COLUMN entry SET COMPRESSION lz4';
    END IF;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this server has no lz4: stored values stay compressed with pglz';
END
$$;
