"""In-memory fakes of the ticket path's storage and ports, for unit tests of the use cases that
run in milliseconds without a database. They keep the contracts of
:mod:`dispatch.ticket_repository` (rows as dicts with the same keys, the same refusals), and
the PostGIS integration tests check the real ones."""

from __future__ import annotations

import copy
import math
from datetime import datetime
from typing import ClassVar

from dispatch.ticket_model import STEP_COLUMNS, Ticket, category_of
from routing.distance import great_circle_m

#: A fake road: every crew drives straight at this speed (m/s).
FAKE_SPEED_MPS = 10.0


class FakeTickets:
    def __init__(self) -> None:
        self.by_id: dict[int, dict] = {}
        self.callers_of: dict[int, list[dict]] = {}
        self.keys: dict[tuple[str, str], int] = {}
        self.offers: dict[int, list[dict]] = {}
        self.plans: dict[int, dict] = {}

    def row(self, ticket_id: int, *, lock: bool = False) -> dict | None:
        row = self.by_id.get(ticket_id)
        return None if row is None else copy.deepcopy(row)

    def get(self, ticket_id: int, *, lock: bool = False) -> Ticket | None:
        row = self.by_id.get(ticket_id)
        if row is None:
            return None
        return Ticket(
            id=row["id"],
            number=row["number"],
            ticket_type=row["ticket_type"],
            priority=row["priority"],
            status=row["status"],
            received_at=row["received_at"],
            crew_id=row["crew_id"],
            steps={c: row[c] for c in STEP_COLUMNS},
            version=row["version"],
        )

    def rows(self, *, status=None, open_only=False, crew_id=None, limit=200, **_) -> list[dict]:
        rows = [
            r
            for r in self.by_id.values()
            if (status is None or r["status"] in status)
            and (not open_only or r["status"] not in ("closed", "cancelled"))
            and (crew_id is None or r["crew_id"] == crew_id)
        ]
        rows.sort(key=lambda r: (r["priority"], r["received_at"]))
        return [copy.deepcopy(r) for r in rows[:limit]]

    def add(self, ticket: Ticket, fields: dict) -> Ticket:
        ticket.id = len(self.by_id) + 1
        ticket.number = f"T{ticket.received_at:%Y%m%d}-{ticket.id:06d}"
        self.by_id[ticket.id] = {
            **fields,
            "id": ticket.id,
            "number": ticket.number,
            "ticket_type": ticket.ticket_type,
            "category": category_of(ticket.ticket_type),
            "priority": ticket.priority,
            "status": "new",
            "received_at": ticket.received_at,
            "crew_id": None,
            "parent_ticket_id": None,
            "version": 1,
            "callers": 1,
            **{c: None for c in STEP_COLUMNS},
        }
        return ticket

    def save(self, ticket: Ticket, expected_version: int) -> bool:
        row = self.by_id[ticket.id]
        if row["version"] != expected_version:
            return False
        row.update(status=ticket.status, crew_id=ticket.crew_id, version=ticket.version)
        row.update(received_at=ticket.received_at)
        row.update({c: ticket.steps.get(c) for c in STEP_COLUMNS})
        return True

    def duplicate_candidates(self, *, lon, lat, since, radius_m, types) -> list[dict]:
        near = [
            (great_circle_m(lon, lat, r["lon"], r["lat"]), r)
            for r in self.by_id.values()
            if r["parent_ticket_id"] is None
            and r["status"] not in ("closed", "cancelled")
            and r["ticket_type"] in types
            and r["received_at"] >= since
            and r["lon"] is not None
        ]
        return [
            {"id": r["id"], "distance_m": d}
            for d, r in sorted(near, key=lambda x: x[0])
            if d <= radius_m
        ]

    def set_parent(self, ticket_id: int, parent_id: int | None) -> None:
        self.by_id[ticket_id]["parent_ticket_id"] = parent_id

    def add_caller(self, ticket_id: int, *, name, phone, at, from_ticket_id=None) -> None:
        self.callers_of.setdefault(ticket_id, []).append(
            {"caller_name": name, "caller_phone": phone, "called_at": at, "from_ticket_id": None}
        )

    def move_callers(self, from_ticket_id: int, parent_id: int, *, back: bool = False) -> None:
        source, target = (parent_id, from_ticket_id) if back else (from_ticket_id, parent_id)
        self.callers_of.setdefault(target, []).extend(self.callers_of.pop(source, []))
        for tid in (source, target):
            self.by_id[tid]["callers"] = max(1, len(self.callers_of.get(tid, [])))

    def callers(self, ticket_id: int) -> list[dict]:
        return list(self.callers_of.get(ticket_id, []))

    def set_arrival(self, ticket_id: int, at: datetime) -> None:
        self.by_id[ticket_id]["arrived_at"] = at

    def set_deadlines(self, ticket_id: int, due) -> None:
        self.by_id[ticket_id].update(
            arrival_due_at=due.arrival_due_at,
            make_safe_due_at=due.make_safe_due_at,
            reply_due_at=due.reply_due_at,
            depart_due_at=due.depart_due_at,
        )

    def active_of_crews(self, crew_ids: list[int]) -> list[dict]:
        return [
            {"id": r["id"], "crew_id": r["crew_id"], "lon": r["lon"], "lat": r["lat"]}
            for r in self.by_id.values()
            if r["crew_id"] in crew_ids
            and r["status"] in ("assigned", "accepted", "en_route", "on_site")
        ]

    def deadline_alerts_raised(self, ticket_ids) -> dict:
        return {}

    def idempotent(self, username: str, key: str) -> int | None:
        return self.keys.get((username, key))

    def lock_idempotency_key(self, username: str, key: str) -> None:
        return None  # one thread: nothing to wait for

    def remember_idempotency(self, username: str, key: str, ticket_id: int) -> None:
        self.keys[(username, key)] = ticket_id

    def save_recommendations(self, ticket_id: int, offers: list[dict], at: datetime) -> None:
        self.offers[ticket_id] = [{**o, "computed_at": at} for o in offers]

    def recommendations(self, ticket_id: int) -> list[dict]:
        return copy.deepcopy(self.offers.get(ticket_id, []))

    def waiting_for_fresh_recommendations(self, older_than: datetime) -> list[dict]:
        return [
            copy.deepcopy(r)
            for r in self.by_id.values()
            if r["status"] == "new"
            and r["parent_ticket_id"] is None
            and r["lon"] is not None
            and r["category"] != "non_field"
            and all(o["computed_at"] < older_than for o in self.offers.get(r["id"], []))
        ]

    def save_isolation_plan(self, ticket_id: int, plan: dict, at: datetime) -> None:
        self.plans[ticket_id] = copy.deepcopy(plan)

    def isolation_plan(self, ticket_id: int) -> dict | None:
        return copy.deepcopy(self.plans.get(ticket_id))


