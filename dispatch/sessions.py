"""Log-in for the web pages: checking a password and the key that signs session cookies."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from dispatch import auth
from dispatch.actor import Actor
from dispatch.settings import current
from dispatch.unit_of_work import UnitOfWork


def verify_login(dsn: str, username: str, password: str, *, client: str) -> Actor:
    """The user with this password, or :class:`Unauthenticated` (same answer for both
    unknown user and wrong password), or :class:`TooManyAttempts` while throttled: the same
    rules as the API's log-in (:func:`dispatch.auth.authenticate`)."""
    with UnitOfWork(dsn) as uow:
        user = auth.authenticate(
            uow,
            username,
            password,
            datetime.now(UTC),
            client=client,
            throttle=auth.LoginThrottle.from_settings(current().web),
        )
    return Actor(user["username"], user["role"], user["crew_id"])


def secret_key(var_dir: Path) -> str:
    """``DISPATCH_SECRET_KEY``, else a random key kept in ``var_dir`` so that sessions outlive
    a restart of the server."""
    if os.environ.get("DISPATCH_SECRET_KEY"):
        return os.environ["DISPATCH_SECRET_KEY"]
    path = var_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
