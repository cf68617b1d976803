"""Past work for the demo: ``dispatch demo history --days N [--seed S]``.

A fresh demo has no past, so the manager's maps and the regulators' records would be empty.
This generates ``days`` whole days of field work ending at the start of ``until`` (a local
date of the territory's time zone, default today), consistent with the territory:

- **Calls** per local hour: a Poisson number with mean ``calls_per_day`` × :data:`HOUR_SHARE`
  (quiet at night, peaks in the morning and the early evening), at a uniform minute of the
  hour; scheduled services only in working hours (:data:`WORKING_HOURS`). Types from the
  simulator's :data:`~dispatch.simulation.simulator.TYPE_MIX` restricted to field work (calls
  answered on the phone have no lifecycle to generate yet). Street types and a share of leaks
  at a point on a main (drawn by length), the others at a customer's meter. Deadlines from the
  clock policy of the settings (jurisdiction urban), as at intake.
- **Dispatch**: after :data:`DISPATCH_DELAY_MIN` the crew with the skill that arrives first is
  sent: on shift (day 08-20, night 20-08 local), free of its previous job, setting off from
  its depot. Travel times and routes come from the territory's road router
  (:class:`dispatch.crew_recommender.RoadCrewRouter`: the times from every depot to every
  call in one batch, ``travel_times_from``, then the road route of the crew sent,
  ``route_from``); the drive takes the router's time × :data:`TRAFFIC_BY_HOUR` × a
  log-normal factor, and a share :data:`HOLD_UP_SHARE` of drives is held up (address not
  found, blocked street) — so some deadlines are missed, as in life.
- **The job** then moves along as the simulator's crews do (accept, en route, on site, made
  safe for emergencies, repaired, closed; :mod:`dispatch.simulation.simulator`'s ranges),
  through :class:`dispatch.ticket_model.Ticket`, so the step times and the event log are the
  lifecycle's own. A share :data:`CANCEL_SHARE` is cancelled by the caller before the crew
  arrives. Steps after ``now`` are not taken (a job still running stays open).

Same seed, same territory, same ``until``: same history. Everything is written in one
transaction through :mod:`dispatch.simulation.history_repository`.
"""

from __future__ import annotations

import time as timer
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from dispatch import manager_repository
from dispatch.clocks import ClockPolicy, deadlines
from dispatch.repository import linestring_wkt
from dispatch.simulation import history_repository as hr
from dispatch.simulation.simulator import (
    ACCEPT_AFTER_S,
    CLOSE_AFTER_S,
    EN_ROUTE_AFTER_S,
    MAKE_SAFE_AFTER_S,
    OUTDOOR_LEAK_SHARE,
    REPAIR_MIN,
    STREET_TYPES,
    TYPE_MIX,
)
from dispatch.ticket_model import SKILL_FOR_TYPE, Ticket, category_of, default_priority
from dispatch.unit_of_work import UnitOfWork
from gis.demo.people import synthetic_mobiles, synthetic_names

ACTOR = hr.HISTORY_ACTOR
#: Share of a day's calls in each local hour (0-23), from relative weights; sums to 1.
_HOUR_WEIGHTS = (
    1.2, 0.8, 0.6, 0.5, 0.5, 0.8, 1.8, 3.5, 6.0, 7.0, 6.8, 6.2,
    5.6, 5.4, 5.3, 5.4, 5.8, 6.4, 6.6, 5.6, 4.4, 3.4, 2.6, 1.8,
)  # fmt: skip
HOUR_SHARE = tuple(w / sum(_HOUR_WEIGHTS) for w in _HOUR_WEIGHTS)
#: Local hours [start, end) in which scheduled services are booked.
WORKING_HOURS = (8, 18)
#: Minutes from the call to the assignment, (low, high) uniform, by category.
DISPATCH_DELAY_MIN = {"emergency": (0.5, 3.0), "repair": (2.0, 20.0), "scheduled": (10.0, 120.0)}
#: Road time multiplier by local hour (rush hours are slower than the router's free flow).
TRAFFIC_BY_HOUR = tuple(
    1.0 if h < 6 or h >= 21 else 1.5 if h in (7, 8, 16, 17) else 1.25 for h in range(24)
)
#: Sigma of the log-normal spread of a drive around its expected time.
DRIVE_SPREAD = 0.25
#: Share of drives held up, and by how many minutes (low, high) uniform.
HOLD_UP_SHARE = 0.06
HOLD_UP_MIN = (10.0, 45.0)
#: Share of field calls cancelled by the caller before the crew arrives.
CANCEL_SHARE = 0.02
#: Crew shifts by local hour: (first hour, hours long).
SHIFT_HOURS = {"round_the_clock": None, "day": (8, 12), "night": (20, 12)}


