"""Read models for the cameras' video routes: one camera by id.

:func:`camera_by_id` takes a cursor inside the caller's transaction; :func:`read_camera` opens a
read-only connection of its own, reads and closes it at once, so a long-lived caller (an MJPEG
stream) holds no connection while it runs.

The stream URL may embed credentials: it is returned to server-side callers only and must not
be shown or sent to browsers as is.
"""

from __future__ import annotations

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
