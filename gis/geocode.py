"""Offline geocoding: addresses and street names of the loaded territory, matched fuzzily.

Candidates come from OSM building addresses (``addr:street`` + ``addr:housenumber``) and street
names, ranked by trigram similarity (0..1). Nothing leaves the machine. Coordinates EPSG:4326.
"""

from __future__ import annotations

#: Candidates scoring below this are not offered at all.
MIN_SIMILARITY = 0.25


def search_addresses(cur, query: str, *, limit: int = 5) -> list[dict]:
    """Best candidates for ``query``: dicts with ``address``, ``lon``, ``lat``, ``score``
    (trigram similarity, 1.0 = identical) and ``source`` (``building`` or ``street``).
    ``cur`` must return rows as dicts (RealDictCursor)."""
    query = " ".join(str(query).split())
    if not query:
        return []
    cur.execute(
        "SELECT set_config('pg_trgm.similarity_threshold', %s, true)", (str(MIN_SIMILARITY),)
    )
    cur.execute(
        """
        SELECT address, lon, lat, score, source FROM (
            SELECT DISTINCT ON (lower(address)) address,
                   ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat,
                   similarity(address, %(q)s) AS score, 'building' AS source
            FROM buildings WHERE address IS NOT NULL AND address %% %(q)s
            ORDER BY lower(address), similarity(address, %(q)s) DESC
        ) b
        UNION ALL
        SELECT name, ST_X(mid), ST_Y(mid), score, 'street' FROM (
            SELECT DISTINCT ON (lower(name)) name,
                   ST_LineInterpolatePoint(geom, 0.5) AS mid,
                   similarity(name, %(q)s) AS score
            FROM streets WHERE name IS NOT NULL AND name %% %(q)s
            ORDER BY lower(name), length_m DESC
        ) s
        ORDER BY score DESC, source, address
        LIMIT %(limit)s
        """,
        {"q": query, "limit": int(limit)},
    )
    return [
        {
            "address": r["address"],
            "lon": round(float(r["lon"]), 7),
            "lat": round(float(r["lat"]), 7),
            "score": round(float(r["score"]), 3),
            "source": r["source"],
        }
        for r in cur.fetchall()
    ]


def best_match(candidates: list[dict], *, min_score: float = 0.75,
               margin: float = 0.1) -> dict | None:  # fmt: skip
    """The one candidate to use without asking: scoring at least ``min_score`` and ahead of the
    next by ``margin``; otherwise None (the caller shows the candidates instead of guessing)."""
    if not candidates or candidates[0]["score"] < min_score:
        return None
    if len(candidates) > 1 and candidates[0]["score"] - candidates[1]["score"] < margin:
        return None
    return candidates[0]


#: How far the reverse geocoder looks for a building's address, then for a street (metres).
NEAREST_BUILDING_M = 100.0
NEAREST_STREET_M = 250.0


def nearest_address(cur, lon: float, lat: float) -> str | None:
    """The address nearest to a point (reverse geocoding): the closest building's address
    within :data:`NEAREST_BUILDING_M`, else the name of the closest named street
    within :data:`NEAREST_STREET_M`, else None. Offline, like :func:`search_addresses`."""
    point = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)"
    for sql, radius, label in (
        (
            f"SELECT address AS name FROM buildings WHERE address IS NOT NULL"
            f" AND ST_DWithin(geom::geography, {point}::geography, %(r)s)"
            f" ORDER BY geom <-> {point} LIMIT 1",
            NEAREST_BUILDING_M,
            "{}",
        ),
        (
            f"SELECT name FROM streets WHERE name IS NOT NULL"
            f" AND ST_DWithin(geom::geography, {point}::geography, %(r)s)"
            f" ORDER BY geom <-> {point} LIMIT 1",
            NEAREST_STREET_M,
            "{}",
        ),
    ):
        cur.execute(sql, {"lon": lon, "lat": lat, "r": radius})
        row = cur.fetchone()
        if row is not None:
            return label.format(row["name"])
    return None