class FakeCrews:
    def __init__(self, crews: list[dict]) -> None:
        self.by_id = {c["id"]: dict(c) for c in crews}
        self.assignments: list[dict] = []
        self.fixes: list[dict] = []

    def get(self, crew_id: int, *, lock: bool = False) -> dict | None:
        crew = self.by_id.get(crew_id)
        return None if crew is None else dict(crew)

    def all(self) -> list[dict]:
        return [dict(c) for c in self.by_id.values()]

    def set_status(self, crew_id: int, status: str) -> None:
        self.by_id[crew_id]["status"] = status

    def active_assignment(self, ticket_id: int) -> dict | None:
        for a in self.assignments:
            if a["ticket_id"] == ticket_id and a["released_at"] is None:
                code = self.by_id[a["crew_id"]]["code"]
                return {
                    **a,
                    "crew_code": code,
                    "assigned_by": a["by"],
                    "assigned_at": a["at"],
                    "route": list(a.get("route") or []),
                }
        return None

    def emergency_job(self, crew_id: int) -> dict | None:
        for a in self.assignments:
            if a["crew_id"] == crew_id and a["released_at"] is None and a["emergency"]:
                return {"ticket_id": a["ticket_id"], "number": f"#{a['ticket_id']}"}
        return None

    def active_jobs(self, crew_id: int) -> int:
        return sum(a["crew_id"] == crew_id and a["released_at"] is None for a in self.assignments)

    def add_assignment(self, **assignment) -> None:
        self.assignments.append({**assignment, "released_at": None})

    def release_assignment(self, ticket_id: int, *, at: datetime, reason: str) -> int | None:
        for a in self.assignments:
            if a["ticket_id"] == ticket_id and a["released_at"] is None:
                a["released_at"] = at
                return a["crew_id"]
        return None

    def latest_fixes(self, crew_ids: list[int]) -> list[dict]:
        return [dict(self.by_id[i]) for i in crew_ids if i in self.by_id]

    def add_positions(self, fixes: list[dict]) -> None:
        for fix in fixes:
            self.fixes.append({**fix})
            crew = self.by_id[fix["crew_id"]]
            if crew["recorded_at"] is None or fix["recorded_at"] >= crew["recorded_at"]:
                crew.update(lon=fix["lon"], lat=fix["lat"], recorded_at=fix["recorded_at"])


