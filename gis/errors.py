"""Errors raised by gis/.

GisError
 ├── DatabaseUnavailable (ConnectionError)   no server answers, or it refuses us
 │    └── DatabaseBusy                       every connection of the pool stayed in use
 ├── MigrationError (RuntimeError)           a migration failed or was edited after it ran
 └── OsmDataError (ValueError)               a missing, corrupt or unusable OSM extract
"""


class GisError(Exception):
    """Base of every error raised by gis/."""


class DatabaseUnavailable(GisError, ConnectionError):
    """The database cannot be reached or prepared."""


class DatabaseBusy(DatabaseUnavailable):
    """Every connection of the pool stayed in use for the whole wait: try again shortly."""


class MigrationError(GisError, RuntimeError):
    """A schema migration failed or no longer matches what was applied."""


class OsmDataError(GisError, ValueError):
    """An OpenStreetMap extract that cannot be used."""