@dataclass
class CrewState:
    id: int
    depot_id: int
    skills: frozenset[str]
    shift: str
    free_at: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))


def field_type_mix() -> dict[str, float]:
    """The simulator's mix restricted to field work, renormalised to sum to 1."""
    mix = {t: w for t, w in TYPE_MIX.items() if category_of(t) != "non_field"}
    total = sum(mix.values())
    return {t: w / total for t, w in mix.items()}


def on_shift_from(crew: CrewState, at: datetime, zone: ZoneInfo) -> datetime:
    """The first moment from ``at`` on at which the crew is on shift."""
    hours = SHIFT_HOURS.get(crew.shift)
    if hours is None:
        return at
    first, length = hours
    local = at.astimezone(zone)
    for back in (1, 0):  # a night shift that started yesterday, then today's and tomorrow's
        day = local.date() - timedelta(days=back)
        start = datetime.combine(day, time(first), zone)
        if start <= local < start + timedelta(hours=length):
            return at
    today = datetime.combine(local.date(), time(first), zone)
    return (today if today > local else today + timedelta(days=1)).astimezone(UTC)


@dataclass(frozen=True)
class Call:
    received_at: datetime
    ticket_type: str
    site: dict  # lon, lat, address, account_no, meter_id


def draw_calls(
    rng: np.random.Generator,
    days: list[date],
    zone: ZoneInfo,
    calls_per_day: float,
) -> list[tuple[datetime, str]]:
    """(received_at in UTC, type) of every call of ``days``, in time order."""
    mix = field_type_mix()
    types, weights = list(mix), np.array(list(mix.values()))
    calls = []
    for day in days:
        for hour in range(24):
            start = datetime.combine(day, time(hour), zone).astimezone(UTC)
            n = rng.poisson(calls_per_day * HOUR_SHARE[hour])
            for _ in range(n):
                ticket_type = types[rng.choice(len(types), p=weights)]
                at = start + timedelta(seconds=float(rng.uniform(0, 3600)))
                if category_of(ticket_type) == "scheduled" and not (
                    WORKING_HOURS[0] <= hour < WORKING_HOURS[1]
                ):
                    booked = int(rng.integers(*WORKING_HOURS))
                    at = datetime.combine(day, time(booked), zone).astimezone(UTC) + timedelta(
                        seconds=float(rng.uniform(0, 3600))
                    )
                calls.append((at, ticket_type))
    calls.sort()
    return calls


def generate(
    dsn: str,
    router,
    *,
    days: int,
    seed: int = 7,
    until: date | None = None,
    calls_per_day: float = 120.0,
    now: datetime | None = None,
    policy: ClockPolicy | None = None,
) -> dict:
    """Generate and write the history; returns counts, seconds and rows per second. Refuses
    (ValueError naming the field) when ``days`` is not positive or history is already there."""
    if days <= 0:
        raise ValueError("`days` must be a positive number of days")
    now = now or datetime.now(UTC)
    policy = policy or ClockPolicy.from_settings()
    started = timer.perf_counter()
    rng = np.random.default_rng(seed)
    with UnitOfWork(dsn) as uow:
        cur = uow.cur
        span = hr.history_span(cur)
        if span["tickets"]:
            raise ValueError(
                f"`history`: {span['tickets']} generated tickets are already there"
                f" ({span['first']:%Y-%m-%d} to {span['last']:%Y-%m-%d}); nothing done"
            )
        zone = ZoneInfo(hr.territory_timezone(cur))
        last = until or now.astimezone(zone).date()
        day_list = [last - timedelta(days=d) for d in range(days, 0, -1)]
        depots = hr.depots(cur)
        crews = [
            CrewState(int(c["id"]), int(c["depot_id"]), frozenset(c["skills"]), c["shift"])
            for c in hr.crews(cur)
        ]
        meters = hr.meter_sites(cur)
        mains = hr.main_lengths(cur)
        if not depots or not crews or not mains:
            raise ValueError("`territory`: no depots, crews or mains; load a territory first")
        calls = draw_calls(rng, day_list, zone, calls_per_day)
        sites = _sites(cur, rng, calls, meters, mains)
        names = synthetic_names(rng, len(calls))
        phones = synthetic_mobiles(rng, len(calls))
        drawn_s = timer.perf_counter() - started
        routed = router.travel_times_from(depots, [(s["lon"], s["lat"]) for s in sites])
        by_id = {d["id"]: d for d in depots}

        def route(depot_id: int, site: dict) -> dict | None:
            return router.route_from(by_id[depot_id], site["lon"], site["lat"])

        ids = hr.reserve_ticket_ids(cur, len(calls))
        rows = _play(rng, calls, sites, routed, route, crews, ids, names, phones, zone, now, policy)
        routed_s = timer.perf_counter() - started - drawn_s
        counts = hr.write_history(cur, **rows)
        # The history's H3 cells, and with them the response-time map's daily histograms.
        manager_repository.sync_cells(cur)
    seconds = timer.perf_counter() - started
    total = sum(counts.values())
    return {
        "days": days,
        "first_day": day_list[0].isoformat(),
        "last_day": day_list[-1].isoformat(),
        **counts,
        "seconds": round(seconds, 2),
        "draw_s": round(drawn_s, 2),
        "route_and_play_s": round(routed_s, 2),
        "rows_per_s": round(total / seconds) if seconds else None,
    }


