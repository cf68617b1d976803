-- GPS fixes arrive in batches of hundreds (one multi-row insert per batch): keep each crew's
-- latest position once per statement, from the statement's new rows, instead of once per row.
DROP TRIGGER crew_positions_keep_latest ON crew_positions;

CREATE FUNCTION crew_positions_keep_latest_of_batch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO crew_latest_positions AS l
        (crew_id, position_id, recorded_at, speed_mps, heading_deg, geom)
    SELECT DISTINCT ON (crew_id) crew_id, id, recorded_at, speed_mps, heading_deg, geom
    FROM new_fixes ORDER BY crew_id, recorded_at DESC, id DESC
    ON CONFLICT (crew_id) DO UPDATE
        SET position_id = EXCLUDED.position_id, recorded_at = EXCLUDED.recorded_at,
            speed_mps = EXCLUDED.speed_mps, heading_deg = EXCLUDED.heading_deg, geom = EXCLUDED.geom
        WHERE l.recorded_at <= EXCLUDED.recorded_at;  -- a late, older fix does not win
    RETURN NULL;
END $$;

CREATE TRIGGER crew_positions_keep_latest AFTER INSERT ON crew_positions
    REFERENCING NEW TABLE AS new_fixes
    FOR EACH STATEMENT EXECUTE FUNCTION crew_positions_keep_latest_of_batch();
