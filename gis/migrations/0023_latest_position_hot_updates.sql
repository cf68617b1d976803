-- crew_latest_positions holds one row per crew, and every batch of GPS fixes updates the
-- row of each crew in it (at 5,000 fixes a second, every row many times a second). Its gist
-- index on geom made each update a non-HOT one: a new index entry and a dead row version per
-- update that only vacuum clears, and autovacuum comes by once a minute at best (measured:
-- 56,780 dead versions for 500 rows after 100,000 fixes, and GPS ingest falling from about
-- 5,000 to 1,400 fixes a second as they piled up). Nothing looks this table up by place
-- (every read joins it on crew_id), so the index goes; with room left in each page
-- (fillfactor 50) the updates are HOT, and old versions are pruned inside the page as it is
-- used, without waiting for vacuum.
DROP INDEX crew_latest_positions_geom_idx;
ALTER TABLE crew_latest_positions SET (
    fillfactor = 50,
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 2000
);
-- Rewrite the rows now, so the existing pages get the room too (one row per crew: instant).
CLUSTER crew_latest_positions USING crew_latest_positions_pkey;
