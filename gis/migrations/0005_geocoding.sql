-- Offline geocoding over the territory's OSM addresses and street names: trigram indexes so a
-- misspelt or partial address still finds its candidates.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX buildings_address_trgm_idx ON buildings USING gin (address gin_trgm_ops)
    WHERE address IS NOT NULL;
CREATE INDEX streets_name_trgm_idx ON streets USING gin (name gin_trgm_ops)
    WHERE name IS NOT NULL;
