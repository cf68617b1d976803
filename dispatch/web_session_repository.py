"""The SQL of page sessions (table ``web_sessions``, see :mod:`dispatch.web_sessions`)."""

from __future__ import annotations

from datetime import datetime


def insert(cur, id_hash: str, user_id: int, now: datetime, expires_at: datetime) -> None:
    cur.execute(
        "INSERT INTO web_sessions (id_hash, user_id, created_at, expires_at)"
        " VALUES (%s, %s, %s, %s)",
        (id_hash, user_id, now, expires_at),
    )


def live_user(cur, id_hash: str, now: datetime) -> dict | None:
    """The user of a session that has not ended nor expired."""
    cur.execute(
        "SELECT u.username, u.role, u.crew_id FROM web_sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.id_hash = %s AND s.ended_at IS NULL AND s.expires_at > %s",
        (id_hash, now),
    )
    return cur.fetchone()


def end(cur, id_hash: str, now: datetime) -> None:
    cur.execute(
        "UPDATE web_sessions SET ended_at = %s WHERE id_hash = %s AND ended_at IS NULL",
        (now, id_hash),
    )


def forget_old(cur, before: datetime) -> None:
    """Rows of sessions expired or ended before ``before``: nothing needs them any more."""
    cur.execute("DELETE FROM web_sessions WHERE expires_at < %s OR ended_at < %s", (before, before))
