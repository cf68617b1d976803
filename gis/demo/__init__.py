"""A demo territory: a plausible gas network laid on real OpenStreetMap streets."""
