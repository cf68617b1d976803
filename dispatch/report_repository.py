"""The SQL of the manager's reports and the regulators' records. Functions take a cursor in
the caller's transaction and return plain dicts; the counting is the database's (indexes on
the ticket type and the time of the call, aggregates with FILTER and percentile_cont), with
the definitions of :mod:`dispatch.kpis` passed in, so the figures agree with the pure ones.
Times are timezone-aware; coordinates EPSG:4326."""

from __future__ import annotations

import json
from datetime import date, datetime

from dispatch.kpis import LEAK_BUCKETS

# --- the daily leak log ------------------------------------------------------------------------


def leak_log(cur, start: datetime, end: datetime, leak_types: list[str]) -> list[dict]:
    """Every leak report received from ``start`` to ``end`` (end excluded), in the order
    received: its number, type, location, the call, the first dispatch, the arrival, the crew
    (the one on the job, else the last one sent) and, for a second call about the same leak,
    the number of the report it was linked to."""
    cur.execute(
        """
        SELECT t.id, t.number, t.ticket_type, t.status, t.address,
            ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat, t.received_at, a.first_at AS dispatched_at,
            t.arrived_at, c.code AS crew_code, p.number AS duplicate_of
        FROM tickets t
        LEFT JOIN LATERAL (
            SELECT min(assigned_at) AS first_at,
                (array_agg(crew_id ORDER BY assigned_at DESC))[1] AS last_crew
            FROM assignments WHERE ticket_id = t.id
        ) a ON true
        LEFT JOIN crews c ON c.id = COALESCE(t.crew_id, a.last_crew)
        LEFT JOIN tickets p ON p.id = t.parent_ticket_id
        WHERE t.ticket_type = ANY(%(types)s)
          AND t.received_at >= %(start)s AND t.received_at < %(end)s
        ORDER BY t.received_at, t.id
        """,
        {"types": list(leak_types), "start": start, "end": end},
    )
    return [dict(r) for r in cur.fetchall()]


def leak_bucket_counts(
    cur, start: datetime, end: datetime, leak_types: list[str], now: datetime
) -> dict:
    """The unlinked leak reports received from ``start`` to ``end``: how many, how many in
    each bucket of :data:`dispatch.kpis.LEAK_BUCKETS` (a report not reached by ``now`` in
    ``not_reached``), and the median and 90th percentile of the response minutes."""
    filters, lower = [], None
    for name, upper in LEAK_BUCKETS:
        above = "" if lower is None else f" AND m > {float(lower)!r}"
        below = "" if upper is None else f" AND m <= {float(upper)!r}"
        filters.append(f'count(*) FILTER (WHERE m IS NOT NULL{above}{below}) AS "{name}"')
        lower = upper
    cur.execute(
        f"""
        WITH r AS (
            SELECT CASE WHEN arrived_at IS NULL OR arrived_at > %(now)s THEN NULL
                ELSE extract(epoch FROM arrived_at - received_at) / 60 END AS m
            FROM tickets
            WHERE ticket_type = ANY(%(types)s) AND parent_ticket_id IS NULL
              AND received_at >= %(start)s AND received_at < %(end)s
        )
        SELECT count(*) AS reports, {", ".join(filters)},
            count(*) FILTER (WHERE m IS NULL) AS not_reached,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY m) AS median_min,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY m) AS p90_min
        FROM r
        """,
        {"types": list(leak_types), "start": start, "end": end, "now": now},
    )
    return dict(cur.fetchone())


def days_with_leaks(
    cur, start: datetime, end: datetime, leak_types: list[str], timezone: str
) -> list[date]:
    """The local days (in ``timezone``) from ``start`` to ``end`` with a leak report."""
    cur.execute(
        "SELECT DISTINCT (received_at AT TIME ZONE %(tz)s)::date AS day FROM tickets"
        " WHERE ticket_type = ANY(%(types)s) AND received_at >= %(start)s"
        " AND received_at < %(end)s ORDER BY 1",
        {"tz": timezone, "types": list(leak_types), "start": start, "end": end},
    )
    return [r["day"] for r in cur.fetchall()]


# --- reviews and their alarms ------------------------------------------------------------------


def get_review(cur, day: date) -> dict | None:
    cur.execute(
        "SELECT day, reviewed_by, reviewed_role, reviewed_at FROM leak_log_reviews WHERE day = %s",
        (day,),
    )
    row = cur.fetchone()
    return None if row is None else dict(row)


def insert_review(cur, day: date, *, by: str, role: str, at: datetime) -> bool:
    """Record the review; False when the day was reviewed already (nothing changes)."""
    cur.execute(
        "INSERT INTO leak_log_reviews (day, reviewed_by, reviewed_role, reviewed_at)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (day, by, role, at),
    )
    if cur.rowcount != 1:
        return False
    # Every open screen hears of it (the wall clears the day's unreviewed alarm).
    cur.execute(
        "INSERT INTO outbox (at, topic, kind, data) VALUES (%s, 'report', 'leak_log_reviewed', %s)",
        (at, json.dumps({"day": day.isoformat(), "by": by})),
    )
    return True


def reviewed_days(cur, days: list[date]) -> set[date]:
    cur.execute("SELECT day FROM leak_log_reviews WHERE day = ANY(%s)", (days,))
    return {r["day"] for r in cur.fetchall()}


def insert_alarm(cur, day: date, *, due_at: datetime, at: datetime) -> bool:
    """Raise the alarm of an unreviewed day once: the row, and an outbox row announcing it
    to every open screen. False when it was raised before."""
    cur.execute(
        "INSERT INTO leak_log_alarms (day, due_at, raised_at) VALUES (%s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (day, due_at, at),
    )
    if cur.rowcount != 1:
        return False
    cur.execute(
        "INSERT INTO outbox (at, topic, kind, data) VALUES (%s, 'report', %s, %s)",
        (
            at,
            "leak_log_unreviewed",
            json.dumps({"day": day.isoformat(), "due_at": due_at.isoformat()}),
        ),
    )
    return True


def open_alarms(cur) -> list[dict]:
    """Alarms of days still not reviewed, oldest first."""
    cur.execute(
        "SELECT a.day, a.due_at, a.raised_at FROM leak_log_alarms a"
        " LEFT JOIN leak_log_reviews r ON r.territory_id = a.territory_id AND r.day = a.day"
        " WHERE r.day IS NULL ORDER BY a.day"
    )
    return [dict(r) for r in cur.fetchall()]


# --- response times and compliance -------------------------------------------------------------


def response_rows(
    cur,
    start: datetime,
    end: datetime,
    *,
    types: list[str] | None = None,
    priorities: list[int] | None = None,
) -> list[dict]:
    """Field tickets with a location received from ``start`` to ``end``, optionally of some
    types and priorities: the clock columns :mod:`dispatch.kpis` counts with, and where."""
    cur.execute(
        """
        SELECT id, ticket_type, priority, status, parent_ticket_id, received_at, arrival_due_at,
            arrived_at, en_route_at, cancelled_at, crew_id, ST_X(geom) AS lon, ST_Y(geom) AS lat
        FROM tickets
        WHERE received_at >= %(start)s AND received_at < %(end)s AND geom IS NOT NULL
          AND category <> 'non_field'
          AND (%(types)s::text[] IS NULL OR ticket_type = ANY(%(types)s))
          AND (%(priorities)s::int[] IS NULL OR priority = ANY(%(priorities)s))
        """,
        {"start": start, "end": end, "types": types or None, "priorities": priorities or None},
    )
    return [dict(r) for r in cur.fetchall()]