class FakeEvents:
    def __init__(self) -> None:
        self.log: list[dict] = []
        self.reads: list[dict] = []

    def append(self, ticket_id: int, **event) -> int:
        self.log.append({"ticket_id": ticket_id, **event})
        return len(self.log)

    def append_status(self, ticket_id: int, event) -> int:
        return self.append(
            ticket_id,
            at=event.at,
            actor=event.actor,
            event_type=event.event_type,
            from_status=event.from_status,
            to_status=event.to_status,
            reason=event.reason,
            data=event.data,
        )

    def for_ticket(self, ticket_id: int) -> list[dict]:
        return [
            {"id": i, "reason": None, "data": {}, "from_status": None, "to_status": None, **e}
            for i, e in enumerate(self.log, start=1)
            if e["ticket_id"] == ticket_id
        ]

    def kinds(self, ticket_id: int) -> list[str]:
        return [e["event_type"] for e in self.log if e["ticket_id"] == ticket_id]

    def personal_data_read(self, **read) -> None:
        self.reads.append(read)


class FakePlaces:
    """A territory that holds every point, with no meters and no addresses."""

    def territory_contains(self, lon: float, lat: float) -> bool | None:
        return True

    def find_meter(self, **numbers) -> dict | None:
        return None

    def search_addresses(self, query: str, *, limit: int = 5) -> list[dict]:
        return []

    def nearest_address(self, lon: float, lat: float) -> str | None:
        return None


