"""Cameras: which ones see a place (by field of view), and one camera by id for the video routes.

:func:`camera_by_id` takes a cursor inside the caller's transaction; :func:`read_camera` opens a
read-only connection of its own, reads and closes it at once, so a long-lived caller (an MJPEG
stream) holds no connection while it runs.

The stream URL may embed credentials: it is returned to server-side callers only and must not
be shown or sent to browsers as is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

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


# --- real sources (migration 0021) -----------------------------------------------------------
#
# A camera with a ``source_url`` is relayed by the server; its ``stream_url`` is then the app's
# own relay path, so browsers never see the source. ``credentials_ref`` names where the
# credentials are kept on the server; no credentials are ever stored here.

SOURCE_KINDS = ("rtsp", "mjpeg", "hls")


def classify_source_url(url: str) -> str:
    """``rtsp``, ``hls`` (an ``.m3u8`` playlist) or ``mjpeg`` (another http(s) URL). Raises
    ``ValueError`` for another scheme or a URL holding a user name or password."""
    parts = urlsplit(url.strip())
    if "@" in parts.netloc:
        raise ValueError("must not hold credentials (give credentials_ref: env:VAR or file:name)")
    if parts.scheme in ("rtsp", "rtsps") and parts.hostname:
        return "rtsp"
    if parts.scheme in ("http", "https") and parts.hostname:
        return "hls" if parts.path.lower().endswith(".m3u8") else "mjpeg"
    raise ValueError("must be an rtsp://, http(s):// MJPEG or HLS (.m3u8) URL")


def check_credentials_ref(ref: str | None) -> str | None:
    """``env:VAR`` or ``file:name`` (or nothing); raises ``ValueError`` otherwise."""
    if ref is None or str(ref).strip() == "":
        return None
    if not re.fullmatch(r"(env|file):[A-Za-z0-9_.-]+", str(ref).strip()):
        raise ValueError("must be env:VAR or file:name")
    return str(ref).strip()


def relay_path(camera_id: int) -> str:
    """The app's own MJPEG path of a camera (what a tile's ``<img>`` opens)."""
    return f"/video/cameras/{int(camera_id)}.mjpg"


def still_path(still_id: int) -> str:
    """The app's path of a still kept with a ticket."""
    return f"/video/stills/{int(still_id)}.jpg"


def set_source(
    cur, camera_id: int, source_url: str | None, credentials_ref: str | None = None
) -> bool:
    """Give camera ``camera_id`` a real source (checked; ``None`` returns it to the generated
    feed). Returns whether the camera exists."""
    kind = classify_source_url(source_url) if source_url else None
    cur.execute(
        "UPDATE cameras SET source_url = %(url)s, source_kind = %(kind)s,"
        " credentials_ref = %(ref)s, stream_url = %(path)s, signal_at = NULL WHERE id = %(id)s",
        {
            "id": int(camera_id),
            "url": source_url.strip() if source_url else None,
            "kind": kind,
            "ref": check_credentials_ref(credentials_ref) if source_url else None,
            "path": relay_path(camera_id),
        },
    )
    return cur.rowcount == 1


_SOURCE_COLUMNS = ("id", "source_url", "source_kind", "credentials_ref", "regulator_station_id")


def read_source(dsn: str, camera_id: int) -> dict[str, Any] | None:
    """Camera ``camera_id``'s source (``None`` when the camera does not exist), on a
    connection closed before returning: ``{"id", "source_url", "source_kind",
    "credentials_ref", "regulator_station_id"}`` (``source_url`` ``None``: the demo feed)."""
    conn = connect(dsn)
    try:
        conn.set_session(readonly=True)
        with conn, conn.cursor() as cur:
            cur.execute(
                f"SELECT {', '.join(_SOURCE_COLUMNS)} FROM cameras WHERE id = %s",
                (int(camera_id),),
            )
            row = cur.fetchone()
    except psycopg2.Error as exc:
        first_line = (str(exc).strip().splitlines() or ["read failed"])[0]
        raise DatabaseUnavailable(f"camera read failed: {first_line}") from exc
    finally:
        conn.close()
    if row is None:
        return None
    return dict(row) if isinstance(row, Mapping) else dict(zip(_SOURCE_COLUMNS, row, strict=True))


def record_signal(dsn: str, camera_id: int, at: datetime) -> None:
    """A relay saw a frame of the camera at ``at`` (written at most every few seconds)."""
    conn = connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "UPDATE cameras SET signal_at = greatest(signal_at, %s) WHERE id = %s",
                (at, int(camera_id)),
            )
    except psycopg2.Error as exc:
        raise DatabaseUnavailable(f"camera signal not recorded: {exc}") from exc
    finally:
        conn.close()


def station_cameras(cur) -> list[dict]:
    """Cameras at a regulator station with a real source, and their open signal alarm."""
    cur.execute(
        "SELECT c.id, c.name, c.source_url, c.source_kind, c.credentials_ref, c.signal_at,"
        " c.checked_at, c.dark_since, a.id AS alarm_id FROM cameras c"
        " LEFT JOIN camera_signal_alarms a ON a.camera_id = c.id AND a.cleared_at IS NULL"
        " WHERE c.regulator_station_id IS NOT NULL AND c.source_url IS NOT NULL ORDER BY c.id"
    )
    return [_as_dict(cur, row) for row in cur.fetchall()]


