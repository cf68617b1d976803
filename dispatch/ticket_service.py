"""Use cases of a ticket, from the call to the crew's arrival. Each takes a unit of work (one
transaction), the acting user and the current time (injected, so clocks can be tested), and
returns plain dicts in the API's shapes (:mod:`dispatch.json_shapes`).

Opening a ticket is one function, :func:`open_ticket`: it builds the :class:`Ticket` through the
domain's constructor, honours the Idempotency-Key, locates the call, sets the deadlines, links
a duplicate call, and for a field job gets the crews recommended by road (filtered by the skill
its type needs) and, for an emergency, the isolation plan, through the injected
:class:`dispatch.ports.Ports`; both are stored with the ticket in the same transaction, so every
screen reads them instead of computing them again. Assigning takes the ETA and route from what
is stored, and routes again only when that is stale (the crew moved, or a minute passed).

Storage is reached only through the unit of work's repositories (``uow.tickets``,
``uow.crews``, ``uow.events``, ``uow.places``); every event written there is also announced
through the outbox. Domain rules live in :mod:`dispatch.ticket_model` and
:mod:`dispatch.clocks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg2

from dispatch import desk_intake, json_shapes, site_service
from dispatch.actor import Actor
from dispatch.auth import LoginThrottle, sees_personal_data
from dispatch.clocks import ClockPolicy, deadlines, due_alerts
from dispatch.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from dispatch.input_fields import float_field, int_field, phone_field, text_field, time_field
from dispatch.ports import Ports
from dispatch.settings import setting
from dispatch.ticket_model import DUPLICATE_PRONE, TRANSITIONS, Ticket, required_skill
from gis.geocode import best_match
from routing.distance import great_circle_m

#: The longest Idempotency-Key accepted (characters).
MAX_IDEMPOTENCY_KEY = 200
#: The statuses a crew lead may set; cancelling is the dispatcher's.
CREW_LEAD_STATUSES = (
    "accepted",
    "en_route",
    "on_site",
    "made_safe",
    "repaired",
    "gas_restored",
    "closed",  # "finished": the site rules make sure the neighbourhood was checked
)


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
    #: Stored recommendations older than this are routed again before they are used (s) ...
    recommendation_max_age_s: float = setting("dispatch.recommendation_max_age_s")
    #: ... and so are they when the crew has moved farther than this since (m).
    recommendation_moved_m: float = setting("dispatch.recommendation_moved_m")
    #: Log-in guessing is slowed, then stopped (the ``[web]`` settings).
    login_throttle: LoginThrottle = setting("web", LoginThrottle.from_settings)  # noqa: RUF009
    #: The largest request body the API reads (bytes), and the largest image uploaded.
    max_body_bytes: int = setting("web.max_body_bytes")
    upload_max_bytes: int = setting("site.photo_max_bytes")


def open_ticket(
    uow,
    data: dict,
    actor: Actor,
    now: datetime,
    settings: Settings | None = None,
    ports: Ports | None = None,
    *,
    idempotency_key: str | None = None,
) -> dict:
    """Take a call in: ``{"ticket", "duplicate_of", "recommendations", "isolation"}``, with
    ``"replayed": True`` when ``idempotency_key`` was used before (nothing new is stored)."""
    settings, ports = settings or Settings(), ports or Ports()
    if idempotency_key is not None:
        if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
            raise InvalidInput(
                f"`Idempotency-Key` must have 1 to {MAX_IDEMPOTENCY_KEY} characters",
                "Idempotency-Key",
            )
        # The same key sent twice at once: the second waits here for the first to commit.
        uow.tickets.lock_idempotency_key(actor.username, idempotency_key)
        earlier = uow.tickets.idempotent(actor.username, idempotency_key)
        if earlier is not None:
            return {**_ticket_answer(uow, earlier, actor), "replayed": True}
    ticket = Ticket.open(
        text_field(data, "type", required=True),
        priority=int_field(data, "priority", lo=1, hi=4),
        at=now,
        actor=actor.username,
    )
    lon, lat, meter = _locate(uow, data, required=ticket.category != "non_field")
    if lon is not None and uow.places.territory_contains(lon, lat) is False:
        raise InvalidInput(
            f"`lon`, `lat`: ({lon:.5f}, {lat:.5f}) is outside the service territory", "lon"
        )
    jurisdiction = text_field(data, "jurisdiction") or "urban"
    due = deadlines(
        ticket.ticket_type, ticket.category, ticket.priority, jurisdiction, now, settings.policy
    )
    caller_name, caller_phone = text_field(data, "caller_name"), phone_field(data)
    # The customer: the meter that located the call, else the account or meter named with a
    # point or an address given (a hotline agent who found the customer and clicked the map).
    customer = meter or _customer(uow, data)
    uow.tickets.add(
        ticket,
        {
            "lon": lon,
            "lat": lat,
            "address": _address(uow, data, meter, lon, lat),
            "description": text_field(data, "description") or "",
            "account_no": customer["account_no"] if customer else text_field(data, "account_no"),
            "meter_id": customer["id"] if customer else None,
            "caller_name": caller_name,
            "caller_phone": caller_phone,
            # The work order's customer is the account's holder when found, not whoever
            # called (a neighbour, a passer-by); the caller stays the caller.
            "customer_name": customer["customer_name"] if customer else caller_name,
            "customer_phone": customer["phone"] if customer else caller_phone,
            "receiving_department": text_field(data, "receiving_department"),
            "taken_by": actor.username,
            "appointment_at": time_field(data, "appointment_at"),
            "promised_reply_at": time_field(data, "promised_reply_at"),
            "jurisdiction": jurisdiction,
            "arrival_due_at": due.arrival_due_at,
            "make_safe_due_at": due.make_safe_due_at,
            "reply_due_at": due.reply_due_at,
            "depart_due_at": due.depart_due_at,
        },
    )
    opened = ticket.events[0]
    uow.events.append(
        ticket.id,
        at=now,
        actor=actor.username,
        event_type=opened.event_type,
        to_status="new",
        data={"type": ticket.ticket_type, "priority": ticket.priority},
    )
    uow.tickets.add_caller(ticket.id, name=caller_name, phone=caller_phone, at=now)
    if idempotency_key is not None:
        uow.tickets.remember_idempotency(actor.username, idempotency_key, ticket.id)
    if uow.cur is not None:  # the desks' part of intake (not with in-memory fakes)
        desk_intake.record_intake(uow, ticket.id, ticket.ticket_type, data, actor, now)

    duplicate_of = None
    if ticket.ticket_type in DUPLICATE_PRONE and lon is not None:
        candidates = [
            c
            for c in uow.tickets.duplicate_candidates(
                lon=lon,
                lat=lat,
                since=now - timedelta(minutes=settings.duplicate_window_min),
                radius_m=settings.duplicate_radius_m,
                types=sorted(DUPLICATE_PRONE),
            )
            if c["id"] != ticket.id
        ]
        if candidates:
            duplicate_of = int(candidates[0]["id"])
            _link(uow, ticket.id, duplicate_of, actor, now, automatic=True)
    if duplicate_of is None and lon is not None and ticket.category != "non_field":
        row = uow.tickets.row(ticket.id)
        crews = uow.crews.all()
        _recommend(uow, row, crews, now, ports)
        if ports.isolation is not None:
            plan = ports.isolation.plan(uow, row, crews, ports.router)
            if plan is not None:
                uow.tickets.save_isolation_plan(ticket.id, plan, now)
    return _ticket_answer(uow, ticket.id, actor)


def get_ticket(uow, ticket_id: int, actor: Actor) -> dict:
    """The full ticket view with its callers, the stored recommendations and isolation plan."""
    row = _visible_row(uow, ticket_id, actor)
    return {
        **_view(uow, row, actor, full=True),
        "recommendations": [json_shapes.recommendation_view(o) for o in _offers(uow, row)],
        "isolation": uow.tickets.isolation_plan(ticket_id),
    }


def list_tickets(uow, actor: Actor, **filters) -> list[dict]:
    """Tickets as the API lists them; a crew lead sees only its own crew's."""
    if actor.role == "crew_lead":
        filters["crew_id"] = actor.crew_id
    return [_view(uow, row, actor) for row in uow.tickets.rows(**filters)]


