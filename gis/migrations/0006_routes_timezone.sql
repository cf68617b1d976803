-- The road route a crew was sent on (drawn on the wall screen while it drives), and the
-- territory's time zone (the wall screen shows times in it).
ALTER TABLE assignments ADD COLUMN route geometry(LineString, 4326)
    CHECK (route IS NULL OR ST_IsValid(route));
ALTER TABLE territory ADD COLUMN timezone text NOT NULL DEFAULT 'UTC';