class FakeSite:
    """The crew's site record in memory (:class:`dispatch.site_repository.SiteRepository`).
    ``meters`` maps a meter id to its ``{"meter_no", "address", "account_no"}``."""

    def __init__(self, meters: dict[int, dict] | None = None) -> None:
        self.meters = dict(meters or {})
        self.checks_of: dict[int, dict[str, dict]] = {}
        self.readings_of: dict[int, list[dict]] = {}
        self.marks_of: dict[int, dict[int, dict]] = {}
        self.notices: list[dict] = []
        self.signoffs: dict[int, dict] = {}
        self.paid: set[int] = set()
        self.images: list[dict] = []
        self.keys: dict[tuple[str, str], dict] = {}

    def visit(self, ticket_id: int) -> int:  # re-opened jobs' visits: the PostGIS tests
        return 1

    def checks(self, ticket_id: int, visit: int | None = None) -> list[dict]:
        return copy.deepcopy(list(self.checks_of.get(ticket_id, {}).values()))

    def add_check(self, ticket_id: int, item: str, *, at, by, data) -> bool:
        done = self.checks_of.setdefault(ticket_id, {})
        if item in done:
            return False
        done[item] = {"item": item, "done_at": at, "done_by": by, "data": dict(data)}
        return True

    def readings(self, ticket_id: int, visit: int | None = None) -> list[dict]:
        rows = self.readings_of.get(ticket_id, [])
        return copy.deepcopy(sorted(rows, key=lambda r: (r["measured_at"], r["id"])))

    def add_reading(self, ticket_id: int, **reading) -> int:
        rid = sum(len(v) for v in self.readings_of.values()) + 1
        self.readings_of.setdefault(ticket_id, []).append({"id": rid, **reading})
        return rid

    def households(self, meter_ids) -> list[dict]:
        return [
            {"meter_id": m, **{k: self.meters.get(m, {}).get(k) for k in ("meter_no", "address")}}
            for m in meter_ids
        ]

    def marks(self, ticket_id: int) -> dict[int, dict]:
        return copy.deepcopy(self.marks_of.get(ticket_id, {}))

    def set_mark(self, ticket_id: int, meter_id: int, mark: str, *, at, by) -> None:
        self.marks_of.setdefault(ticket_id, {})[meter_id] = {
            "meter_id": meter_id,
            "mark": mark,
            "marked_at": at,
            "marked_by": by,
        }

    def add_hazard(self, ticket_id: int, **notice) -> int:
        hid = len(self.notices) + 1
        self.notices.append(
            {
                "id": hid,
                "ticket_id": ticket_id,
                "visit": self.visit(ticket_id),
                **notice,
                "resolved_at": None,
            }
        )
        return hid

    def hazards(self, *, ticket_id=None, meter_ids=None, open_only=False) -> list[dict]:
        out = []
        for h in sorted(self.notices, key=lambda h: (h["fix_by"], h["id"])):
            if ticket_id is not None and h["ticket_id"] != ticket_id:
                continue
            if meter_ids is not None and h["meter_id"] not in meter_ids:
                continue
            if open_only and h["resolved_at"] is not None:
                continue
            meter = self.meters.get(h["meter_id"], {})
            out.append(
                {
                    **{k: v for k, v in h.items() if k != "signature_png"},
                    "signed": h["signature_png"] is not None,
                    "meter_no": meter.get("meter_no"),
                    "address": meter.get("address"),
                    "account_no": meter.get("account_no"),
                }
            )
        return out

    def resolve_hazard(self, hazard_id: int, *, at, by) -> bool:
        for h in self.notices:
            if h["id"] == hazard_id and h["resolved_at"] is None:
                h.update(resolved_at=at, resolved_by=by)
                return True
        return False

    def meters_of_account(self, account_no: str) -> list[int]:
        return [m for m, v in self.meters.items() if v.get("account_no") == account_no]

    def signoff(self, ticket_id: int, visit: int | None = None) -> dict | None:
        s = self.signoffs.get((ticket_id, visit or self.visit(ticket_id)))
        if s is None:
            return None
        return {
            **{k: v for k, v in s.items() if k != "signature_png"},
            "signed": s["signature_png"] is not None,
        }

    def add_signoff(self, ticket_id: int, *, lines, **signoff) -> bool:
        visit = self.visit(ticket_id)
        if (ticket_id, visit) in self.signoffs:
            return False
        self.signoffs[(ticket_id, visit)] = {
            "ticket_id": ticket_id,
            "visit": visit,
            "lines": list(lines),
            **signoff,
        }
        return True

    def set_paid(self, ticket_id: int) -> None:
        self.paid.add(ticket_id)

    def is_paid(self, ticket_id: int) -> bool:
        return ticket_id in self.paid

    def add_photo(self, ticket_id: int, **photo) -> int:
        pid = len(self.images) + 1
        self.images.append({"id": pid, "ticket_id": ticket_id, "visit": 1, **photo})
        return pid

    def photo(self, photo_id: int) -> dict | None:
        return next((dict(p) for p in self.images if p["id"] == photo_id), None)

    def photos(self, ticket_id: int, visit: int | None = None) -> list[dict]:
        return [
            {
                **{k: v for k, v in p.items() if k not in ("image", "ticket_id")},
                "bytes": len(p["image"]),
            }
            for p in self.images
            if p["ticket_id"] == ticket_id
        ]

    def replayed(self, username: str, key: str) -> dict | None:
        return copy.deepcopy(self.keys.get((username, key)))

    def remember(self, username: str, key: str, ticket_id: int, kind: str, answer: dict) -> bool:
        if (username, key) in self.keys:
            return False
        self.keys[(username, key)] = {
            "ticket_id": ticket_id,
            "kind": kind,
            "answer": copy.deepcopy(answer),
        }
        return True