def ticket_events(uow, ticket_id: int, actor: Actor) -> list[dict]:
    _visible_row(uow, ticket_id, actor)
    return [json_shapes.event_view(e) for e in uow.events.for_ticket(ticket_id)]


def isolation_plan(
    uow, ticket_id: int, actor: Actor, ports: Ports, *, stuck: tuple[int, ...] = ()
) -> dict:
    """The stored isolation plan; with ``stuck`` valves, the plan traced again around them."""
    row = _visible_row(uow, ticket_id, actor)
    plan = None if stuck else uow.tickets.isolation_plan(ticket_id)
    if plan is None and ports.isolation is not None:
        plan = ports.isolation.plan(uow, row, uow.crews.all(), ports.router, stuck=stuck)
    if plan is None:
        raise InvalidInput("only an emergency ticket with a location has an isolation plan", "id")
    return plan


def transition_ticket(
    uow,
    ticket_id: int,
    to: str,
    actor: Actor,
    now: datetime,
    *,
    reason: str | None = None,
    site_settings: site_service.SiteSettings | None = None,
) -> dict:
    """Move a ticket along its lifecycle (not to ``assigned``: use :func:`assign_crew`). The
    site rules are consulted (:func:`dispatch.site_service.transition_refusal`): ``made_safe``,
    ``gas_restored`` and ``closed`` are refused, naming what is missing, until the crew's site
    record holds what they need."""
    ticket = _load(uow, ticket_id, actor, lock=True)
    now = _not_before(ticket, now)
    if to == "assigned":
        raise InvalidInput(
            "`status`: assign a crew with the assign action, not a transition", "status"
        )
    if actor.role == "crew_lead" and to not in CREW_LEAD_STATUSES:
        raise PermissionDenied(f"a crew lead may not set `{to}`", "status")
    expected = ticket.version
    event = ticket.transition(to, at=now, actor=actor.username, reason=reason)
    refusal = site_service.transition_refusal(uow, ticket_id, event.from_status, to, site_settings)
    if refusal is not None:
        raise Conflict(refusal, "status")
    if to in ("repaired", "cancelled"):
        crew = uow.crews.release_assignment(ticket_id, at=now, reason=to)
        if crew is not None:
            _free_crew_if_idle(uow, crew)
    _save(uow, ticket, expected, event)
    if to == "new":  # re-opened: received now, so its deadlines run from now
        _restart_clocks(uow, ticket, now)
    return {"id": ticket_id, "status": ticket.status, "allowed_next": list(TRANSITIONS[to])}


