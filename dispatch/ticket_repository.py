"""The ticket path's repositories as objects over the unit of work's cursor.

The ticket and crew use cases see storage only through these (``uow.tickets``, ``uow.crews``,
``uow.events``, ``uow.places``): the seam where unit tests put in-memory fakes
(``tests/unit/fakes.py``). The SQL they share with the read models stays in
:mod:`dispatch.repository`; what only this path needs (stored recommendations and isolation
plans) is here. Coordinates EPSG:4326, times timezone-aware.
"""

from __future__ import annotations

import json
from datetime import datetime

from dispatch import repository as repo
from dispatch.ticket_model import StatusChanged, Ticket
from gis.geocode import nearest_address, search_addresses


class TicketRepository:
    def __init__(self, cur) -> None:
        self.cur = cur

    def row(self, ticket_id: int, *, lock: bool = False) -> dict | None:
        """The ticket's row; ``lock`` takes its row lock until the transaction ends."""
        return repo.get_ticket_row(self.cur, ticket_id, for_update=lock)

    def get(self, ticket_id: int, *, lock: bool = False) -> Ticket | None:
        """The ticket as the domain sees it (see :meth:`row` for ``lock``)."""
        row = self.row(ticket_id, lock=lock)
        return None if row is None else repo.ticket_from_row(row)

    def rows(self, **filters) -> list[dict]:
        return repo.list_tickets(self.cur, **filters)

    def add(self, ticket: Ticket, fields: dict) -> Ticket:
        """Store a ticket made by :meth:`Ticket.open`; sets its id and number."""
        row = {
            **fields,
            "ticket_type": ticket.ticket_type,
            "priority": ticket.priority,
            "received_at": ticket.received_at,
        }
        ticket.id, ticket.number = repo.insert_ticket(self.cur, row)
        return ticket

    def save(self, ticket: Ticket, expected_version: int) -> bool:
        return repo.save_ticket_state(self.cur, ticket, expected_version)

    def duplicate_candidates(self, **query) -> list[dict]:
        return repo.duplicate_candidates(self.cur, **query)

    def set_parent(self, ticket_id: int, parent_id: int | None) -> None:
        repo.set_parent(self.cur, ticket_id, parent_id)

    def add_caller(self, ticket_id: int, **caller) -> None:
        repo.add_caller(self.cur, ticket_id, **caller)

    def move_callers(self, from_ticket_id: int, parent_id: int, *, back: bool = False) -> None:
        repo.move_callers(self.cur, from_ticket_id, parent_id, back=back)

    def callers(self, ticket_id: int) -> list[dict]:
        return repo.ticket_callers(self.cur, ticket_id)

    def set_deadlines(self, ticket_id: int, due) -> None:
        """Store new due times (a :class:`dispatch.clocks.Deadlines`), e.g. on re-opening."""
        repo.set_ticket_deadlines(self.cur, ticket_id, due)

    def set_arrival(self, ticket_id: int, at: datetime) -> None:
        repo.set_arrival(self.cur, ticket_id, at)

    def active_of_crews(self, crew_ids: list[int]) -> list[dict]:
        """The crews' tickets on the way or on site: id, crew_id, lon, lat."""
        return repo.active_tickets_of_crews(self.cur, crew_ids)

    def deadline_alerts_raised(self, ticket_ids: list[int]) -> dict[int, set[tuple[str, str]]]:
        return repo.deadline_alerts_raised(self.cur, ticket_ids)

    def idempotent(self, username: str, key: str) -> int | None:
        """The ticket an earlier create with this key made, if any."""
        self.cur.execute(
            "SELECT k.ticket_id FROM idempotency_keys k JOIN users u ON u.id = k.user_id"
            " WHERE u.username = %s AND k.key = %s",
            (username, key),
        )
        row = self.cur.fetchone()
        return None if row is None else int(row["ticket_id"])

    def lock_idempotency_key(self, username: str, key: str) -> None:
        """Hold this user's key until the transaction ends (a lock on its hash), so that two
        requests with the same key are taken one after the other."""
        self.cur.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{username}\n{key}",)
        )

    def remember_idempotency(self, username: str, key: str, ticket_id: int) -> None:
        self.cur.execute(
            "INSERT INTO idempotency_keys (user_id, key, ticket_id)"
            " SELECT id, %s, %s FROM users WHERE username = %s",
            (key, ticket_id, username),
        )

    # --- what intake computed, stored with the ticket ---

    def save_recommendations(self, ticket_id: int, offers: list[dict], at: datetime) -> None:
        """Replace the ticket's recommended crews (best first) computed at ``at``."""
        self.cur.execute("DELETE FROM ticket_recommendations WHERE ticket_id = %s", (ticket_id,))
        for rank, offer in enumerate(offers, start=1):
            self.cur.execute(
                "INSERT INTO ticket_recommendations (ticket_id, rank, crew_id, eta_s,"
                " travel_time_s, distance_m, finishes_first, route, crew_lon, crew_lat,"
                " computed_at) VALUES (%s, %s, %s, %s, %s, %s, %s,"
                " CASE WHEN %s::text IS NULL THEN NULL ELSE ST_GeomFromText(%s, 4326) END,"
                " %s, %s, %s)",
                (
                    ticket_id,
                    rank,
                    offer["crew_id"],
                    offer["eta_s"],
                    offer["travel_time_s"],
                    offer["distance_m"],
                    bool(offer.get("finishes_first")),
                    *(2 * [repo.linestring_wkt(offer.get("route"))]),
                    offer.get("crew_lon"),
                    offer.get("crew_lat"),
                    at,
                ),
            )

    def recommendations(self, ticket_id: int) -> list[dict]:
        self.cur.execute(
            "SELECT r.crew_id, c.code, r.eta_s, r.travel_time_s, r.distance_m,"
            " r.finishes_first, ST_AsGeoJSON(r.route, 6) AS route, r.crew_lon, r.crew_lat,"
            " r.computed_at FROM ticket_recommendations r JOIN crews c ON c.id = r.crew_id"
            " WHERE r.ticket_id = %s ORDER BY r.rank",
            (ticket_id,),
        )
        out = []
        for row in self.cur.fetchall():
            offer = dict(row)
            offer["route"] = json.loads(row["route"])["coordinates"] if row["route"] else []
            out.append(offer)
        return out

    def waiting_for_fresh_recommendations(self, older_than: datetime) -> list[dict]:
        """New, unlinked field tickets with a place whose recommendations were computed before
        ``older_than`` (or never): the ticker refreshes them."""
        self.cur.execute(
            f"SELECT {repo.TICKET_COLUMNS} FROM tickets t"
            " WHERE status = 'new' AND parent_ticket_id IS NULL AND geom IS NOT NULL"
            " AND category <> 'non_field'"
            " AND COALESCE((SELECT max(computed_at) FROM ticket_recommendations r"
            "   WHERE r.ticket_id = t.id), '-infinity') < %s"
            " ORDER BY priority, received_at LIMIT 200",
            (older_than,),
        )
        return list(self.cur.fetchall())

    def save_isolation_plan(self, ticket_id: int, plan: dict, at: datetime) -> None:
        self.cur.execute(
            "INSERT INTO ticket_isolation_plans (ticket_id, plan, computed_at)"
            " VALUES (%s, %s, %s) ON CONFLICT (ticket_id)"
            " DO UPDATE SET plan = EXCLUDED.plan, computed_at = EXCLUDED.computed_at",
            (ticket_id, json.dumps(plan, default=str), at),
        )

    def isolation_plan(self, ticket_id: int) -> dict | None:
        self.cur.execute(
            "SELECT plan FROM ticket_isolation_plans WHERE ticket_id = %s", (ticket_id,)
        )
        row = self.cur.fetchone()
        return None if row is None else row["plan"]


