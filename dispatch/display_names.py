"""Names instead of ids, for what people read on the wall: the crew code an event names, the
role of the user who acted, the street a valve is on and how far it is from the leak, and the
nearest address of a ticket taken in without one (reverse geocoded, never its number).

Reads only; the wall's read model stays as stored and these fill in the display names.
"""

from __future__ import annotations

import math
import threading

from dispatch import display_names_repository as names_repo
from dispatch import repository as repo
from gis import place_names

_EARTH_M = 6_371_008.8


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(math.sqrt(a))


def named_detail(cur, detail: dict | None) -> dict | None:
    """``detail`` (:func:`dispatch.wall_read_model.incident_detail`) with names filled in:
    ``ticket.address`` (nearest address when none was given, ``address_guessed`` True),
    ``ticket.crew_code``, the territory's ``timezone``,
    each event's ``crew_code`` and ``actor_role``, each valve's ``street`` and
    ``from_leak_m``. The input is not changed."""
    if detail is None:
        return None
    ticket = dict(detail["ticket"])
    if not ticket.get("address") and ticket.get("lon") is not None:
        ticket["address"] = place_names.nearest_address(cur, ticket["lon"], ticket["lat"])
        ticket["address_guessed"] = ticket["address"] is not None
    events = detail.get("events") or []
    crew_ids = [_crew_of(e) for e in events]
    codes = names_repo.crew_codes(cur, [*crew_ids, ticket.get("crew_id")])
    ticket["crew_code"] = codes.get(ticket.get("crew_id"))
    roles = names_repo.user_roles(cur, [e.get("actor") for e in events])
    named_events = [
        {**e, "crew_code": codes.get(crew), "actor_role": roles.get(e.get("actor"))}
        for e, crew in zip(events, crew_ids, strict=True)
    ]
    plan = detail.get("isolation")
    if plan:
        valves = []
        for v in plan.get("valves") or []:
            away = None
            if ticket.get("lon") is not None:
                away = distance_m(ticket["lon"], ticket["lat"], v["lon"], v["lat"])
            valves.append(
                {**v, "street": place_names.street_of(cur, v["lon"], v["lat"]), "from_leak_m": away}
            )
        plan = {**plan, "valves": valves}
    return {
        **detail,
        "ticket": ticket,
        "events": named_events,
        "isolation": plan,
        "timezone": repo.territory_timezone(cur),
    }


def _crew_of(event: dict) -> int | None:
    crew = (event.get("data") or {}).get("crew_id")
    try:
        return None if crew is None else int(crew)
    except (TypeError, ValueError):
        return None


class AddressFallback:
    """The nearest address of queued tickets taken in without one, looked up once per ticket
    and kept for the life of the process (a quiet wall still reads no database)."""

    def __init__(self, uow_factory) -> None:
        self._uow = uow_factory
        self._known: dict[int, str | None] = {}
        self._lock = threading.Lock()

    def fill(self, tickets: list[dict]) -> list[dict]:
        """``tickets`` with ``address`` set for those that had none (``address_guessed``)."""
        missing = [
            t for t in tickets
            if not t.get("address") and t.get("lon") is not None and t["id"] not in self._known
        ]  # fmt: skip
        if missing:
            with self._lock, self._uow() as uow:
                for t in missing:
                    self._known[t["id"]] = place_names.nearest_address(uow.cur, t["lon"], t["lat"])
        out = []
        for t in tickets:
            guess = None if t.get("address") else self._known.get(t["id"])
            out.append({**t, "address": guess, "address_guessed": True} if guess else t)
        return out