def assign_crew(
    uow,
    ticket_id: int,
    crew_id: object,
    actor: Actor,
    now: datetime,
    *,
    automatic: bool = False,
    reason: str | None = None,
    settings: Settings | None = None,
    ports: Ports | None = None,
) -> dict:
    """Assign (or reassign) a crew, atomically with the ticket's change of status, with the
    ETA and road route stored for that crew (routed again when stale). The crew must have the
    skill the job needs. A crew holds at most one active emergency job: the crew row is locked
    for the check, and a partial unique index in the database refuses a second one even so."""
    settings, ports = settings or Settings(), ports or Ports()
    crew_id = int_field({"crew_id": crew_id}, "crew_id", required=True, lo=1)
    ticket = _load(uow, ticket_id, actor, lock=True)
    now = _not_before(ticket, now)
    if "assigned" not in ticket.allowed_next():
        raise IllegalTransition(ticket.status, "assigned", ticket.allowed_next())
    current = uow.crews.active_assignment(ticket_id) if ticket.crew_id is not None else None
    if current is not None and current["crew_id"] != crew_id and not reason:
        # Two dispatchers picking different crews at once: the second does not silently win.
        raise Conflict(
            f"`crew_id`: {current['assigned_by']} assigned crew {current['crew_code']} at"
            f" {current['assigned_at']:%H:%M:%S}; reassigning needs a `reason`",
            "crew_id",
        )
    crew = uow.crews.get(crew_id, lock=True)
    if crew is None:
        raise NotFound(f"`crew_id`: no crew {crew_id}", "crew_id")
    if crew["status"] in ("off_duty", "out_of_service"):
        raise Conflict(f"`crew_id`: crew {crew['code']} is {crew['status']}", "crew_id")
    skill = ticket.required_skill
    if skill is not None and skill not in (crew["skills"] or []):
        raise Conflict(
            f"`crew_id`: crew {crew['code']} lacks the skill `{skill}` a"
            f" {ticket.ticket_type} job needs",
            "crew_id",
        )
    if ticket.crew_id == crew_id and ticket.status == "assigned":
        raise Conflict(f"`crew_id`: crew {crew['code']} is already assigned", "crew_id")
    if ticket.is_emergency:
        holding = uow.crews.emergency_job(crew_id)
        if holding is not None and holding["ticket_id"] != ticket_id:
            raise Conflict(
                f"`crew_id`: crew {crew['code']} already holds emergency job {holding['number']}",
                "crew_id",
            )
    offer = _offer_for(uow, ticket_id, crew, now, settings, ports)
    eta_s = None if offer is None else offer["eta_s"]
    expected = ticket.version
    previous = uow.crews.release_assignment(ticket_id, at=now, reason="reassigned")
    event = ticket.assign(
        crew_id, at=now, actor=actor.username, automatic=automatic, eta_s=eta_s, reason=reason
    )
    try:
        uow.crews.add_assignment(
            ticket_id=ticket_id,
            crew_id=crew_id,
            at=now,
            by=actor.username,
            automatic=automatic,
            eta_s=eta_s,
            emergency=ticket.is_emergency,
            route=None if offer is None else offer["route"],
        )
    except psycopg2.errors.UniqueViolation:  # the index caught a race the lock did not
        raise Conflict(
            f"`crew_id`: crew {crew['code']} already holds an emergency job", "crew_id"
        ) from None
    _save(uow, ticket, expected, event)
    uow.crews.set_status(crew_id, "busy")
    if previous is not None and previous != crew_id:
        _free_crew_if_idle(uow, previous)
    return {
        "id": ticket_id,
        "status": ticket.status,
        "crew_id": crew_id,
        "crew_code": crew["code"],
        "eta_s": eta_s,
        "event": event.event_type,
    }