def _sites(cur, rng, calls, meters, mains) -> list[dict]:
    """Where each call is: a point on a main (street types, outdoor leaks) or a meter."""
    on_street = [
        t in STREET_TYPES or (t == "gas_leak" and rng.random() < OUTDOOR_LEAK_SHARE)
        for _, t in calls
    ]
    main_ids, lengths = zip(*mains, strict=True)
    weights = np.array(lengths) / sum(lengths)
    n_street = sum(on_street)
    chosen = rng.choice(len(main_ids), size=n_street, p=weights)
    fractions = rng.uniform(0, 1, size=n_street)
    points = hr.points_along_mains(
        cur, [int(main_ids[i]) for i in chosen], [float(f) for f in fractions]
    )
    meter_picks = rng.integers(0, len(meters), size=len(calls)) if meters else None
    sites, street = [], iter(points)
    for i, outdoor in enumerate(on_street):
        if outdoor or not meters:
            p = next(street) if outdoor else None
            if p is None:  # no meters at all: every call on a main
                p = hr.points_along_mains(cur, [int(main_ids[0])], [0.5])[0]
            number = int(rng.integers(1, 120))
            sites.append(
                {
                    "lon": p["lon"],
                    "lat": p["lat"],
                    "address": f"{p['street_name'] or 'Main'} {number}",
                    "account_no": None,
                    "meter_id": None,
                }
            )
        else:
            m = meters[int(meter_picks[i])]
            sites.append(
                {
                    "lon": m["lon"],
                    "lat": m["lat"],
                    "address": m["address"],
                    "account_no": m["account_no"],
                    "meter_id": m["id"],
                }
            )
    return sites


def _seconds(rng, bounds: tuple[float, float]) -> timedelta:
    return timedelta(seconds=float(rng.uniform(*bounds)))


