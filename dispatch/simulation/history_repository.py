"""The SQL of the demo's past work (:mod:`dispatch.simulation.history`): what the territory
offers (depots, crews, meters, points on the mains) and the bulk write of a generated history
(tickets, their callers, assignments and event logs) in the caller's transaction.

The write goes through ``COPY`` into temporary tables and one ``INSERT ... SELECT`` per table,
so a year of work is written in seconds. History is the past: nothing is written to the
outbox (no screen needs to be told about last month). Coordinates are EPSG:4326 degrees.
"""

from __future__ import annotations

import io
import json
from datetime import datetime

from dispatch import repository as repo
from dispatch.ticket_model import STEP_COLUMNS

#: Who took the generated calls and moved the generated jobs along (``tickets.taken_by``,
#: ``ticket_events.actor``): how a generated history is recognised.
HISTORY_ACTOR = "history"


def territory_timezone(cur) -> str:
    return repo.territory_timezone(cur)


def depots(cur) -> list[dict]:
    cur.execute("SELECT id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM depots ORDER BY id")
    return [{"id": int(r["id"]), "lon": float(r["lon"]), "lat": float(r["lat"])} for r in cur]


def crews(cur) -> list[dict]:
    """Crews in service with their depot, skills and shift, by id."""
    cur.execute(
        "SELECT id, code, depot_id, skills, shift FROM crews"
        " WHERE status <> 'out_of_service' ORDER BY id"
    )
    return [dict(r) for r in cur.fetchall()]


def meter_sites(cur) -> list[dict]:
    """Every customer meter: ``{"id", "account_no", "address", "lon", "lat"}``, by id."""
    cur.execute(
        "SELECT id, account_no, address, ST_X(geom) AS lon, ST_Y(geom) AS lat"
        " FROM customer_meters ORDER BY id"
    )
    return [dict(r) for r in cur.fetchall()]


def main_lengths(cur) -> list[tuple[int, float]]:
    cur.execute(
        "SELECT id, length_m FROM gas_mains WHERE status = 'in_service' AND length_m > 0"
        " ORDER BY id"
    )
    return [(int(r["id"]), float(r["length_m"])) for r in cur.fetchall()]


def points_along_mains(cur, main_ids: list[int], fractions: list[float]) -> list[dict]:
    """The point each fraction of the way along each main, with its street, in the order
    given: ``{"lon", "lat", "street_name"}``. One statement for any number of points."""
    if not main_ids:
        return []
    cur.execute(
        "SELECT ST_X(p) AS lon, ST_Y(p) AS lat, street_name FROM ("
        "  SELECT q.n, ST_LineInterpolatePoint(m.geom, least(greatest(q.f, 0), 1)) AS p,"
        "   m.street_name FROM unnest(%s::int[], %s::float8[]) WITH ORDINALITY AS q(id, f, n)"
        "  JOIN gas_mains m ON m.id = q.id) x ORDER BY n",
        (main_ids, fractions),
    )
    return [dict(r) for r in cur.fetchall()]


def history_span(cur) -> dict:
    """How many generated tickets there are and the first and last call among them."""
    cur.execute(
        "SELECT count(*) AS tickets, min(received_at) AS first, max(received_at) AS last"
        " FROM tickets WHERE taken_by = %s",
        (HISTORY_ACTOR,),
    )
    return dict(cur.fetchone())


def reserve_ticket_ids(cur, count: int) -> list[int]:
    cur.execute("SELECT nextval('tickets_id_seq') AS id FROM generate_series(1, %s)", (count,))
    return [int(r["id"]) for r in cur.fetchall()]