def link_duplicate(uow, ticket_id: int, parent_id: object, actor: Actor, now: datetime) -> dict:
    parent_id = int_field({"parent_id": parent_id}, "parent_id", required=True, lo=1)
    if parent_id == ticket_id:
        raise InvalidInput("`parent_id`: a ticket cannot be a duplicate of itself", "parent_id")
    child = uow.tickets.row(ticket_id, lock=True)
    parent = uow.tickets.row(parent_id, lock=True)
    if child is None:
        raise NotFound(f"no ticket {ticket_id}", "id")
    if parent is None:
        raise NotFound(f"`parent_id`: no ticket {parent_id}", "parent_id")
    if parent["parent_ticket_id"] is not None:
        raise Conflict("`parent_id`: that ticket is itself linked as a duplicate", "parent_id")
    if child["parent_ticket_id"] is not None:
        raise Conflict("already linked as a duplicate; unlink it first", "id")
    _link(uow, ticket_id, parent_id, actor, now, automatic=False)
    return {"id": ticket_id, "duplicate_of": parent_id}


def unlink_duplicate(uow, ticket_id: int, actor: Actor, now: datetime) -> dict:
    """Make a linked call its own ticket again (a dispatcher decided it is a separate leak)."""
    row = uow.tickets.row(ticket_id, lock=True)
    if row is None:
        raise NotFound(f"no ticket {ticket_id}", "id")
    parent_id = row["parent_ticket_id"]
    if parent_id is None:
        raise Conflict("this ticket is not linked as a duplicate", "id")
    uow.tickets.set_parent(ticket_id, None)
    uow.tickets.move_callers(ticket_id, parent_id, back=True)
    for tid, other in ((ticket_id, parent_id), (parent_id, ticket_id)):
        uow.events.append(
            tid,
            at=now,
            actor=actor.username,
            event_type="duplicate_unlinked",
            data={"other_ticket_id": other},
        )
    return {"id": ticket_id, "duplicate_of": None}


def check_clocks(uow, now: datetime, actor: Actor, settings: Settings | None = None) -> list[dict]:
    """Raise "deadline at risk" (past the policy's at-risk share) and "deadline missed" events
    that are due, once each."""
    at_risk_share = (settings or Settings()).policy.at_risk_share
    raised = []
    rows = uow.tickets.rows(open_only=True, limit=10_000)
    # One read of what was raised before, not one per ticket: this runs every few seconds.
    earlier = uow.tickets.deadline_alerts_raised([row["id"] for row in rows])
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
            uow.events.append(
                row["id"],
                at=now,
                actor=actor.username,
                event_type=alert.kind,
                data={"clock": alert.clock, "due_at": alert.due_at.isoformat()},
            )
            raised.append({"ticket_id": row["id"], "clock": alert.clock, "kind": alert.kind})
    return raised


def refresh_recommendations(uow, now: datetime, settings: Settings, ports: Ports) -> list[int]:
    """Route again the crews recommended for waiting tickets whose recommendations are older
    than ``settings.recommendation_max_age_s``, so that screens never show an old ETA.
    Returns the ids of the tickets refreshed."""
    if ports.router is None:
        return []
    cutoff = now - timedelta(seconds=settings.recommendation_max_age_s)
    rows = uow.tickets.waiting_for_fresh_recommendations(cutoff)
    if not rows:
        return []
    crews = uow.crews.all()
    for row in rows:
        _recommend(uow, row, crews, now, ports)
        uow.events.append(row["id"], at=now, actor="system", event_type="recommendations_refreshed")
    return [int(row["id"]) for row in rows]


