"""Cameras: which ones see a place (by field of view), and one camera by id for the video routes.

:func:`camera_by_id` takes a cursor inside the caller's transaction; :func:`read_camera` opens a
read-only connection of its own, reads and closes it at once, so a long-lived caller (an MJPEG
stream) holds no connection while it runs.

The stream URL may embed credentials: it is returned to server-side callers only and must not
be shown or sent to browsers as is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import psycopg2
import psycopg2.extensions

from gis.database import connect
from gis.errors import DatabaseUnavailable

CAMERA_COLUMNS = ("id", "name", "stream_url", "bearing_deg")

_CAMERA_BY_ID = "SELECT id, name, stream_url, bearing_deg FROM cameras WHERE id = %(id)s"


def camera_by_id(cur: Any, camera_id: int) -> dict[str, Any] | None:
    """Camera ``camera_id`` as ``{"id", "name", "stream_url", "bearing_deg"}`` (bearing in
    degrees clockwise from north), or ``None`` when there is no such camera.

    ``cur`` may return rows as tuples or as dicts (``RealDictCursor``); nothing is committed.
    """
    cur.execute(_CAMERA_BY_ID, {"id": int(camera_id)})
    row = cur.fetchone()
    if row is None:
        return None
    camera = dict(row) if isinstance(row, Mapping) else dict(zip(CAMERA_COLUMNS, row, strict=True))
    camera["bearing_deg"] = float(camera["bearing_deg"])
    return camera


def read_camera(dsn: str, camera_id: int) -> dict[str, Any] | None:
    """:func:`camera_by_id` on a read-only connection to ``dsn`` that is closed before returning.

    Raises :class:`~gis.errors.DatabaseUnavailable` when the database cannot be reached or the
    read fails.
    """
    conn: psycopg2.extensions.connection = connect(dsn)
    try:
        conn.set_session(readonly=True)
        with conn, conn.cursor() as cur:
            return camera_by_id(cur, camera_id)
    except psycopg2.Error as exc:
        first_line = (str(exc).strip().splitlines() or ["read failed"])[0]
        raise DatabaseUnavailable(f"camera read failed: {first_line}") from exc
    finally:
        conn.close()


def cameras_for(cur, lon: float, lat: float, *, limit: int = 4) -> list[dict]:
    """Cameras whose field of view (position, bearing, angle, range) covers the point, nearest
    first; then the nearest other cameras, to fill ``limit``."""
    cur.execute(
        "SELECT id, name, stream_url, bearing_deg, fov_deg, range_m,"
        " ST_Distance(geom::geography, p::geography),"
        " degrees(ST_Azimuth(geom, p)) FROM cameras,"
        " (SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326) AS p) q"
        " ORDER BY geom <-> p LIMIT 50",
        (lon, lat),
    )
    ranked = []
    for row in cur.fetchall():
        cam_id, name, url, bearing, fov, rng, dist, azimuth = _values(row)
        seen = dist < 1 or covers(bearing, fov, rng, azimuth or 0.0, dist)
        ranked.append(
            {
                "id": cam_id,
                "name": name,
                "stream_url": url,
                "distance_m": round(dist, 1),
                "covers": bool(seen),
            }
        )
    ranked.sort(key=lambda c: (not c["covers"], c["distance_m"]))
    return ranked[:limit]


def _angle_between(a: float, b: float) -> float:
    """Smallest angle between two bearings, degrees."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def covers(
    camera_bearing: float, fov: float, range_m: float, azimuth: float, distance_m: float
) -> bool:
    """Whether a camera pointing at ``camera_bearing`` with an opening of ``fov`` degrees and a
    reach of ``range_m`` sees a point at ``azimuth`` degrees and ``distance_m`` metres."""
    if not (math.isfinite(distance_m) and distance_m >= 0):
        raise ValueError("`distance_m` must be a non-negative number")
    return distance_m <= range_m and _angle_between(azimuth, camera_bearing) <= fov / 2


def _values(row):
    """Row values whether the cursor returns tuples or dicts."""
    return tuple(row.values()) if isinstance(row, dict) else row
