"""The crew lead's jobs, as the phone shows them, and what the crew reports from the valves.

Use cases like those of :mod:`dispatch.ticket_service` (a unit of work, the acting user, the
time): :func:`crew_board` is the crew's current job in full (the ticket with its caller, the
stored road route and ETA, the valves to close in order with their distance from the leak and
what the crew reported of each) with its queued and earlier jobs below; :func:`board_signature`
is a cheap fingerprint of the same, so a page redraws (and logs a read of the caller's phone)
only when something changed; :func:`report_valve` records a valve closed or stuck, a stuck one
tracing the plan again around every valve the crew found stuck and storing the widened plan.

A crew lead sees and reports only its own crew's jobs (the checks of ``ticket_service``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dispatch import ticket_service
from dispatch.actor import Actor
from dispatch.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dispatch.ports import Ports
from dispatch.ticket_model import CREW_BOUND, STATUSES, TRANSITIONS
from routing.distance import great_circle_m

#: The statuses a crew lead goes through, in the order of the work; a status the lifecycle
#: does not know (yet) is left out, so a new step shows once the lifecycle has it.
WORK_ORDER = (
    "accepted",
    "en_route",
    "on_site",
    "made_safe",
    "repaired",
    "gas_restored",
    "closed",
)
#: What a crew reports of a valve, and the event each writes.
VALVE_EVENTS = {"closed": "valve_closed", "stuck": "valve_stuck"}
#: Earlier (finished) jobs shown below the current one.
EARLIER_JOBS = 10
#: Progress of a job through the work: the furthest one is the crew's current job.
_PROGRESS = {status: rank for rank, status in enumerate(("new", "assigned", *WORK_ORDER))}


def crew_board(uow, actor: Actor, now: datetime) -> dict:
    """``{"crew_id", "current", "queued", "earlier"}``: the job the crew works on now (in full,
    see :func:`job_detail`; None when it has none), its other open jobs (queued) and its last
    finished ones (earlier), as the API's ticket views."""
    crew_id = _crew_of(actor)
    open_jobs, earlier = _jobs(uow, actor)
    current = open_jobs[0] if open_jobs else None
    return {
        "crew_id": crew_id,
        "current": None if current is None else job_detail(uow, current["id"], actor, now),
        "queued": open_jobs[1:],
        "earlier": earlier,
    }


def board_signature(uow, actor: Actor) -> list:
    """What the board shows depends on: each job's id, status, version and callers, and the
    last event of each open job (valve reports change no status). Reads no personal data."""
    _crew_of(actor)
    rows = uow.tickets.rows(crew_id=actor.crew_id, limit=1000)
    signature = []
    for row in sorted(rows, key=lambda r: r["id"]):
        mark = [row["id"], row["status"], row["version"], row["callers"]]
        if row["status"] not in ("closed", "cancelled"):
            events = uow.events.for_ticket(row["id"])
            mark.append(events[-1]["id"] if events else 0)
        signature.append(mark)
    return signature


def own_tickets(uow, actor: Actor, ticket_ids) -> set[int]:
    """Those of ``ticket_ids`` that are the crew lead's own crew's jobs now (the live push to
    a crew lead's phone carries only these)."""
    crew_id = _crew_of(actor)
    own = set()
    for ticket_id in set(ticket_ids):
        row = uow.tickets.row(ticket_id)
        if row is not None and row["crew_id"] == crew_id:
            own.add(ticket_id)
    return own


def job_detail(uow, ticket_id: int, actor: Actor, now: datetime) -> dict:
    """One job as the crew lead works it: the ticket (its caller's phone unmasked for the lead
    of this job, and that read logged), the assignment's road route and ETA (else the route
    stored when the crew was recommended), the valves of the stored isolation plan in order,
    and the status buttons."""
    ticket = ticket_service.get_ticket(uow, ticket_id, actor)
    assignment = uow.crews.active_assignment(ticket_id)
    route, eta_at, eta_s = [], None, None
    if assignment is not None and assignment["crew_id"] == ticket["crew_id"]:
        route = assignment["route"]
        eta_s = assignment["eta_s"]
        if eta_s is not None:
            eta_at = (assignment["assigned_at"] + timedelta(seconds=eta_s)).isoformat()
    if not route:
        offer = next(
            (o for o in ticket["recommendations"] if o["crew_id"] == ticket["crew_id"]), None
        )
        route = [] if offer is None else offer["route"]
    events = uow.events.for_ticket(ticket_id)
    return {
        "ticket": ticket,
        "route": route,
        "eta_s": eta_s,
        "eta_at": eta_at,
        "valves": valves_in_order(ticket, ticket["isolation"], events),
        "steps": work_steps(ticket["status"], actor),
        "now": now.isoformat(),
    }


def valves_in_order(ticket: dict, plan: dict | None, events: list[dict]) -> list[dict]:
    """The plan's valves to close, in the plan's order, each with its distance from the leak
    (metres along the ground) and what the crew reported: ``open``, ``closed`` or ``stuck``
    (the last report counts). Valves found stuck are listed after them."""
    if not plan:
        return []
    reported: dict[int, str] = {}
    for event in events:
        kind = event["event_type"]
        if kind in VALVE_EVENTS.values():
            state = "closed" if kind == "valve_closed" else "stuck"
            reported[int((event.get("data") or {}).get("valve_id"))] = state
    out = []
    for order, valve in enumerate(plan.get("valves") or [], start=1):
        distance = None
        if ticket.get("lon") is not None:
            distance = great_circle_m(ticket["lon"], ticket["lat"], valve["lon"], valve["lat"])
        out.append(
            {
                "order": order,
                "id": valve["id"],
                "lon": valve["lon"],
                "lat": valve["lat"],
                "access_note": valve.get("access_note"),
                "distance_m": None if distance is None else round(distance),
                "state": reported.get(int(valve["id"]), "open"),
            }
        )
    listed = {v["id"] for v in out}
    for valve_id, state in reported.items():
        if state == "stuck" and valve_id not in listed:
            out.append(
                {
                    "order": None,
                    "id": valve_id,
                    "lon": None,
                    "lat": None,
                    "access_note": None,
                    "distance_m": None,
                    "state": "stuck",
                }
            )
    return out