def auto_dispatch(uow, now: datetime, settings: Settings, ports: Ports | None) -> list[dict]:
    """Assign the recommended crew to each new P1 ticket that waited ``auto_dispatch_after_s``
    without a dispatcher acting; the event says it was automatic. A ticket with no crew to
    send gets one "auto_dispatch_failed" event and stays for a person."""
    if settings.auto_dispatch_after_s is None or ports is None or ports.router is None:
        return []
    actor = Actor("auto-dispatch", "dispatcher")
    cutoff = now - timedelta(seconds=settings.auto_dispatch_after_s)
    done = []
    for row in uow.tickets.rows(status=["new"], limit=10_000):
        if row["priority"] != 1 or row["parent_ticket_id"] is not None or row["lon"] is None:
            continue
        if row["received_at"] > cutoff:
            continue
        if any(e["event_type"] == "auto_dispatch_failed" for e in uow.events.for_ticket(row["id"])):
            continue
        offers = _offers(uow, row)
        if not offers or _stale(offers[0], None, now, settings):
            offers = _recommend(uow, row, uow.crews.all(), now, ports)
        for offer in offers:
            try:
                assign_crew(
                    uow,
                    row["id"],
                    offer["crew_id"],
                    actor,
                    now,
                    automatic=True,
                    reason="no dispatcher acted in time",
                    settings=settings,
                    ports=ports,
                )
            except Conflict:
                continue  # that crew was taken meanwhile: try the next one
            done.append({"ticket_id": row["id"], "crew_id": offer["crew_id"]})
            break
        else:
            uow.events.append(
                row["id"],
                at=now,
                actor=actor.username,
                event_type="auto_dispatch_failed",
                data={"reason": "no eligible crew can reach it"},
            )
    return done


# --- helpers -----------------------------------------------------------------------------------


def _recommend(uow, row: dict, crews: list[dict], now: datetime, ports: Ports) -> list[dict]:
    """Route the crews with the skill the job needs to the ticket; store and return them."""
    if ports.router is None or row["lon"] is None:
        return []
    skill = required_skill(row["ticket_type"])
    offers = ports.router.recommend(row["lon"], row["lat"], skill, crews, now)
    uow.tickets.save_recommendations(row["id"], offers, now)
    return [{**o, "computed_at": now} for o in offers]


def _offer_for(uow, ticket_id: int, crew: dict, now: datetime, settings: Settings, ports):
    """The stored recommendation of this crew for this ticket, routed again when it is stale
    or was never made (the dispatcher picked a crew that was not recommended)."""
    stored = next(
        (o for o in uow.tickets.recommendations(ticket_id) if o["crew_id"] == crew["id"]), None
    )
    if stored is not None and not _stale(stored, crew, now, settings):
        return stored
    if ports.router is None:
        return stored
    row = uow.tickets.row(ticket_id)
    fresh = (
        ports.router.route_crew(row["lon"], row["lat"], crew) if row["lon"] is not None else None
    )
    return fresh if fresh is not None else stored


def _stale(offer: dict, crew: dict | None, now: datetime, settings: Settings) -> bool:
    if (now - offer["computed_at"]).total_seconds() > settings.recommendation_max_age_s:
        return True
    if crew is None or crew["lon"] is None or offer.get("crew_lon") is None:
        return False
    moved = great_circle_m(offer["crew_lon"], offer["crew_lat"], crew["lon"], crew["lat"])
    return moved > settings.recommendation_moved_m


def _offers(uow, row: dict) -> list[dict]:
    return uow.tickets.recommendations(row["id"])


def _ticket_answer(uow, ticket_id: int, actor: Actor) -> dict:
    row = uow.tickets.row(ticket_id)
    return {
        "ticket": _view(uow, row, actor),
        "duplicate_of": row["parent_ticket_id"],
        "recommendations": [json_shapes.recommendation_view(o) for o in _offers(uow, row)],
        "isolation": uow.tickets.isolation_plan(ticket_id),
    }


