"""Names of places for people to read: the nearest address of a point and the street a point
lies on, from the territory's OSM buildings and streets (offline, nearest first by the GiST
index). ``cur`` returns rows as dicts. Coordinates EPSG:4326; distances in metres.
"""

from __future__ import annotations

#: A building or street farther than this from the point is not taken as its address.
ADDRESS_RADIUS_M = 250.0


def nearest_address(cur, lon: float, lat: float, *, radius_m: float = ADDRESS_RADIUS_M):
    """The address of the nearest building that has one, else the name of the nearest named
    street, within ``radius_m``; ``None`` when neither is that close."""
    cur.execute(
        """
        WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
        SELECT address FROM (
            (SELECT b.address, ST_Distance(b.geom::geography, p.g::geography) AS d, 0 AS rank
             FROM buildings b, p WHERE b.address IS NOT NULL
             ORDER BY b.geom <-> p.g LIMIT 1)
            UNION ALL
            (SELECT s.name, ST_Distance(s.geom::geography, p.g::geography), 1
             FROM streets s, p WHERE s.name IS NOT NULL
             ORDER BY s.geom <-> p.g LIMIT 1)
        ) near WHERE d <= %(r)s ORDER BY rank LIMIT 1
        """,
        {"lon": float(lon), "lat": float(lat), "r": float(radius_m)},
    )
    row = cur.fetchone()
    return None if row is None else row["address"]


def street_of(cur, lon: float, lat: float, *, radius_m: float = ADDRESS_RADIUS_M):
    """The name of the nearest named street within ``radius_m`` of the point, or ``None``."""
    cur.execute(
        """
        WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
        SELECT s.name, ST_Distance(s.geom::geography, p.g::geography) AS d
        FROM streets s, p WHERE s.name IS NOT NULL ORDER BY s.geom <-> p.g LIMIT 1
        """,
        {"lon": float(lon), "lat": float(lat)},
    )
    row = cur.fetchone()
    return None if row is None or row["d"] > radius_m else row["name"]