def _play(rng, calls, sites, routed, route, crews, ids, names, phones, zone, now, policy) -> dict:
    tickets, assignments, events, callers = [], [], [], []
    for (received_at, ticket_type), site, routes, ticket_id, name, phone in zip(
        calls, sites, routed, ids, names, phones, strict=True
    ):
        category = category_of(ticket_type)
        priority = default_priority(ticket_type)
        due = deadlines(ticket_type, category, priority, "urban", received_at, policy)
        ticket = Ticket.open(ticket_type, priority=priority, at=received_at, actor=ACTOR)
        ticket.id = ticket_id
        ticket.number = f"T{received_at.astimezone(UTC):%Y%m%d}-{ticket_id:06d}"
        skill = SKILL_FOR_TYPE[ticket_type]
        ready = received_at + timedelta(minutes=float(rng.uniform(*DISPATCH_DELAY_MIN[category])))
        cancel = rng.random() < CANCEL_SHARE
        best = None
        for crew in crews:
            if skill not in crew.skills or crew.depot_id not in routes:
                continue
            start = on_shift_from(crew, max(ready, crew.free_at), zone)
            arrive = start + timedelta(seconds=routes[crew.depot_id])
            if best is None or arrive < best[0]:
                best = (arrive, start, crew)
        steps = []  # (status, at)
        crew = trip = None
        if best is not None:
            _, start, crew = best
            trip = route(crew.depot_id, site) or {
                "travel_time_s": routes[crew.depot_id],
                "route": None,
            }
            local_hour = start.astimezone(zone).hour
            drive = trip["travel_time_s"] * TRAFFIC_BY_HOUR[local_hour]
            drive *= float(rng.lognormal(0, DRIVE_SPREAD))
            if rng.random() < HOLD_UP_SHARE:
                drive += float(rng.uniform(*HOLD_UP_MIN)) * 60
            accepted = start + _seconds(rng, ACCEPT_AFTER_S)
            en_route = accepted + _seconds(rng, EN_ROUTE_AFTER_S)
            on_site = en_route + timedelta(seconds=max(drive, 30.0))
            steps = [("assigned", start), ("accepted", accepted), ("en_route", en_route)]
            steps.append(("on_site", on_site))
            work_from = on_site
            if category == "emergency":
                work_from = on_site + _seconds(rng, MAKE_SAFE_AFTER_S)
                steps.append(("made_safe", work_from))
            low, high = REPAIR_MIN[ticket_type]
            repaired = work_from + timedelta(minutes=float(rng.uniform(low, high)))
            steps += [("repaired", repaired), ("closed", repaired + _seconds(rng, CLOSE_AFTER_S))]
        if cancel or crew is None:
            first = steps[1][1] if len(steps) > 1 else ready + timedelta(minutes=30)
            cancel_at = received_at + (first - received_at) * float(rng.uniform(0.2, 0.9))
            steps = [s for s in steps if s[1] < cancel_at] + [("cancelled", cancel_at)]
        release = None
        for status, at in steps:
            if at > now:
                break
            if status == "assigned":
                eta = (best[0] - start).total_seconds()
                ticket.assign(crew.id, at=at, actor=ACTOR, eta_s=eta)
            elif status == "cancelled":
                ticket.transition(status, at=at, actor=ACTOR, reason="caller: no longer needed")
                release = (at, "cancelled")
            else:
                ticket.transition(status, at=at, actor=ACTOR)
                if status == "closed":
                    release = (at, "closed")
        if ticket.steps.get("assigned_at") is not None and crew is not None:
            end = release[0] if release else None
            crew.free_at = max(crew.free_at, steps[-1][1])
            assignments.append(
                {
                    "ticket_id": ticket_id,
                    "crew_id": crew.id,
                    "assigned_at": ticket.steps["assigned_at"],
                    "assigned_by": ACTOR,
                    "automatic": True,
                    "eta_s": ticket.events[1].data.get("eta_s"),
                    "released_at": end,
                    "release_reason": release[1] if release else None,
                    "emergency": category == "emergency",
                    "route_wkt": _route_wkt(trip["route"]),
                }
            )
        tickets.append(
            {
                **{c: ticket.steps.get(c) for c in _STEP_FIELDS},
                "id": ticket_id,
                "number": ticket.number,
                "ticket_type": ticket_type,
                "priority": priority,
                "status": ticket.status,
                "address": site["address"],
                "description": "",
                "account_no": site["account_no"],
                "meter_id": site["meter_id"],
                "caller_name": name,
                "caller_phone": phone,
                "receiving_department": "hotline",
                "taken_by": ACTOR,
                "received_at": received_at,
                "jurisdiction": "urban",
                "arrival_due_at": due.arrival_due_at,
                "make_safe_due_at": due.make_safe_due_at,
                "reply_due_at": due.reply_due_at,
                "depart_due_at": due.depart_due_at,
                "crew_id": ticket.crew_id,
                "version": ticket.version,
                "lon": site["lon"],
                "lat": site["lat"],
            }
        )
        callers.append(
            {"ticket_id": ticket_id, "caller_name": name, "caller_phone": phone,
             "called_at": received_at}
        )  # fmt: skip
        for event in ticket.events:
            events.append(_event_row(ticket_id, event))
    return {"tickets": tickets, "assignments": assignments, "events": events, "callers": callers}


_STEP_FIELDS = (
    "assigned_at",
    "accepted_at",
    "en_route_at",
    "on_site_at",
    "arrived_at",
    "made_safe_at",
    "repaired_at",
    "closed_at",
    "cancelled_at",
)


def _route_wkt(route: list[list[float]] | None) -> str | None:
    """The route as WKT; None when it does not leave the spot (the depot at the job)."""
    if not route or all(p == route[0] for p in route):
        return None
    return linestring_wkt(route)


def _event_row(ticket_id: int, event) -> dict:
    if hasattr(event, "to_status"):
        return {
            "ticket_id": ticket_id,
            "at": event.at,
            "actor": event.actor,
            "event_type": event.event_type,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "reason": event.reason,
            "data": event.data,
        }
    return {  # TicketOpened
        "ticket_id": ticket_id,
        "at": event.at,
        "actor": event.actor,
        "event_type": event.event_type,
        "to_status": "new",
        "data": {"type": event.ticket_type, "priority": event.priority},
    }
