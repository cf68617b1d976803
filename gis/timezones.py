"""The time zone of a territory, offline: the zone configured for it, else a few boxes around
the regions the product is shown on, else UTC. (A full zone lookup needs a boundary database;
these boxes cover the demo extracts and the utility's own country.)"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# (west, south, east, north) in degrees -> IANA zone; first match wins.
ZONE_BOXES = (
    ((19.0, 59.0, 32.0, 70.5), "Europe/Helsinki"),
    ((9.45, 47.04, 9.65, 47.28), "Europe/Vaduz"),
    ((73.0, 18.0, 135.5, 53.6), "Asia/Shanghai"),
    ((7.40, 43.72, 7.45, 43.76), "Europe/Monaco"),
)


def territory_timezone(lon: float, lat: float, configured: str | None = None) -> str:
    """The IANA zone name for a territory centred at (lon, lat), EPSG:4326; ``configured``
    (the ``territory.timezone`` setting), when given, wins."""
    if configured:
        try:
            ZoneInfo(configured)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"`timezone`: unknown time zone {configured!r}"
            raise ValueError(msg) from None
        return configured
    for (west, south, east, north), zone in ZONE_BOXES:
        if west <= lon <= east and south <= lat <= north:
            return zone
    return "UTC"
