"""Where the most is going on: the open ticket with the most other open tickets around it, so
the wall's video shows that area when no incident is selected. Pure."""

from __future__ import annotations

from dispatch.display_names import distance_m
from gis.cameras import cameras_for

#: Tickets closer than this to each other count as one area.
AREA_RADIUS_M = 500.0


def busiest_point(tickets: list[dict], radius_m: float = AREA_RADIUS_M):
    """``(lon, lat)`` of the located open ticket with the most located tickets within
    ``radius_m`` (itself included); ties go to the more urgent, then the older ticket.
    ``None`` when no ticket has a place."""
    located = [t for t in tickets if t.get("lon") is not None and t.get("lat") is not None]
    if not located:
        return None

    def score(t: dict) -> tuple:
        near = sum(distance_m(t["lon"], t["lat"], o["lon"], o["lat"]) <= radius_m for o in located)
        return (-near, t.get("priority", 9), t.get("received_at") or "", t.get("id", 0))

    best = min(located, key=score)
    return best["lon"], best["lat"]


def busiest_area_cameras(uow, tickets: list[dict]) -> list[dict]:
    """The cameras covering (then nearest to) the busiest area; none without a located ticket."""
    point = busiest_point(tickets)
    return [] if point is None else cameras_for(uow.cur, *point)
