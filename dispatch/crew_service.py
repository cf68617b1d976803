"""Use cases of crews: a GPS fix (which may stop a ticket's response clock) and a crew's status.
Each takes a unit of work, the acting user and the current time."""

from __future__ import annotations

from datetime import datetime, timedelta

from dispatch.actor import Actor
from dispatch.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dispatch.input_fields import float_field, int_field, time_field
from dispatch.ticket_service import Settings
from dispatch.unit_of_work import UnitOfWork
from routing.distance import great_circle_m

CREW_STATUSES = ("available", "busy", "off_duty", "out_of_service")


#: A GPS fix implying more than this speed since the previous one is refused (m/s, ~250 km/h).
MAX_PLAUSIBLE_SPEED_MPS = 70.0


#: A fix time this far ahead of the server clock is refused (seconds of tolerated skew).
MAX_CLOCK_SKEW_S = 30.0


def record_position(
    uow: UnitOfWork,
    crew_id: object,
    fix: dict,
    actor: Actor,
    now: datetime,
    settings: Settings | None = None,
) -> dict:
    """Store a GPS fix (history and latest). A fix within the arrival radius of one of the
    crew's active tickets stops that ticket's response clock."""
    settings = settings or Settings()
    crew_id = int_field({"crew_id": crew_id}, "crew_id", required=True, lo=1)
    if actor.role == "crew_lead" and actor.crew_id != crew_id:
        raise PermissionDenied("a crew lead may only report its own crew's position", "crew_id")
    lon = float_field(fix, "lon", required=True, lo=-180, hi=180)
    lat = float_field(fix, "lat", required=True, lo=-90, hi=90)
    at = time_field(fix, "time", required=True)
    if at > now + timedelta(seconds=MAX_CLOCK_SKEW_S):
        raise InvalidInput("`time` is in the future", "time")
    speed = float_field(fix, "speed", lo=0, hi=MAX_PLAUSIBLE_SPEED_MPS)
    heading = float_field(fix, "heading", lo=0, hi=360)
    heading = None if heading is None else heading % 360
    crew = uow.crews.get(crew_id)
    if crew is None:
        raise NotFound(f"`crew_id`: no crew {crew_id}", "crew_id")
    if crew["recorded_at"] is not None and crew["lon"] is not None:
        seconds = abs((at - crew["recorded_at"]).total_seconds())
        metres = great_circle_m(crew["lon"], crew["lat"], lon, lat)
        if metres > 100 and metres / max(seconds, 1.0) > MAX_PLAUSIBLE_SPEED_MPS:
            raise InvalidInput(
                f"`lon`: a jump of {metres:.0f} m in {seconds:.0f} s is not plausible", "lon"
            )
    uow.crews.add_position(
        crew_id, lon=lon, lat=lat, recorded_at=at, speed_mps=speed, heading_deg=heading
    )
    near = uow.tickets.active_near(crew_id, lon=lon, lat=lat, radius_m=settings.arrival_radius_m)
    for ticket_id in near:
        ticket = uow.tickets.get(ticket_id, lock=True)
        arrival = ticket.record_arrival(at)
        if arrival is None:
            continue  # an earlier arrival stands
        if not uow.tickets.save(ticket, ticket.version):
            raise Conflict("the ticket was changed by someone else; send the fix again", "id")
        uow.events.append(
            ticket_id,
            at=at,
            actor=actor.username,
            event_type=arrival.event_type,
            data={"crew_id": crew_id},
        )
    return {"crew_id": crew_id, "recorded_at": at.isoformat(), "arrived_at_tickets": near}


def set_crew_status(uow: UnitOfWork, crew_id: object, status: str, actor: Actor) -> dict:
    crew_id = int_field({"crew_id": crew_id}, "crew_id", required=True, lo=1)
    if status not in CREW_STATUSES:
        raise InvalidInput(f"`status` must be one of {', '.join(CREW_STATUSES)}", "status")
    if actor.role == "crew_lead" and actor.crew_id != crew_id:
        raise PermissionDenied("a crew lead may only change its own crew", "crew_id")
    if uow.crews.get(crew_id, lock=True) is None:
        raise NotFound(f"`crew_id`: no crew {crew_id}", "crew_id")
    uow.crews.set_status(crew_id, status)
    return {"crew_id": crew_id, "status": status}