class CrewRepository:
    def __init__(self, cur) -> None:
        self.cur = cur

    def get(self, crew_id: int, *, lock: bool = False) -> dict | None:
        """The crew with its latest fix; ``lock`` serialises every assignment of that crew."""
        return repo.get_crew(self.cur, crew_id, for_update=lock)

    def all(self) -> list[dict]:
        return repo.list_crews(self.cur)

    def set_status(self, crew_id: int, status: str) -> None:
        repo.set_crew_status(self.cur, crew_id, status)

    def active_assignment(self, ticket_id: int) -> dict | None:
        """The ticket's current assignment (None once released): crew_id, crew_code,
        assigned_by, assigned_at, eta_s and the road route as [[lon, lat], ...] (may be [])."""
        row = repo.active_assignment(self.cur, ticket_id)
        if row is None:
            return None
        found = dict(row)
        found["route"] = json.loads(row["route"])["coordinates"] if row["route"] else []
        return found

    def emergency_job(self, crew_id: int) -> dict | None:
        return repo.crew_emergency_job(self.cur, crew_id)

    def active_jobs(self, crew_id: int) -> int:
        return repo.crew_active_jobs(self.cur, crew_id)

    def add_assignment(self, **assignment) -> None:
        repo.insert_assignment(self.cur, **assignment)

    def release_assignment(self, ticket_id: int, *, at: datetime, reason: str) -> int | None:
        return repo.release_assignment(self.cur, ticket_id, at=at, reason=reason)

    def latest_fixes(self, crew_ids: list[int]) -> list[dict]:
        """The crews that exist among these, with their latest fix (id, lon, lat,
        recorded_at)."""
        return repo.latest_fixes(self.cur, crew_ids)

    def add_positions(self, fixes: list[dict]) -> None:
        """Fixes as dicts (``crew_id, lon, lat, recorded_at, speed_mps, heading_deg``)."""
        repo.insert_positions(self.cur, fixes)


class EventLog:
    """The tickets' append-only event log; every append is also announced through the outbox."""

    def __init__(self, cur) -> None:
        self.cur = cur

    def append(self, ticket_id: int, **event) -> int:
        return repo.append_event(self.cur, ticket_id, **event)

    def append_status(self, ticket_id: int, event: StatusChanged) -> int:
        return repo.append_status_event(self.cur, ticket_id, event)

    def for_ticket(self, ticket_id: int) -> list[dict]:
        return repo.ticket_events(self.cur, ticket_id)

    def personal_data_read(self, **read) -> None:
        repo.log_personal_data_read(self.cur, **read)


class PlaceRepository:
    """Where things are: the territory, customers' meters, addresses."""

    def __init__(self, cur) -> None:
        self.cur = cur

    def territory_contains(self, lon: float, lat: float) -> bool | None:
        return repo.territory_contains(self.cur, lon, lat)

    def find_meter(self, **numbers) -> dict | None:
        return repo.find_meter(self.cur, **numbers)

    def search_addresses(self, query: str, *, limit: int = 5) -> list[dict]:
        return search_addresses(self.cur, query, limit=limit)

    def nearest_address(self, lon: float, lat: float) -> str | None:
        return nearest_address(self.cur, lon, lat)
