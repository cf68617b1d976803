"""Use cases of the control room. Each takes a unit of work (one transaction), the acting
user and the current time (injected, so clocks can be tested), and returns plain dicts.
Domain rules live in :mod:`dispatch.ticket_model` and :mod:`dispatch.clocks`; SQL in
:mod:`dispatch.repository`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg2

from dispatch import repository as repo
from dispatch.actor import Actor
from dispatch.clocks import ClockPolicy, deadlines, due_alerts
from dispatch.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from dispatch.input_fields import float_field, int_field, phone_field, text_field, time_field
from dispatch.settings import setting
from dispatch.ticket_model import DUPLICATE_PRONE, TRANSITIONS, category_of, default_priority
from dispatch.unit_of_work import UnitOfWork
from gis.geocode import best_match, search_addresses


@dataclass(frozen=True)
class Settings:
    """What the services use of the settings (:mod:`dispatch.settings`). ``Settings()`` holds
    the effective ones, ``build(Settings, loaded)`` those of a loaded settings object; keyword
    arguments set single values."""

    duplicate_radius_m: float = setting("dispatch.duplicate_radius_m")
    duplicate_window_min: float = setting("dispatch.duplicate_window_min")
    arrival_radius_m: float = setting("dispatch.arrival_radius_m")
    stale_gps_after_s: float = setting("dispatch.stale_gps_after_s")
    policy: ClockPolicy = setting("clocks", ClockPolicy.from_settings)  # noqa: RUF009 (a field())
    #: Assign the best crew to a P1 ticket no dispatcher acted on within this many seconds;
    #: None (auto-dispatch off) leaves every assignment to a person.
    auto_dispatch_after_s: float | None = setting("dispatch.auto_dispatch_delay_s")


#: (lon, lat, skill) -> ranked crews as dicts; provided by the app when a road graph is loaded.
Recommender = Callable[[float, float, str | None], list[dict]]


def open_ticket(
    uow: UnitOfWork,
    data: dict,
    actor: Actor,
    now: datetime,
    settings: Settings = Settings(),
    recommend: Recommender | None = None,
) -> dict:
    """Create a work order; link it to an open one when it is a duplicate call; for a P1
    ticket, return the nearest eligible crews by road in the same answer."""
    cur = uow.cur
    ticket_type = text_field(data, "type", required=True)
    category = category_of(ticket_type)
    priority = int_field(data, "priority", default=default_priority(ticket_type), lo=1, hi=4)
    lon, lat, meter = _locate(cur, data, required=category != "non_field")
    if lon is not None:
        inside = repo.territory_contains(cur, lon, lat)
        if inside is False:
            raise InvalidInput(
                f"`lon`, `lat`: ({lon:.5f}, {lat:.5f}) is outside the service territory", "lon"
            )
    jurisdiction = text_field(data, "jurisdiction") or "urban"
    due = deadlines(ticket_type, category, priority, jurisdiction, now, settings.policy)
    row = {
        "ticket_type": ticket_type,
        "priority": priority,
        "lon": lon,
        "lat": lat,
        "address": text_field(data, "address") or (meter["address"] if meter else None),
        "description": text_field(data, "description") or "",
        "account_no": meter["account_no"] if meter else text_field(data, "account_no"),
        "meter_id": meter["id"] if meter else None,
        "caller_name": text_field(data, "caller_name"),
        "caller_phone": phone_field(data),
        "receiving_department": text_field(data, "receiving_department"),
        "taken_by": actor.username,
        "received_at": now,
        "appointment_at": time_field(data, "appointment_at"),
        "promised_reply_at": time_field(data, "promised_reply_at"),
        "jurisdiction": jurisdiction,
        "arrival_due_at": due.arrival_due_at,
        "make_safe_due_at": due.make_safe_due_at,
        "reply_due_at": due.reply_due_at,
        "depart_due_at": due.depart_due_at,
    }
    ticket_id, number = repo.insert_ticket(cur, row)
    repo.append_event(
        cur,
        ticket_id,
        at=now,
        actor=actor.username,
        event_type="created",
        to_status="new",
        data={"type": ticket_type, "priority": priority},
    )
    repo.add_caller(cur, ticket_id, name=row["caller_name"], phone=row["caller_phone"], at=now)

    duplicate_of = None
    if ticket_type in DUPLICATE_PRONE and lon is not None:
        since = now - timedelta(minutes=settings.duplicate_window_min)
        candidates = [
            c
            for c in repo.duplicate_candidates(
                cur,
                lon=lon,
                lat=lat,
                since=since,
                radius_m=settings.duplicate_radius_m,
                types=sorted(DUPLICATE_PRONE),
            )
            if c["id"] != ticket_id
        ]
        if candidates:
            duplicate_of = int(candidates[0]["id"])
            _link(cur, ticket_id, duplicate_of, actor, now, automatic=True)
    recommendations = []
    if recommend is not None and priority == 1 and duplicate_of is None and lon is not None:
        recommendations = recommend(lon, lat, "emergency" if category == "emergency" else None)
    return {
        "id": ticket_id,
        "number": number,
        "duplicate_of": duplicate_of,
        "recommendations": recommendations,
    }


def transition_ticket(
    uow: UnitOfWork,
    ticket_id: int,
    to: str,
    actor: Actor,
    now: datetime,
    *,
    reason: str | None = None,
) -> dict:
    """Move a ticket along its lifecycle (not to ``assigned``: use :func:`assign_crew`)."""
    cur = uow.cur
    ticket = _load(cur, ticket_id, actor, lock=True)
    if to == "assigned":
        raise InvalidInput(
            "`status`: assign a crew with the assign action, not a transition", "status"
        )
    if actor.role == "crew_lead" and to not in (
        "accepted",
        "en_route",
        "on_site",
        "made_safe",
        "repaired",
    ):
        raise PermissionDenied(f"a crew lead may not set `{to}`", "status")
    expected = ticket.version
    event = ticket.transition(to, at=now, actor=actor.username, reason=reason)
    if to in ("repaired", "cancelled"):
        crew = repo.release_assignment(cur, ticket_id, at=now, reason=to)
        if crew is not None:
            _free_crew_if_idle(cur, crew)
    _save(cur, ticket, expected, event)
    return {"id": ticket_id, "status": ticket.status, "allowed_next": list(TRANSITIONS[to])}


def assign_crew(
    uow: UnitOfWork,
    ticket_id: int,
    crew_id: object,
    actor: Actor,
    now: datetime,
    *,
    automatic: bool = False,
    eta_s: float | None = None,
    reason: str | None = None,
    route: list[list[float]] | None = None,
) -> dict:
    """Assign (or reassign) a crew, atomically with the ticket's change of status. A crew holds
    at most one active emergency job: the crew row is locked for the check, and a partial
    unique index in the database refuses a second one even so."""
    cur = uow.cur
    crew_id = int_field({"crew_id": crew_id}, "crew_id", required=True, lo=1)
    ticket = _load(cur, ticket_id, actor, lock=True)
    if "assigned" not in ticket.allowed_next():
        raise IllegalTransition(ticket.status, "assigned", ticket.allowed_next())
    crew = repo.get_crew(cur, crew_id, for_update=True)
    if crew is None:
        raise NotFound(f"`crew_id`: no crew {crew_id}", "crew_id")
    if crew["status"] in ("off_duty", "out_of_service"):
        raise Conflict(f"`crew_id`: crew {crew['code']} is {crew['status']}", "crew_id")
    if ticket.crew_id == crew_id and ticket.status == "assigned":
        raise Conflict(f"`crew_id`: crew {crew['code']} is already assigned", "crew_id")
    if ticket.is_emergency:
        holding = repo.crew_emergency_job(cur, crew_id)
        if holding is not None and holding["ticket_id"] != ticket_id:
            raise Conflict(
                f"`crew_id`: crew {crew['code']} already holds emergency job {holding['number']}",
                "crew_id",
            )
    expected = ticket.version
    previous = repo.release_assignment(cur, ticket_id, at=now, reason="reassigned")
    event = ticket.assign(
        crew_id, at=now, actor=actor.username, automatic=automatic, eta_s=eta_s, reason=reason
    )
    try:
        repo.insert_assignment(
            cur,
            ticket_id=ticket_id,
            crew_id=crew_id,
            at=now,
            by=actor.username,
            automatic=automatic,
            eta_s=eta_s,
            emergency=ticket.is_emergency,
            route=route,
        )
    except psycopg2.errors.UniqueViolation:  # the index caught a race the lock did not
        raise Conflict(
            f"`crew_id`: crew {crew['code']} already holds an emergency job", "crew_id"
        ) from None
    _save(cur, ticket, expected, event)
    repo.set_crew_status(cur, crew_id, "busy")
    if previous is not None and previous != crew_id:
        _free_crew_if_idle(cur, previous)
    return {"id": ticket_id, "status": ticket.status, "crew_id": crew_id, "event": event.event_type}


def link_duplicate(
    uow: UnitOfWork, ticket_id: int, parent_id: object, actor: Actor, now: datetime
) -> dict:
    cur = uow.cur
    parent_id = int_field({"parent_id": parent_id}, "parent_id", required=True, lo=1)
    if parent_id == ticket_id:
        raise InvalidInput("`parent_id`: a ticket cannot be a duplicate of itself", "parent_id")
    child = repo.get_ticket_row(cur, ticket_id, for_update=True)
    parent = repo.get_ticket_row(cur, parent_id, for_update=True)
    if child is None:
        raise NotFound(f"no ticket {ticket_id}", "id")
    if parent is None:
        raise NotFound(f"`parent_id`: no ticket {parent_id}", "parent_id")
    if parent["parent_ticket_id"] is not None:
        raise Conflict("`parent_id`: that ticket is itself linked as a duplicate", "parent_id")
    if child["parent_ticket_id"] is not None:
        raise Conflict("already linked as a duplicate; unlink it first", "id")
    _link(cur, ticket_id, parent_id, actor, now, automatic=False)
    return {"id": ticket_id, "duplicate_of": parent_id}


def unlink_duplicate(uow: UnitOfWork, ticket_id: int, actor: Actor, now: datetime) -> dict:
    """Make a linked call its own ticket again (a dispatcher decided it is a separate leak)."""
    cur = uow.cur
    row = repo.get_ticket_row(cur, ticket_id, for_update=True)
    if row is None:
        raise NotFound(f"no ticket {ticket_id}", "id")
    parent_id = row["parent_ticket_id"]
    if parent_id is None:
        raise Conflict("this ticket is not linked as a duplicate", "id")
    repo.set_parent(cur, ticket_id, None)
    repo.move_callers(cur, ticket_id, parent_id, back=True)
    for tid, other in ((ticket_id, parent_id), (parent_id, ticket_id)):
        repo.append_event(
            cur,
            tid,
            at=now,
            actor=actor.username,
            event_type="duplicate_unlinked",
            data={"other_ticket_id": other},
        )
    return {"id": ticket_id, "duplicate_of": None}


def check_clocks(
    uow: UnitOfWork, now: datetime, actor: Actor, settings: Settings | None = None
) -> list[dict]:
    """Raise "deadline at risk" (past the policy's at-risk share) and "deadline missed" events
    that are due, once each."""
    at_risk_share = (settings or Settings()).policy.at_risk_share
    cur = uow.cur
    raised = []
    rows = repo.list_tickets(cur, open_only=True, limit=10_000)
    # One read of what was raised before, not one per ticket: this runs every few seconds.
    earlier = repo.deadline_alerts_raised(cur, [row["id"] for row in rows])
    for row in rows:
        already = earlier.get(row["id"], set())
        due = {
            "depart": row["depart_due_at"],
            "arrival": row["arrival_due_at"],
            "make_safe": row["make_safe_due_at"],
            "reply": row["reply_due_at"],
        }
        stopped = {
            "depart": row["en_route_at"] or row["arrived_at"],  # arriving, it had left
            "arrival": row["arrived_at"],
            "make_safe": row["made_safe_at"],
            "reply": row["closed_at"],
        }
        for alert in due_alerts(
            received_at=row["received_at"],
            due=due,
            stopped=stopped,
            now=now,
            already=already,
            at_risk_share=at_risk_share,
        ):
            repo.append_event(
                cur,
                row["id"],
                at=now,
                actor=actor.username,
                event_type=alert.kind,
                data={"clock": alert.clock, "due_at": alert.due_at.isoformat()},
            )
            raised.append({"ticket_id": row["id"], "clock": alert.clock, "kind": alert.kind})
    return raised


def auto_dispatch(
    uow: UnitOfWork, now: datetime, settings: Settings, recommend: Recommender | None
) -> list[dict]:
    """Assign the recommended crew to each new P1 ticket that waited ``auto_dispatch_after_s``
    without a dispatcher acting; the event says it was automatic. A ticket with no crew to
    send gets one "auto_dispatch_failed" event and stays for a person."""
    if settings.auto_dispatch_after_s is None or recommend is None:
        return []
    cur = uow.cur
    actor = Actor("auto-dispatch", "dispatcher")
    cutoff = now - timedelta(seconds=settings.auto_dispatch_after_s)
    done = []
    for row in repo.list_tickets(cur, status=["new"], limit=10_000):
        if row["priority"] != 1 or row["parent_ticket_id"] is not None or row["lon"] is None:
            continue
        if row["received_at"] > cutoff:
            continue
        events = repo.ticket_events(cur, row["id"])
        if any(e["event_type"] == "auto_dispatch_failed" for e in events):
            continue
        skill = "emergency" if row["category"] == "emergency" else None
        for crew in recommend(row["lon"], row["lat"], skill):
            try:
                assign_crew(
                    uow,
                    row["id"],
                    crew["crew_id"],
                    actor,
                    now,
                    automatic=True,
                    eta_s=crew["eta_s"],
                    route=crew.get("route"),
                    reason="no dispatcher acted in time",
                )
            except Conflict:
                continue  # that crew was taken meanwhile: try the next one
            done.append({"ticket_id": row["id"], "crew_id": crew["crew_id"]})
            break
        else:
            repo.append_event(
                cur,
                row["id"],
                at=now,
                actor=actor.username,
                event_type="auto_dispatch_failed",
                data={"reason": "no eligible crew can reach it"},
            )
    return done


def _link(
    cur, ticket_id: int, parent_id: int, actor: Actor, now: datetime, *, automatic: bool
) -> None:
    repo.set_parent(cur, ticket_id, parent_id)
    repo.move_callers(cur, ticket_id, parent_id)
    data = {"automatic": automatic}
    repo.append_event(
        cur,
        ticket_id,
        at=now,
        actor=actor.username,
        event_type="linked_as_duplicate",
        data={**data, "parent_id": parent_id},
    )
    repo.append_event(
        cur,
        parent_id,
        at=now,
        actor=actor.username,
        event_type="caller_added",
        data={**data, "duplicate_ticket_id": ticket_id},
    )


def _load(cur, ticket_id: int, actor: Actor, *, lock: bool):
    row = repo.get_ticket_row(cur, ticket_id, for_update=lock)
    if row is None:
        raise NotFound(f"no ticket {ticket_id}", "id")
    if actor.role == "crew_lead" and row["crew_id"] != actor.crew_id:
        raise PermissionDenied("a crew lead sees and changes only its own crew's jobs", "id")
    return repo.ticket_from_row(row)


def _save(cur, ticket, expected_version: int, event) -> None:
    if not repo.save_ticket_state(cur, ticket, expected_version):
        raise Conflict("the ticket was changed by someone else; reload and retry", "version")
    repo.append_status_event(cur, ticket.id, event)


def _free_crew_if_idle(cur, crew_id: int) -> None:
    if repo.crew_active_jobs(cur, crew_id) == 0:
        crew = repo.get_crew(cur, crew_id, for_update=True)
        if crew is not None and crew["status"] == "busy":
            repo.set_crew_status(cur, crew_id, "available")


def _locate(cur, data: dict, *, required: bool):
    """The ticket's point: lon/lat, else the meter found by account or meter number, else the
    address when the offline geocoder finds one clear match (never a silent guess)."""
    if data.get("lon") is not None or data.get("lat") is not None:
        lon = float_field(data, "lon", required=True, lo=-180, hi=180)
        lat = float_field(data, "lat", required=True, lo=-90, hi=90)
        return lon, lat, None
    account, meter_no = text_field(data, "account_no"), text_field(data, "meter_no")
    if account or meter_no:
        meter = repo.find_meter(cur, account_no=account, meter_no=meter_no)
        if meter is None:
            name = "account_no" if account else "meter_no"
            raise NotFound(f"`{name}`: no customer with {name} {account or meter_no!r}", name)
        return float(meter["lon"]), float(meter["lat"]), meter
    address = text_field(data, "address")
    if address and required:
        candidates = search_addresses(cur, address, limit=5)
        best = best_match(candidates)
        if best is not None:
            return best["lon"], best["lat"], None
        if not candidates:
            raise InvalidInput(
                f"`address`: nothing in the territory matches {address!r}", "address"
            )
        listed = "; ".join(f"{c['address']} ({c['score']:.2f})" for c in candidates)
        raise InvalidInput(
            f"`address`: {address!r} is not a unique match; candidates: {listed}"
            " (GET /api/v1/geocode lists them with coordinates)",
            "address",
        )
    if required:
        raise InvalidInput(
            "`lon` and `lat` are required (or an `account_no`, `meter_no` or `address`)", "lon"
        )
    return None, None, None