def work_steps(status: str, actor: Actor) -> list[dict]:
    """The status buttons in the order of the work (only statuses the lifecycle has), each
    ``{"status", "enabled", "done", "reason"}``: enabled when the lifecycle allows it next and
    the role may set it; otherwise ``reason`` says why not (``done``: passed already;
    ``not_next``: other steps come first; ``dispatcher_only``: the role may not set it)."""
    allowed = TRANSITIONS.get(status, ())
    here = _PROGRESS.get(status, -1)
    steps = []
    for step in WORK_ORDER:
        if step not in STATUSES:
            continue
        done = _PROGRESS[step] <= here
        may = actor.role != "crew_lead" or step in ticket_service.CREW_LEAD_STATUSES
        if done:
            reason = "done"
        elif step not in allowed:
            reason = "not_next"
        elif not may:
            reason = "dispatcher_only"
        else:
            reason = None
        steps.append({"status": step, "enabled": reason is None, "done": done, "reason": reason})
    return steps


def report_valve(
    uow,
    ticket_id: int,
    valve_id: object,
    state: object,
    actor: Actor,
    now: datetime,
    ports: Ports,
) -> dict:
    """Record what the crew found at a valve of the ticket's stored isolation plan: ``closed``
    writes a ``valve_closed`` event; ``stuck`` traces the plan again with every valve reported
    stuck on this ticket treated as inoperable, stores the widened plan (the wall reads it)
    and writes a ``valve_stuck`` event naming the valve and the valves now to close. Returns
    ``{"ticket_id", "valve_id", "state", "isolation"}`` with the plan now stored."""
    if state not in VALVE_EVENTS:
        raise InvalidInput(f"`state` must be one of {', '.join(VALVE_EVENTS)}", "state")
    if isinstance(valve_id, bool) or not isinstance(valve_id, int) or valve_id < 1:
        raise InvalidInput("`valve_id` must be a positive integer", "valve_id")
    row = uow.tickets.row(ticket_id, lock=True)  # two reports of one plan, one after the other
    if row is None:
        raise NotFound(f"no ticket {ticket_id}", "id")
    if actor.role == "crew_lead" and row["crew_id"] != actor.crew_id:
        raise PermissionDenied("a crew lead reports only on its own crew's jobs", "id")
    if row["status"] in ("closed", "cancelled"):
        raise Conflict(f"the ticket is {row['status']}", "id")
    plan = uow.tickets.isolation_plan(ticket_id)
    if plan is None:
        raise InvalidInput("only an emergency ticket with an isolation plan has valves", "id")
    events = uow.events.for_ticket(ticket_id)
    stuck = _stuck_valves(events)
    if valve_id in stuck:
        raise Conflict(f"`valve_id`: valve {valve_id} was already reported stuck", "valve_id")
    if valve_id not in {int(v["id"]) for v in plan["valves"]}:
        raise NotFound(f"`valve_id`: valve {valve_id} is not in this ticket's plan", "valve_id")
    if state == "stuck":
        plan = ticket_service.isolation_plan(uow, ticket_id, actor, ports, stuck=(*stuck, valve_id))
        uow.tickets.save_isolation_plan(ticket_id, plan, now)
        data = {"valve_id": valve_id, "valves_to_close": [int(v["id"]) for v in plan["valves"]]}
    else:
        data = {"valve_id": valve_id}
    uow.events.append(
        ticket_id, at=now, actor=actor.username, event_type=VALVE_EVENTS[state], data=data
    )
    return {"ticket_id": ticket_id, "valve_id": valve_id, "state": state, "isolation": plan}


def _stuck_valves(events: list[dict]) -> tuple[int, ...]:
    return tuple(
        int(e["data"]["valve_id"]) for e in events if e["event_type"] == VALVE_EVENTS["stuck"]
    )


def _crew_of(actor: Actor) -> int:
    if actor.role != "crew_lead" or actor.crew_id is None:
        raise PermissionDenied("only a crew lead has a crew's jobs", None)
    return actor.crew_id


def _jobs(uow, actor: Actor) -> tuple[list[dict], list[dict]]:
    """The crew's open jobs, the one furthest along first (then by priority and call time),
    and its last finished ones, newest first."""
    views = ticket_service.list_tickets(uow, actor, limit=1000)
    open_jobs = [v for v in views if v["status"] not in ("closed", "cancelled")]
    open_jobs.sort(
        key=lambda v: (
            v["status"] not in CREW_BOUND,
            -_PROGRESS.get(v["status"], 0),
            v["priority"],
            v["received_at"],
        )
    )
    earlier = [v for v in views if v["status"] == "closed"]
    earlier.sort(key=lambda v: v["received_at"], reverse=True)
    return open_jobs, earlier[:EARLIER_JOBS]
