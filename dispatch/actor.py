"""Who is acting: the logged-in user, or a system actor such as the ticker, as the services see
them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    crew_id: int | None = None