def _view(uow, row: dict, actor: Actor, *, full: bool = False) -> dict:
    """The ticket's JSON shape; every read of unmasked personal data is logged."""
    callers = uow.tickets.callers(row["id"]) if full else []
    unmasked = sees_personal_data(actor, row["crew_id"])
    if unmasked and (row["caller_name"] or row["caller_phone"] or callers):
        uow.events.personal_data_read(
            username=actor.username,
            role=actor.role,
            subject=f"ticket:{row['id']}",
            purpose="ticket view",
        )
    return json_shapes.ticket_view(row, actor, callers=callers if full else None)


def _visible_row(uow, ticket_id: int, actor: Actor) -> dict:
    row = uow.tickets.row(ticket_id)
    if row is None:
        raise NotFound(f"no ticket {ticket_id}", "id")
    if actor.role == "crew_lead" and row["crew_id"] != actor.crew_id:
        raise PermissionDenied("a crew lead sees only its own crew's jobs", "id")
    return row


def _link(uow, ticket_id: int, parent_id: int, actor: Actor, now: datetime, *, automatic: bool):
    uow.tickets.set_parent(ticket_id, parent_id)
    uow.tickets.move_callers(ticket_id, parent_id)
    data = {"automatic": automatic}
    uow.events.append(
        ticket_id,
        at=now,
        actor=actor.username,
        event_type="linked_as_duplicate",
        data={**data, "parent_id": parent_id},
    )
    uow.events.append(
        parent_id,
        at=now,
        actor=actor.username,
        event_type="caller_added",
        data={**data, "duplicate_ticket_id": ticket_id},
    )


def _load(uow, ticket_id: int, actor: Actor, *, lock: bool) -> Ticket:
    ticket = uow.tickets.get(ticket_id, lock=lock)
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id}", "id")
    if actor.role == "crew_lead" and ticket.crew_id != actor.crew_id:
        raise PermissionDenied("a crew lead sees and changes only its own crew's jobs", "id")
    return ticket


def _save(uow, ticket: Ticket, expected_version: int, event) -> None:
    if not uow.tickets.save(ticket, expected_version):
        raise Conflict("the ticket was changed by someone else; reload and retry", "version")
    uow.events.append_status(ticket.id, event)


def _restart_clocks(uow, ticket: Ticket, now: datetime) -> None:
    row = uow.tickets.row(ticket.id)
    due = deadlines(
        ticket.ticket_type,
        ticket.category,
        ticket.priority,
        row.get("jurisdiction") or "urban",
        now,
        Settings().policy,
    )
    uow.tickets.set_deadlines(ticket.id, due)


def _not_before(ticket: Ticket, now: datetime) -> datetime:
    """``now``, or the ticket's latest step when a request that read the clock earlier got
    the ticket's lock later: a ticket's times never go backwards."""
    return max([now, *(t for t in ticket.steps.values() if t is not None)])


def _free_crew_if_idle(uow, crew_id: int) -> None:
    if uow.crews.active_jobs(crew_id) == 0:
        crew = uow.crews.get(crew_id, lock=True)
        if crew is not None and crew["status"] == "busy":
            uow.crews.set_status(crew_id, "available")


def _customer(uow, data: dict) -> dict | None:
    account, meter_no = text_field(data, "account_no"), text_field(data, "meter_no")
    if not (account or meter_no):
        return None
    return uow.places.find_meter(account_no=account, meter_no=meter_no)


def _address(uow, data: dict, meter: dict | None, lon: float | None, lat: float | None):
    """The address as given, else the customer's, else the nearest one to the point (reverse
    geocoding), so that no ticket shows only its number where the address should be."""
    given = text_field(data, "address")
    if given:
        return given
    if meter is not None:
        return meter["address"]
    return uow.places.nearest_address(lon, lat) if lon is not None else None


def _locate(uow, data: dict, *, required: bool):
    """The ticket's point: lon/lat, else the meter found by account or meter number, else the
    address when the offline geocoder finds one clear match (never a silent guess)."""
    if data.get("lon") is not None or data.get("lat") is not None:
        lon = float_field(data, "lon", required=True, lo=-180, hi=180)
        lat = float_field(data, "lat", required=True, lo=-90, hi=90)
        return lon, lat, None
    account, meter_no = text_field(data, "account_no"), text_field(data, "meter_no")
    if account or meter_no:
        meter = uow.places.find_meter(account_no=account, meter_no=meter_no)
        if meter is None:
            name = "account_no" if account else "meter_no"
            raise NotFound(f"`{name}`: no customer with {name} {account or meter_no!r}", name)
        return float(meter["lon"]), float(meter["lat"]), meter
    address = text_field(data, "address")
    if address and required:
        candidates = uow.places.search_addresses(address, limit=5)
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