def mark_checked(cur, camera_id: int, at: datetime, *, signal: bool) -> None:
    cur.execute(
        "UPDATE cameras SET checked_at = %(at)s,"
        " signal_at = CASE WHEN %(signal)s THEN greatest(signal_at, %(at)s) ELSE signal_at END,"
        " dark_since = CASE WHEN %(signal)s THEN NULL ELSE coalesce(dark_since, %(at)s) END"
        " WHERE id = %(id)s",
        {"at": at, "signal": signal, "id": int(camera_id)},
    )


def raise_signal_alarm(cur, camera_id: int, lost_since: datetime | None, at: datetime) -> bool:
    """Open camera ``camera_id``'s no-signal alarm and announce it (outbox topic ``camera``);
    ``False`` when one is open already."""
    cur.execute(
        "WITH a AS (INSERT INTO camera_signal_alarms (camera_id, lost_since, raised_at)"
        " VALUES (%(id)s, %(since)s, %(at)s) ON CONFLICT DO NOTHING RETURNING id)"
        " INSERT INTO outbox (at, topic, kind, data) SELECT %(at)s, 'camera',"
        " 'camera_no_signal', jsonb_build_object('camera_id', %(id)s) FROM a",
        {"id": int(camera_id), "since": lost_since, "at": at},
    )
    return cur.rowcount == 1


def clear_signal_alarm(cur, camera_id: int, at: datetime) -> bool:
    cur.execute(
        "WITH a AS (UPDATE camera_signal_alarms SET cleared_at = %(at)s"
        " WHERE camera_id = %(id)s AND cleared_at IS NULL RETURNING id)"
        " INSERT INTO outbox (at, topic, kind, data) SELECT %(at)s, 'camera',"
        " 'camera_signal_back', jsonb_build_object('camera_id', %(id)s) FROM a",
        {"id": int(camera_id), "at": at},
    )
    return cur.rowcount == 1


def open_signal_alarms(cur) -> list[dict]:
    """The open no-signal alarms: ``{"id", "camera_id", "name", "lost_since", "raised_at"}``."""
    cur.execute(
        "SELECT a.id, a.camera_id, c.name, a.lost_since, a.raised_at"
        " FROM camera_signal_alarms a JOIN cameras c ON c.id = a.camera_id"
        " WHERE a.cleared_at IS NULL ORDER BY a.raised_at, a.id"
    )
    return [_as_dict(cur, row) for row in cur.fetchall()]


# --- stills kept with emergency tickets --------------------------------------------------------


def emergencies_without_stills(cur, since: datetime, *, limit: int = 20) -> list[dict]:
    """Emergency tickets received since ``since`` whose stills were not yet looked for."""
    cur.execute(
        "SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM tickets"
        " WHERE category = 'emergency' AND stills_checked_at IS NULL AND geom IS NOT NULL"
        " AND received_at >= %s ORDER BY received_at LIMIT %s",
        (since, limit),
    )
    return [_as_dict(cur, row) for row in cur.fetchall()]


def covering_sources(cur, lon: float, lat: float) -> list[dict]:
    """The cameras with a real source that see the point (by field of view)."""
    seen = [c["id"] for c in cameras_for(cur, lon, lat, limit=50) if c["covers"]]
    if not seen:
        return []
    cur.execute(
        "SELECT id, name, source_url, source_kind, credentials_ref FROM cameras"
        " WHERE id = ANY(%s) AND source_url IS NOT NULL ORDER BY id",
        (seen,),
    )
    return [_as_dict(cur, row) for row in cur.fetchall()]


def mark_stills_checked(cur, ticket_id: int, at: datetime) -> bool:
    """Claim the ticket's stills (``False``: another process did already)."""
    cur.execute(
        "UPDATE tickets SET stills_checked_at = %s WHERE id = %s AND stills_checked_at IS NULL",
        (at, int(ticket_id)),
    )
    return cur.rowcount == 1


def insert_still(cur, ticket_id: int, camera_id: int, taken_at: datetime, jpeg: bytes) -> int:
    cur.execute(
        "INSERT INTO camera_stills (ticket_id, camera_id, taken_at, image)"
        " VALUES (%s, %s, %s, %s) RETURNING id",
        (int(ticket_id), int(camera_id), taken_at, psycopg2.Binary(jpeg)),
    )
    row = cur.fetchone()
    return int(row["id"] if isinstance(row, Mapping) else row[0])


def read_still(dsn: str, still_id: int) -> bytes | None:
    """The JPEG of still ``still_id``, or ``None``; the connection is closed on return."""
    conn = connect(dsn)
    try:
        conn.set_session(readonly=True)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT image FROM camera_stills WHERE id = %s", (int(still_id),))
            row = cur.fetchone()
    except psycopg2.Error as exc:
        raise DatabaseUnavailable(f"still read failed: {exc}") from exc
    finally:
        conn.close()
    return None if row is None else bytes(row[0] if not isinstance(row, Mapping) else row["image"])


def _as_dict(cur, row) -> dict:
    if isinstance(row, Mapping):
        return dict(row)
    return {d[0]: v for d, v in zip(cur.description, row, strict=True)}


def list_sources(cur) -> list[dict]:
    """Every camera with its source kind and URL (never credentials) and last signal."""
    cur.execute(
        "SELECT id, name, source_kind, source_url, credentials_ref, regulator_station_id,"
        " signal_at FROM cameras ORDER BY id"
    )
    return [_as_dict(cur, row) for row in cur.fetchall()]
