"""The SQL behind the key figures: reads the rows :mod:`dispatch.kpis` counts. Functions take
a cursor inside the caller's transaction and return plain dicts; no counting here, so the
API, the wall and the reports cannot count differently."""

from __future__ import annotations

from datetime import datetime

from dispatch import repository as repo
from dispatch.kpis import KpiRows, day_window
from dispatch.ticket_model import OPEN_STATUSES

_TICKET_CLOCK = "priority, status, parent_ticket_id, received_at, arrival_due_at, arrived_at"


def kpi_rows(cur, now: datetime) -> KpiRows:
    """Everything the figures of the territory's day at ``now`` need, in one transaction."""
    timezone = repo.territory_timezone(cur)
    _day, start, end = day_window(now, timezone)
    return KpiRows(
        timezone=timezone,
        open_tickets=open_tickets(cur),
        day_tickets=arrival_clocks_ending_between(cur, start, end),
        crews=crew_fixes(cur),
    )


def open_tickets(cur) -> list[dict]:
    """Every open, unlinked ticket (no limit: the figures count them all)."""
    cur.execute(
        f"SELECT {_TICKET_CLOCK} FROM tickets WHERE status = ANY(%s) AND parent_ticket_id IS NULL",
        (list(OPEN_STATUSES),),
    )
    return list(cur.fetchall())


def arrival_clocks_ending_between(cur, start: datetime, end: datetime) -> list[dict]:
    """Unlinked tickets with an arrival deadline whose crew arrived, or whose deadline fell,
    from ``start`` to ``end`` (end excluded)."""
    cur.execute(
        f"SELECT {_TICKET_CLOCK}, cancelled_at FROM tickets"
        " WHERE arrival_due_at IS NOT NULL AND parent_ticket_id IS NULL"
        " AND ((arrived_at >= %(start)s AND arrived_at < %(end)s)"
        "   OR (arrival_due_at >= %(start)s AND arrival_due_at < %(end)s))",
        {"start": start, "end": end},
    )
    return list(cur.fetchall())


def crew_fixes(cur) -> list[dict]:
    """Each crew's status and the time of its last GPS fix (None: never had one)."""
    cur.execute(
        "SELECT c.status, p.recorded_at FROM crews c"
        " LEFT JOIN crew_latest_positions p ON p.crew_id = c.id"
    )
    return list(cur.fetchall())
