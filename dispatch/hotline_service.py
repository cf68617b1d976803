"""The hotline's intake page as use cases: the open tickets near the place of a call (shown
before saving, so a repeat call is added to the ticket it repeats: the duplicate rule), and
taking the call: the ticket opened through :func:`dispatch.ticket_service.open_ticket`,
linked to the ticket it repeats when the agent says so, and what to tell the caller (the
crew that was recommended or sent, and its ETA)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dispatch import hotline_repository as repo
from dispatch import json_shapes, ticket_service
from dispatch.actor import Actor
from dispatch.auth import require
from dispatch.repository import territory_timezone
from dispatch.ticket_model import DUPLICATE_PRONE

#: Open tickets this close to a call are shown before it is saved (m); the settings'
#: duplicate radius links leak reports automatically, this shows the agent a wider circle.
NEARBY_RADIUS_M = 300.0


def nearby_open_tickets(
    uow, lon: float, lat: float, actor: Actor, radius_m: float = NEARBY_RADIUS_M
) -> list[dict]:
    require(actor, "tickets.list")
    return [
        {
            "id": r["id"],
            "number": r["number"],
            "type": r["ticket_type"],
            "category": r["category"],
            "priority": r["priority"],
            "status": r["status"],
            "address": r["address"],
            "received_at": json_shapes.iso_time(r["received_at"]),
            "distance_m": round(float(r["distance_m"]), 1),
            "lon": r["lon"],
            "lat": r["lat"],
            "duplicate_prone": r["ticket_type"] in DUPLICATE_PRONE,
        }
        for r in repo.open_tickets_near(uow.cur, lon, lat, radius_m)
    ]


def take_call(
    uow,
    data: dict,
    actor: Actor,
    now: datetime,
    settings: ticket_service.Settings | None = None,
    ports=None,
    *,
    repeat_of: int | None = None,
) -> dict:
    """Open the work order; with ``repeat_of``, link it to that open ticket as a repeat call
    (unless intake linked it already). Returns the ticket, ``duplicate_of`` and ``tell``:
    what to tell the caller (crew code, ETA in seconds and as a time) or None."""
    require(actor, "tickets.create")
    answer = ticket_service.open_ticket(uow, data, actor, now, settings, ports)
    ticket = answer["ticket"]
    parent = answer["duplicate_of"]
    if parent is None and repeat_of is not None:
        require(actor, "tickets.link")
        ticket_service.link_duplicate(uow, ticket["id"], repeat_of, actor, now)
        parent = repeat_of
    if parent is not None:
        tell = _tell_for_parent(uow, parent, now)
    else:
        offers = answer["recommendations"]
        tell = _tell(offers[0]["code"], offers[0]["eta_s"], now) if offers else None
    return {
        "ticket": ticket,
        "duplicate_of": parent,
        "duplicate_number": None if parent is None else uow.tickets.row(parent)["number"],
        "tell": tell,
    }


def territory_zone(uow) -> ZoneInfo:
    return ZoneInfo(territory_timezone(uow.cur))


def _tell_for_parent(uow, parent_id: int, now: datetime) -> dict | None:
    """The crew already sent to the ticket a call repeats (its remaining ETA), else the one
    recommended for it."""
    sent = uow.crews.active_assignment(parent_id)
    if sent is not None:
        if sent["eta_s"] is None:
            return {"crew_code": sent["crew_code"], "eta_s": None, "eta_at": None, "sent": True}
        arrives = sent["assigned_at"] + timedelta(seconds=float(sent["eta_s"]))
        left = max(0.0, (arrives - now).total_seconds())
        return {**_tell(sent["crew_code"], left, now), "sent": True}
    offers = uow.tickets.recommendations(parent_id)
    return _tell(offers[0]["code"], offers[0]["eta_s"], now) if offers else None


def _tell(code: str, eta_s: float | None, now: datetime) -> dict:
    return {
        "crew_code": code,
        "eta_s": None if eta_s is None else round(float(eta_s)),
        "eta_at": None if eta_s is None else (now + timedelta(seconds=float(eta_s))).isoformat(),
        "sent": False,
    }
