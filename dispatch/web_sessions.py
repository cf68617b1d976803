"""Page sessions kept in the database, so that log-out really ends one.

The session cookie (signed by Flask) carries a random session id; a request is logged in only
while the row of that id (its sha256; the id itself is not stored) is neither ended nor
expired. Log-out ends the row, so a copy of the cookie is refused afterwards by every web
process, and a session lasts ``web.session_max_age_h`` at most.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from dispatch import repository
from dispatch import web_session_repository as repo
from dispatch.unit_of_work import UnitOfWork


class SessionStore(Protocol):
    def open(self, username: str) -> str: ...
    def is_live(self, session_id: str, username: str) -> bool: ...
    def end(self, session_id: str) -> None: ...


class DatabaseSessions:
    """Sessions in ``web_sessions``, through ``uow()`` (a pooled unit of work)."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        *,
        max_age_h: float,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.uow, self.max_age = uow, timedelta(hours=max_age_h)
        self.clock = clock or (lambda: datetime.now(UTC))

    def open(self, username: str) -> str:
        """A new session of ``username`` (who has just proved the password); its id."""
        session_id, now = secrets.token_urlsafe(32), self.clock()
        with self.uow() as uow:
            user = int(repository.get_user(uow.cur, username)["id"])
            repo.forget_old(uow.cur, now - timedelta(days=7))
            repo.insert(uow.cur, _hash(session_id), user, now, now + self.max_age)
        return session_id

    def is_live(self, session_id: str, username: str) -> bool:
        with self.uow() as uow:
            user = repo.live_user(uow.cur, _hash(session_id), self.clock())
        return user is not None and user["username"] == username

    def end(self, session_id: str) -> None:
        with self.uow() as uow:
            repo.end(uow.cur, _hash(session_id), self.clock())


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()
