-- MQTT delivers GPS fixes "at least once" (QoS 1): after a broker restart or a consumer that
-- died between storing a batch and acknowledging it, the same fixes arrive again, and a phone
-- replaying its offline queue may send a fix twice. A crew is at one place at one instant, so
-- (crew, time of the fix) identifies a fix: make it unique, and ingest skips what it already
-- has (ON CONFLICT DO NOTHING). The unique index replaces the plain one on the same columns,
-- so ingest pays for no extra index.
--
-- Copies already stored go first, keeping the newest row of each: that is the one a crew's
-- latest position points to (the latest-position trigger breaks ties by the highest id).
DELETE FROM crew_positions p
USING crew_positions q
WHERE q.crew_id = p.crew_id AND q.recorded_at = p.recorded_at AND q.id > p.id;

CREATE UNIQUE INDEX crew_positions_crew_time_key ON crew_positions (crew_id, recorded_at DESC);
DROP INDEX crew_positions_crew_time_idx;
