"""Use cases of crews: a GPS fix (which may stop a ticket's response clock) and a crew's status.
Each takes a unit of work, the acting user and the current time."""

from __future__ import annotations

from datetime import datetime, timedelta

from dispatch.actor import Actor
from dispatch.errors import Conflict, DispatchError, InvalidInput, NotFound, PermissionDenied
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
    crew's active tickets stops that ticket's response clock. A refused fix raises."""
    (outcome,) = record_positions(uow, [(crew_id, fix)], actor, now, settings)
    if isinstance(outcome, DispatchError):
        raise outcome
    return outcome


def record_positions(
    uow: UnitOfWork,
    fixes: list[tuple[object, dict]],
    actor: Actor,
    now: datetime,
    settings: Settings | None = None,
) -> list[dict | DispatchError]:
    """Store a batch of ``(crew_id, fix)`` in one transaction, as :func:`record_position` does
    one: each fix is checked on its own (its outcome is the stored fix's answer or the
    :class:`DispatchError` that refused it), the good ones are written in one statement, the
    crews' active tickets are read once for the arrival checks, and each crew that moved is
    announced once. Fixes of one crew are judged in the order of their times."""
    settings = settings or Settings()
    checked: list[dict | DispatchError] = []
    for crew_id, fix in fixes:
        try:
            checked.append(_checked_fix(crew_id, fix, actor, now))
        except DispatchError as refused:
            checked.append(refused)
    crew_ids = sorted({f["crew_id"] for f in checked if isinstance(f, dict)})
    crews = {c["id"]: c for c in uow.crews.latest_fixes(crew_ids)} if crew_ids else {}
    last = {c["id"]: (c["lon"], c["lat"], c["recorded_at"]) for c in crews.values()}
    good: list[dict] = []
    order = sorted(
        (i for i, f in enumerate(checked) if isinstance(f, dict)),
        key=lambda i: checked[i]["recorded_at"],
    )
    for i in order:
        fix = checked[i]
        if fix["crew_id"] not in crews:
            checked[i] = NotFound(f"`crew_id`: no crew {fix['crew_id']}", "crew_id")
            continue
        refusal = _implausible(last.get(fix["crew_id"]), fix)
        if refusal is not None:
            checked[i] = refusal
            continue
        if last[fix["crew_id"]][2] is None or fix["recorded_at"] >= last[fix["crew_id"]][2]:
            last[fix["crew_id"]] = (fix["lon"], fix["lat"], fix["recorded_at"])
        good.append(fix)
    if not good:
        return checked
    uow.crews.add_positions(good)
    arrived = _arrivals(uow, good, actor, settings)
    return [
        {
            "crew_id": f["crew_id"],
            "recorded_at": f["recorded_at"].isoformat(),
            "arrived_at_tickets": arrived.get(id(f), []),
        }
        if isinstance(f, dict)
        else f
        for f in checked
    ]


def _checked_fix(crew_id: object, fix: dict, actor: Actor, now: datetime) -> dict:
    """One fix's fields checked and converted; raises naming the field."""
    crew_id = int_field({"crew_id": crew_id}, "crew_id", required=True, lo=1)
    if actor.role == "crew_lead" and actor.crew_id != crew_id:
        raise PermissionDenied("a crew lead may only report its own crew's position", "crew_id")
    if not isinstance(fix, dict):
        raise InvalidInput("a fix must be a JSON object", "body")
    lon = float_field(fix, "lon", required=True, lo=-180, hi=180)
    lat = float_field(fix, "lat", required=True, lo=-90, hi=90)
    at = time_field(fix, "time", required=True)
    if at > now + timedelta(seconds=MAX_CLOCK_SKEW_S):
        raise InvalidInput("`time` is in the future", "time")
    speed = float_field(fix, "speed", lo=0, hi=MAX_PLAUSIBLE_SPEED_MPS)
    heading = float_field(fix, "heading", lo=0, hi=360)
    return {
        "crew_id": crew_id,
        "lon": lon,
        "lat": lat,
        "recorded_at": at,
        "speed_mps": speed,
        "heading_deg": None if heading is None else heading % 360,
    }


def _implausible(last: tuple | None, fix: dict) -> InvalidInput | None:
    """A jump from the crew's previous fix faster than a vehicle drives."""
    if last is None or last[2] is None or last[0] is None:
        return None
    seconds = abs((fix["recorded_at"] - last[2]).total_seconds())
    metres = great_circle_m(last[0], last[1], fix["lon"], fix["lat"])
    if metres > 100 and metres / max(seconds, 1.0) > MAX_PLAUSIBLE_SPEED_MPS:
        return InvalidInput(
            f"`lon`: a jump of {metres:.0f} m in {seconds:.0f} s is not plausible", "lon"
        )
    return None


def _arrivals(uow, fixes: list[dict], actor: Actor, settings: Settings) -> dict[int, list[int]]:
    """Stop the response clock of each active ticket a fix came within the arrival radius of;
    returns, by ``id(fix)``, the tickets each fix was near."""
    tickets = uow.tickets.active_of_crews(sorted({f["crew_id"] for f in fixes}))
    near: dict[int, list[int]] = {}
    for fix in fixes:
        for ticket in tickets:
            if ticket["crew_id"] != fix["crew_id"] or ticket["lon"] is None:
                continue
            metres = great_circle_m(fix["lon"], fix["lat"], ticket["lon"], ticket["lat"])
            if metres > settings.arrival_radius_m:
                continue
            near.setdefault(id(fix), []).append(ticket["id"])
            loaded = uow.tickets.get(ticket["id"], lock=True)
            arrival = loaded.record_arrival(fix["recorded_at"])
            if arrival is None:
                continue  # an earlier arrival stands
            if not uow.tickets.save(loaded, loaded.version):
                raise Conflict("the ticket was changed by someone else; send the fix again", "id")
            uow.events.append(
                ticket["id"],
                at=fix["recorded_at"],
                actor=actor.username,
                event_type=arrival.event_type,
                data={"crew_id": fix["crew_id"]},
            )
    return near


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