def _copy(cur, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """COPY ``rows`` into ``table`` (text format; None is NULL)."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(v) for v in row))
        buffer.write("\n")
    buffer.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, default=str, ensure_ascii=False)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


TICKET_FIELDS = (
    "id",
    "number",
    "ticket_type",
    "priority",
    "status",
    "address",
    "description",
    "account_no",
    "meter_id",
    "caller_name",
    "caller_phone",
    "receiving_department",
    "taken_by",
    "received_at",
    "jurisdiction",
    "arrival_due_at",
    "make_safe_due_at",
    "reply_due_at",
    "depart_due_at",
    *STEP_COLUMNS,
    "crew_id",
    "parent_ticket_id",
    "version",
    "lon",
    "lat",
)
ASSIGNMENT_FIELDS = (
    "ticket_id",
    "crew_id",
    "assigned_at",
    "assigned_by",
    "automatic",
    "eta_s",
    "released_at",
    "release_reason",
    "emergency",
    "route_wkt",
)
EVENT_FIELDS = (
    "ticket_id",
    "at",
    "actor",
    "event_type",
    "from_status",
    "to_status",
    "reason",
    "data",
)
CALLER_FIELDS = ("ticket_id", "caller_name", "caller_phone", "called_at")


def write_history(
    cur,
    *,
    tickets: list[dict],
    assignments: list[dict],
    events: list[dict],
    callers: list[dict],
) -> dict[str, int]:
    """Write a generated history (rows as dicts keyed by the ``*_FIELDS`` above) in the
    caller's transaction. Returns the rows written per table."""
    ticket_columns = ", ".join(f"{c} {_TYPES.get(c, 'text')}" for c in TICKET_FIELDS)
    cur.execute(f"CREATE TEMP TABLE history_tickets ({ticket_columns}) ON COMMIT DROP")
    _copy(cur, "history_tickets", TICKET_FIELDS, [_row(t, TICKET_FIELDS) for t in tickets])
    plain = [c for c in TICKET_FIELDS if c not in ("lon", "lat")]
    cur.execute(
        f"INSERT INTO tickets ({', '.join(plain)}, geom)"
        f" SELECT {', '.join(plain)}, ST_SetSRID(ST_MakePoint(lon, lat), 4326)"
        " FROM history_tickets ORDER BY id"
    )
    assignment_columns = ", ".join(f"{c} {_TYPES.get(c, 'text')}" for c in ASSIGNMENT_FIELDS)
    cur.execute(f"CREATE TEMP TABLE history_assignments ({assignment_columns}) ON COMMIT DROP")
    _copy(
        cur,
        "history_assignments",
        ASSIGNMENT_FIELDS,
        [_row(a, ASSIGNMENT_FIELDS) for a in assignments],
    )
    kept = [c for c in ASSIGNMENT_FIELDS if c != "route_wkt"]
    cur.execute(
        f"INSERT INTO assignments ({', '.join(kept)}, route)"
        f" SELECT {', '.join(kept)}, ST_GeomFromText(route_wkt, 4326) FROM history_assignments"
    )
    _copy(cur, "ticket_events", EVENT_FIELDS, [_row(e, EVENT_FIELDS) for e in events])
    _copy(cur, "ticket_callers", CALLER_FIELDS, [_row(c, CALLER_FIELDS) for c in callers])
    return {
        "tickets": len(tickets),
        "assignments": len(assignments),
        "ticket_events": len(events),
        "ticket_callers": len(callers),
    }


_TYPES = {
    "id": "bigint",
    "ticket_id": "bigint",
    "priority": "smallint",
    "meter_id": "integer",
    "crew_id": "integer",
    "parent_ticket_id": "bigint",
    "version": "integer",
    "lon": "float8",
    "lat": "float8",
    "eta_s": "float8",
    "automatic": "boolean",
    "emergency": "boolean",
    **{
        c: "timestamptz"
        for c in (
            "received_at",
            "arrival_due_at",
            "make_safe_due_at",
            "reply_due_at",
            "depart_due_at",
            *STEP_COLUMNS,
            "released_at",
        )
    },
}


def _row(values: dict, fields: tuple[str, ...]) -> tuple:
    return tuple(values.get(f) for f in fields)