class FakeUnitOfWork:
    """What a use case sees of :class:`dispatch.unit_of_work.UnitOfWork`, in memory. Records
    whether it was committed; a use case that raises leaves ``committed`` False."""

    def __init__(self, crews: list[dict], meters: dict[int, dict] | None = None) -> None:
        self.tickets = FakeTickets()
        self.site = FakeSite(meters)
        self.crews = FakeCrews(crews)
        self.events = FakeEvents()
        self.places = FakePlaces()
        self.cur = None  # the fakes never reach a cursor

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(self, *exc) -> None:
        return None


class StraightLineRouter:
    """A router for unit tests: every crew drives straight at :data:`FAKE_SPEED_MPS`; the
    fresh, available crews with the skill, nearest first. Counts its calls."""

    def __init__(self, *, k: int = 3, max_fix_age_s: float = 300.0) -> None:
        self.k, self.max_fix_age_s = k, max_fix_age_s
        self.calls = 0

    def recommend(self, lon, lat, skill, crews, now) -> list[dict]:
        self.calls += 1
        fit = [
            c
            for c in crews
            if c["lon"] is not None
            and c["status"] == "available"
            and (skill is None or skill in c["skills"])
            and (now - c["recorded_at"]).total_seconds() <= self.max_fix_age_s
        ]
        offers = [self._offer(lon, lat, c) for c in fit]
        return sorted(offers, key=lambda o: o["eta_s"])[: self.k]

    def route_crew(self, lon, lat, crew) -> dict | None:
        self.calls += 1
        return self._offer(lon, lat, crew)

    def valve_crews(self, valves, crews) -> dict:
        return {"valves": [], "expected_isolation_s": 0.0}

    @staticmethod
    def _offer(lon, lat, crew) -> dict:
        metres = great_circle_m(crew["lon"], crew["lat"], lon, lat)
        seconds = math.ceil(metres / FAKE_SPEED_MPS)
        return {
            "crew_id": crew["id"],
            "code": crew["code"],
            "eta_s": float(seconds),
            "travel_time_s": float(seconds),
            "distance_m": round(metres, 1),
            "finishes_first": False,
            "route": [[crew["lon"], crew["lat"]], [lon, lat]],
            "crew_lon": crew["lon"],
            "crew_lat": crew["lat"],
        }


class FixedIsolationPlanner:
    """Every emergency gets the same small plan: one valve to close."""

    PLAN: ClassVar[dict] = {
        "valves": [{"id": 7, "lon": 24.95, "lat": 60.17, "access_note": "kerb box"}],
        "pipes_out": [3],
        "affected_meters": 12,
        "critical_customers": [],
    }

    def plan(self, uow, ticket, crews, router, *, stuck=()) -> dict | None:
        if ticket["category"] != "emergency" or ticket["lon"] is None:
            return None
        return copy.deepcopy(self.PLAN)
