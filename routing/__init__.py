"""Road routing on OpenStreetMap graphs: pure and offline (no database inside)."""
