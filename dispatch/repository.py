"""All of dispatch's SQL. Functions take a cursor inside the caller's transaction (the unit of
work) and return plain values, dicts or :class:`dispatch.ticket_model.Ticket`."""

from __future__ import annotations

import json
from datetime import datetime

import psycopg2.extras

from dispatch.ticket_model import STEP_COLUMNS, StatusChanged, Ticket

TICKET_COLUMNS = (
    "id, number, ticket_type, category, priority, status, address, description, account_no,"
    " meter_id, caller_name, caller_phone, receiving_department, taken_by, received_at,"
    " appointment_at, promised_reply_at, parent_ticket_id, version, jurisdiction,"
    " arrival_due_at, make_safe_due_at, reply_due_at, depart_due_at, crew_id, callers,"
    " ST_X(geom) AS lon, ST_Y(geom) AS lat, " + ", ".join(STEP_COLUMNS) + ","
    " customer_name, customer_phone, replied_at, replied_by"
)


def dict_cursor(conn):
    return conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)


# --- territory and customers -------------------------------------------------------------------


def territory_contains(cur, lon: float, lat: float) -> bool | None:
    """Whether the point lies in the service territory; None when no territory is loaded."""
    cur.execute(
        "SELECT ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) AS inside"
        " FROM territory",
        (lon, lat),
    )
    row = cur.fetchone()
    return None if row is None else bool(row["inside"])


def territory_timezone(cur) -> str:
    cur.execute("SELECT timezone FROM territory")
    row = cur.fetchone()
    return "UTC" if row is None else row["timezone"]


def territory_source(cur) -> str | None:
    cur.execute("SELECT source FROM territory")
    row = cur.fetchone()
    return None if row is None else row["source"]


def find_meter(cur, *, account_no: str | None = None, meter_no: str | None = None):
    cur.execute(
        "SELECT id, meter_no, account_no, customer_name, phone, address, category,"
        " ST_X(geom) AS lon, ST_Y(geom) AS lat FROM customer_meters"
        " WHERE (%(a)s::text IS NOT NULL AND account_no = %(a)s)"
        " OR (%(m)s::text IS NOT NULL AND meter_no = %(m)s) LIMIT 1",
        {"a": account_no, "m": meter_no},
    )
    return cur.fetchone()


# --- tickets -----------------------------------------------------------------------------------


def insert_ticket(cur, row: dict) -> tuple[int, str]:
    """Insert a new ticket; its number is T<yyyymmdd>-<id>. Returns (id, number)."""
    cur.execute(
        """
        INSERT INTO tickets (id, number, ticket_type, priority, status, address, description,
            account_no, meter_id, caller_name, caller_phone, receiving_department, taken_by,
            received_at, appointment_at, promised_reply_at, jurisdiction, arrival_due_at,
            make_safe_due_at, reply_due_at, depart_due_at, geom, customer_name, customer_phone)
        SELECT n.id, 'T' || to_char(%(received_at)s::timestamptz AT TIME ZONE 'UTC', 'YYYYMMDD')
                || '-' || lpad(n.id::text, 6, '0'),
            %(ticket_type)s, %(priority)s, 'new', %(address)s, %(description)s, %(account_no)s,
            %(meter_id)s, %(caller_name)s, %(caller_phone)s, %(receiving_department)s,
            %(taken_by)s, %(received_at)s, %(appointment_at)s, %(promised_reply_at)s,
            %(jurisdiction)s, %(arrival_due_at)s, %(make_safe_due_at)s, %(reply_due_at)s,
            %(depart_due_at)s,
            CASE WHEN %(lon)s::float8 IS NULL THEN NULL
                 ELSE ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) END,
            %(customer_name)s, %(customer_phone)s
        FROM (SELECT nextval('tickets_id_seq') AS id) n
        RETURNING id, number
        """,
        # only policies with a departure clock set depart_due_at; the customer is optional
        {"depart_due_at": None, "customer_name": None, "customer_phone": None, **row},
    )
    result = cur.fetchone()
    return int(result["id"]), result["number"]


def get_ticket_row(cur, ticket_id: int, *, for_update: bool = False) -> dict | None:
    # The lock keeps two dispatchers from moving one ticket at once.
    cur.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = %s"
        + (" FOR UPDATE" if for_update else ""),
        (ticket_id,),
    )
    return cur.fetchone()


def ticket_from_row(row: dict) -> Ticket:
    return Ticket(
        id=int(row["id"]),
        number=row["number"],
        ticket_type=row["ticket_type"],
        priority=int(row["priority"]),
        status=row["status"],
        received_at=row["received_at"],
        crew_id=row["crew_id"],
        steps={c: row[c] for c in STEP_COLUMNS},
        version=int(row["version"]),
    )


def save_ticket_state(cur, ticket: Ticket, expected_version: int) -> bool:
    """Write the ticket's status, step times, crew and received time (new when re-opened);
    False when someone else changed it."""
    sets = ", ".join(f"{c} = %({c})s" for c in STEP_COLUMNS)
    params = {c: ticket.steps.get(c) for c in STEP_COLUMNS}
    params |= {
        "received_at": ticket.received_at,
        "status": ticket.status,
        "crew_id": ticket.crew_id,
        "version": ticket.version,
        "id": ticket.id,
        "expected": expected_version,
    }
    cur.execute(
        f"UPDATE tickets SET status = %(status)s, crew_id = %(crew_id)s, version = %(version)s,"
        f" received_at = %(received_at)s, {sets} WHERE id = %(id)s AND version = %(expected)s",
        params,
    )
    return cur.rowcount == 1


def append_event(
    cur,
    ticket_id: int,
    *,
    at: datetime,
    actor: str,
    event_type: str,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
    data: dict | None = None,
) -> int:
    """Append to the ticket's event log and, in the same statement, to the outbox that
    announces it to every web process (see :func:`outbox_since`)."""
    cur.execute(
        "WITH e AS (INSERT INTO ticket_events (ticket_id, at, actor, event_type, from_status,"
        "   to_status, reason, data) VALUES (%(t)s, %(at)s, %(actor)s, %(kind)s, %(from)s,"
        "   %(to)s, %(reason)s, %(data)s) RETURNING id),"
        " o AS (INSERT INTO outbox (at, topic, kind, ticket_id, crew_id, data)"
        "   SELECT %(at)s, 'ticket', %(kind)s, %(t)s, (%(data)s::jsonb->>'crew_id')::int,"
        "   jsonb_build_object('to_status', %(to)s::text)) SELECT id FROM e",
        {
            "t": ticket_id,
            "at": at,
            "actor": actor,
            "kind": event_type,
            "from": from_status,
            "to": to_status,
            "reason": reason,
            "data": json.dumps(data or {}, default=str),
        },
    )
    return int(cur.fetchone()["id"])


def append_status_event(cur, ticket_id: int, event: StatusChanged) -> int:
    return append_event(
        cur,
        ticket_id,
        at=event.at,
        actor=event.actor,
        event_type=event.event_type,
        from_status=event.from_status,
        to_status=event.to_status,
        reason=event.reason,
        data=event.data,
    )


def ticket_events(cur, ticket_id: int) -> list[dict]:
    cur.execute(
        "SELECT id, at, actor, event_type, from_status, to_status, reason, data"
        " FROM ticket_events WHERE ticket_id = %s ORDER BY at, id",
        (ticket_id,),
    )
    return list(cur.fetchall())


def set_ticket_deadlines(cur, ticket_id: int, due) -> None:
    """Store a ticket's due times (:class:`dispatch.clocks.Deadlines`)."""
    cur.execute(
        "UPDATE tickets SET arrival_due_at = %s, make_safe_due_at = %s, reply_due_at = %s,"
        " depart_due_at = %s WHERE id = %s",
        (due.arrival_due_at, due.make_safe_due_at, due.reply_due_at, due.depart_due_at, ticket_id),
    )


def deadline_alerts_raised(cur, ticket_ids: list[int]) -> dict[int, set[tuple[str, str]]]:
    """For each ticket, the (clock, kind) deadline alerts already in its event log since it was
    received (a re-opened ticket's clocks start again from the re-opening)."""
    cur.execute(
        "SELECT e.ticket_id, e.data->>'clock' AS clock, e.event_type FROM ticket_events e"
        " JOIN tickets t ON t.id = e.ticket_id"
        " WHERE e.ticket_id = ANY(%s) AND e.event_type IN ('deadline_at_risk', 'deadline_missed')"
        " AND e.at >= t.received_at",
        (ticket_ids,),
    )
    raised: dict[int, set[tuple[str, str]]] = {}
    for row in cur.fetchall():
        raised.setdefault(int(row["ticket_id"]), set()).add((row["clock"], row["event_type"]))
    return raised


def list_tickets(
    cur,
    *,
    status: list[str] | None = None,
    ticket_type: str | None = None,
    category: str | None = None,
    open_only: bool = False,
    crew_id: int | None = None,
    limit: int = 200,
) -> list[dict]:
    cur.execute(
        f"SELECT {TICKET_COLUMNS} FROM tickets"
        " WHERE (%(status)s::text[] IS NULL OR status = ANY(%(status)s))"
        " AND (%(type)s::text IS NULL OR ticket_type = %(type)s)"
        " AND (%(category)s::text IS NULL OR category = %(category)s)"
        " AND (NOT %(open)s OR status NOT IN ('closed', 'cancelled'))"
        " AND (%(crew)s::int IS NULL OR crew_id = %(crew)s)"
        " ORDER BY priority, received_at LIMIT %(limit)s",
        {
            "status": status,
            "type": ticket_type,
            "category": category,
            "open": open_only,
            "crew": crew_id,
            "limit": limit,
        },
    )
    return list(cur.fetchall())


def duplicate_candidates(
    cur, *, lon: float, lat: float, since: datetime, radius_m: float, types: list[str]
) -> list[dict]:
    """Open, unlinked tickets of ``types`` received since ``since`` within ``radius_m``."""
    cur.execute(
        "SELECT id, number, ticket_type, received_at,"
        " ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography)"
        " AS distance_m FROM tickets"
        " WHERE parent_ticket_id IS NULL AND status NOT IN ('closed', 'cancelled')"
        " AND ticket_type = ANY(%(types)s) AND received_at >= %(since)s"
        " AND ST_DWithin(geom::geography,"
        "   ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(r)s)"
        " ORDER BY distance_m, received_at",
        {"lon": lon, "lat": lat, "since": since, "r": radius_m, "types": types},
    )
    return list(cur.fetchall())


def set_parent(cur, ticket_id: int, parent_id: int | None) -> None:
    cur.execute("UPDATE tickets SET parent_ticket_id = %s WHERE id = %s", (parent_id, ticket_id))


def add_caller(
    cur,
    ticket_id: int,
    *,
    name: str | None,
    phone: str | None,
    at: datetime,
    from_ticket_id: int | None = None,
) -> None:
    cur.execute(
        "INSERT INTO ticket_callers (ticket_id, caller_name, caller_phone, called_at,"
        " from_ticket_id) VALUES (%s, %s, %s, %s, %s)",
        (ticket_id, name, phone, at, from_ticket_id),
    )
    recount_callers(cur, ticket_id)


def move_callers(cur, from_ticket_id: int, parent_id: int, back: bool = False) -> None:
    """Link: the duplicate's callers count on the parent. Unlink (``back``): they return."""
    if back:
        cur.execute(
            "UPDATE ticket_callers SET ticket_id = from_ticket_id, from_ticket_id = NULL"
            " WHERE ticket_id = %s AND from_ticket_id = %s",
            (parent_id, from_ticket_id),
        )
    else:
        cur.execute(
            "UPDATE ticket_callers SET ticket_id = %s, from_ticket_id = ticket_id"
            " WHERE ticket_id = %s",
            (parent_id, from_ticket_id),
        )
    recount_callers(cur, parent_id)
    recount_callers(cur, from_ticket_id)


def recount_callers(cur, ticket_id: int) -> None:
    cur.execute(
        "UPDATE tickets SET callers = GREATEST(1, (SELECT count(*) FROM ticket_callers"
        " WHERE ticket_id = %s)) WHERE id = %s",
        (ticket_id, ticket_id),
    )


def ticket_callers(cur, ticket_id: int) -> list[dict]:
    cur.execute(
        "SELECT caller_name, caller_phone, called_at, from_ticket_id FROM ticket_callers"
        " WHERE ticket_id = %s ORDER BY called_at, id",
        (ticket_id,),
    )
    return list(cur.fetchall())


def set_arrival(cur, ticket_id: int, arrived_at: datetime) -> None:
    cur.execute(
        "UPDATE tickets SET arrived_at = %s"
        " WHERE id = %s AND (arrived_at IS NULL OR arrived_at > %s)",
        (arrived_at, ticket_id, arrived_at),
    )


# --- crews and assignments ---------------------------------------------------------------------


def get_crew(cur, crew_id: int, *, for_update: bool = False) -> dict | None:
    # Locking the crew row serialises every assignment of that crew.
    cur.execute(
        "SELECT c.id, c.code, c.name, c.skills, c.status, c.shift, c.depot_id,"
        " ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, p.recorded_at, p.heading_deg, p.speed_mps"
        " FROM crews c LEFT JOIN crew_latest_positions p ON p.crew_id = c.id WHERE c.id = %s"
        + (" FOR UPDATE OF c" if for_update else ""),
        (crew_id,),
    )
    return cur.fetchone()


def list_crews(cur, ids: list[int] | None = None) -> list[dict]:
    """Every crew (or those in ``ids``) with its latest fix and the ticket it works on."""
    cur.execute(
        "SELECT c.id, c.code, c.name, c.skills, c.status, c.shift, c.depot_id,"
        " ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, p.recorded_at, p.heading_deg, p.speed_mps,"
        " (SELECT t.id FROM tickets t WHERE t.crew_id = c.id"
        "   AND t.status IN ('assigned', 'accepted', 'en_route', 'on_site', 'made_safe')"
        "   ORDER BY t.priority LIMIT 1) AS active_ticket_id"
        " FROM crews c LEFT JOIN crew_latest_positions p ON p.crew_id = c.id"
        " WHERE %(ids)s::int[] IS NULL OR c.id = ANY(%(ids)s) ORDER BY c.id",
        {"ids": ids},
    )
    return list(cur.fetchall())


def set_crew_status(cur, crew_id: int, status: str) -> None:
    cur.execute("UPDATE crews SET status = %s WHERE id = %s", (status, crew_id))
    announce_crew(cur, crew_id, "crew_status", data={"status": status})


def announce_crew(cur, crew_id: int, kind: str, *, at: datetime | None = None, data=None) -> None:
    """An outbox row for a change of a crew (its status, a new fix)."""
    cur.execute(
        "INSERT INTO outbox (at, topic, kind, crew_id, data)"
        " VALUES (COALESCE(%s, now()), 'crew', %s, %s, %s)",
        (at, kind, crew_id, json.dumps(data or {}, default=str)),
    )


def active_assignment(cur, ticket_id: int) -> dict | None:
    """The ticket's current assignment: its crew (id and code), who made it and when, the ETA
    and the road route it was sent on (GeoJSON text, or None)."""
    cur.execute(
        "SELECT a.id, a.crew_id, c.code AS crew_code, a.assigned_by, a.assigned_at, a.emergency,"
        " a.eta_s, ST_AsGeoJSON(a.route, 6) AS route"
        " FROM assignments a JOIN crews c ON c.id = a.crew_id"
        " WHERE a.ticket_id = %s AND a.released_at IS NULL",
        (ticket_id,),
    )
    return cur.fetchone()


def crew_emergency_job(cur, crew_id: int) -> dict | None:
    cur.execute(
        "SELECT a.ticket_id, t.number FROM assignments a JOIN tickets t ON t.id = a.ticket_id"
        " WHERE a.crew_id = %s AND a.released_at IS NULL AND a.emergency",
        (crew_id,),
    )
    return cur.fetchone()


def crew_active_jobs(cur, crew_id: int) -> int:
    cur.execute(
        "SELECT count(*) AS n FROM assignments WHERE crew_id = %s AND released_at IS NULL",
        (crew_id,),
    )
    return int(cur.fetchone()["n"])


def insert_assignment(
    cur,
    *,
    ticket_id: int,
    crew_id: int,
    at: datetime,
    by: str,
    automatic: bool,
    eta_s: float | None,
    emergency: bool,
    route: list[list[float]] | None = None,
) -> None:
    """``route``: the road route the crew was sent on, as [[lon, lat], ...] (EPSG:4326)."""
    wkt = linestring_wkt(route)
    cur.execute(
        "INSERT INTO assignments (ticket_id, crew_id, assigned_at, assigned_by, automatic, eta_s,"
        " emergency, route) VALUES (%s, %s, %s, %s, %s, %s, %s,"
        " CASE WHEN %s::text IS NULL THEN NULL ELSE ST_GeomFromText(%s, 4326) END)",
        (ticket_id, crew_id, at, by, automatic, eta_s, emergency, wkt, wkt),
    )


def linestring_wkt(route: list | None) -> str | None:
    """A road route [[lon, lat], ...] as WKT, or None when it has fewer than two points."""
    if not route or len(route) < 2:
        return None
    return "LINESTRING(" + ", ".join(f"{float(x)} {float(y)}" for x, y in route) + ")"


def release_assignment(cur, ticket_id: int, *, at: datetime, reason: str) -> int | None:
    """End the ticket's active assignment; returns the crew it held, if any."""
    cur.execute(
        "UPDATE assignments SET released_at = %s, release_reason = %s"
        " WHERE ticket_id = %s AND released_at IS NULL RETURNING crew_id",
        (at, reason, ticket_id),
    )
    row = cur.fetchone()
    return None if row is None else int(row["crew_id"])


def insert_positions(cur, fixes: list[dict]) -> None:
    """Many fixes in one statement (dicts with ``crew_id, lon, lat, recorded_at, speed_mps,
    heading_deg``), and one announcement per crew that moved. A fix already stored (the same
    crew and time, as MQTT's at-least-once delivery or a phone's replayed queue sends it
    again) is skipped."""
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO crew_positions (crew_id, recorded_at, speed_mps, heading_deg, geom) VALUES %s"
        " ON CONFLICT (crew_id, recorded_at) DO NOTHING",
        [
            (f["crew_id"], f["recorded_at"], f["speed_mps"], f["heading_deg"], f["lon"], f["lat"])
            for f in fixes
        ],
        template="(%s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
        page_size=1000,
    )
    latest: dict[int, datetime] = {}
    for f in fixes:
        latest[f["crew_id"]] = max(latest.get(f["crew_id"], f["recorded_at"]), f["recorded_at"])
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO outbox (at, topic, kind, crew_id) VALUES %s",
        [(at, "crew", "crew_moved", crew_id) for crew_id, at in latest.items()],
    )


def latest_fixes(cur, crew_ids: list[int]) -> list[dict]:
    """These crews (those that exist) with their latest fix: id, lon, lat, recorded_at."""
    cur.execute(
        "SELECT c.id, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, p.recorded_at FROM crews c"
        " LEFT JOIN crew_latest_positions p ON p.crew_id = c.id WHERE c.id = ANY(%s)",
        (crew_ids,),
    )
    return list(cur.fetchall())


def active_tickets_of_crews(cur, crew_ids: list[int]) -> list[dict]:
    """The active tickets (on the way or on site) of these crews, with their places."""
    cur.execute(
        "SELECT id, crew_id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM tickets"
        " WHERE crew_id = ANY(%s) AND status IN ('assigned', 'accepted', 'en_route', 'on_site')",
        (crew_ids,),
    )
    return list(cur.fetchall())


# --- users, tokens, idempotency, audit ---------------------------------------------------------


def insert_user(cur, username: str, role: str, password_hash: str, crew_id: int | None) -> int:
    cur.execute(
        "INSERT INTO users (username, role, password_hash, crew_id) VALUES (%s, %s, %s, %s)"
        " RETURNING id",
        (username, role, password_hash, crew_id),
    )
    return int(cur.fetchone()["id"])


def get_user(cur, username: str) -> dict | None:
    cur.execute(
        "SELECT id, username, role, crew_id, password_hash FROM users WHERE username = %s",
        (username,),
    )
    return cur.fetchone()


def insert_token(cur, token_hash: str, user_id: int, expires_at: datetime) -> None:
    cur.execute(
        "INSERT INTO api_tokens (token_hash, user_id, expires_at) VALUES (%s, %s, %s)",
        (token_hash, user_id, expires_at),
    )


def user_for_token(cur, token_hash: str, now: datetime) -> dict | None:
    cur.execute(
        "SELECT u.id, u.username, u.role, u.crew_id FROM api_tokens t"
        " JOIN users u ON u.id = t.user_id WHERE t.token_hash = %s AND t.expires_at > %s",
        (token_hash, now),
    )
    return cur.fetchone()


def idempotent_ticket(cur, user_id: int, key: str) -> int | None:
    cur.execute(
        "SELECT ticket_id FROM idempotency_keys WHERE user_id = %s AND key = %s", (user_id, key)
    )
    row = cur.fetchone()
    return None if row is None else int(row["ticket_id"])


def remember_idempotency(cur, user_id: int, key: str, ticket_id: int) -> None:
    cur.execute(
        "INSERT INTO idempotency_keys (user_id, key, ticket_id) VALUES (%s, %s, %s)",
        (user_id, key, ticket_id),
    )


def log_personal_data_read(cur, *, username: str, role: str, subject: str, purpose: str) -> None:
    cur.execute(
        "INSERT INTO personal_data_reads (username, role, subject, purpose)"
        " VALUES (%s, %s, %s, %s)",
        (username, role, subject, purpose),
    )


# --- callbacks and complaints ------------------------------------------------------------------


def closed_jobs(cur, *, closed_from: datetime, closed_before: datetime) -> list[dict]:
    """Closed field tickets with the code of the crew that did them, closed in
    ``[closed_from, closed_before)``; linked duplicate calls are left out (not separate jobs)."""
    cur.execute(
        "SELECT t.id AS ticket_id, t.ticket_type, c.code AS worker, t.closed_at, t.paid"
        " FROM tickets t JOIN crews c ON c.id = t.crew_id"
        " WHERE t.status = 'closed' AND t.parent_ticket_id IS NULL"
        " AND t.closed_at >= %s AND t.closed_at < %s ORDER BY t.closed_at, t.id",
        (closed_from, closed_before),
    )
    return list(cur.fetchall())


def get_callback_draw(cur, sampled_on) -> dict | None:
    cur.execute(
        "SELECT sampled_on, seed, window_lo, window_hi, drawn_by, drawn_at, by_type, by_worker"
        " FROM callback_draws WHERE sampled_on = %s",
        (sampled_on,),
    )
    return cur.fetchone()


def callback_draws_between(cur, first, last) -> list[dict]:
    """Draws made for days from ``first`` to ``last`` (dates, both included)."""
    cur.execute(
        "SELECT sampled_on, seed, window_lo, window_hi, drawn_at FROM callback_draws"
        " WHERE sampled_on BETWEEN %s AND %s ORDER BY sampled_on",
        (first, last),
    )
    return list(cur.fetchall())


def insert_callback_draw(cur, row: dict) -> bool:
    """Record the day's draw; False when that day was drawn already (by a racing request, too:
    the insert waits for the other transaction and then finds its row)."""
    cur.execute(
        "INSERT INTO callback_draws (sampled_on, seed, window_lo, window_hi, drawn_by, drawn_at,"
        " by_type, by_worker) VALUES (%(sampled_on)s, %(seed)s, %(window_lo)s, %(window_hi)s,"
        " %(drawn_by)s, %(drawn_at)s, %(by_type)s, %(by_worker)s)"
        " ON CONFLICT (sampled_on) DO NOTHING",
        {
            **row,
            "by_type": json.dumps(row["by_type"]),
            "by_worker": json.dumps(row["by_worker"]),
        },
    )
    return cur.rowcount == 1


def insert_callback(cur, *, ticket_id: int, worker: str, sampled_on, finished_at: datetime) -> int:
    cur.execute(
        "INSERT INTO callbacks (ticket_id, worker, sampled_on, finished_at)"
        " VALUES (%s, %s, %s, %s) RETURNING id",
        (ticket_id, worker, sampled_on, finished_at),
    )
    return int(cur.fetchone()["id"])


CALLBACK_COLUMNS = (
    "cb.id, cb.ticket_id, cb.worker, cb.sampled_on, cb.finished_at, cb.status, cb.attitude,"
    " cb.skill, cb.attire, cb.punctuality, cb.issues, cb.called_by, cb.called_at, cb.follow_up,"
    " cb.reopened, t.number, t.ticket_type, t.status AS ticket_status, t.address,"
    " t.caller_name, t.caller_phone"
)


def get_callback(cur, callback_id: int, *, for_update: bool = False) -> dict | None:
    cur.execute(
        f"SELECT {CALLBACK_COLUMNS} FROM callbacks cb JOIN tickets t ON t.id = cb.ticket_id"
        " WHERE cb.id = %s" + (" FOR UPDATE OF cb" if for_update else ""),
        (callback_id,),
    )
    return cur.fetchone()


def list_callbacks(cur, *, sampled_on=None, status: str | None = None) -> list[dict]:
    cur.execute(
        f"SELECT {CALLBACK_COLUMNS} FROM callbacks cb JOIN tickets t ON t.id = cb.ticket_id"
        " WHERE (%(day)s::date IS NULL OR cb.sampled_on = %(day)s)"
        " AND (%(status)s::text IS NULL OR cb.status = %(status)s)"
        " ORDER BY cb.sampled_on, cb.finished_at, cb.ticket_id",
        {"day": sampled_on, "status": status},
    )
    return list(cur.fetchall())


def save_callback_answer(
    cur,
    callback_id: int,
    *,
    status: str,
    called_by: str,
    called_at: datetime,
    attitude: int | None = None,
    skill: int | None = None,
    attire: str | None = None,
    punctuality: str | None = None,
    issues: str = "",
    follow_up: bool = False,
    reopened: bool = False,
) -> bool:
    """Store what the customer said (or that they could not be reached); False when the call
    was answered already."""
    cur.execute(
        "UPDATE callbacks SET status = %s, attitude = %s, skill = %s, attire = %s,"
        " punctuality = %s, issues = %s, called_by = %s, called_at = %s, follow_up = %s,"
        " reopened = %s WHERE id = %s AND status <> 'done'",
        (
            status,
            attitude,
            skill,
            attire,
            punctuality,
            issues,
            called_by,
            called_at,
            follow_up,
            reopened,
            callback_id,
        ),
    )
    return cur.rowcount == 1


def callbacks_called_between(cur, since: datetime, before: datetime) -> list[dict]:
    """Callbacks made (answered or not) in ``[since, before)``, with the ticket's type."""
    cur.execute(
        f"SELECT {CALLBACK_COLUMNS} FROM callbacks cb JOIN tickets t ON t.id = cb.ticket_id"
        " WHERE cb.called_at >= %s AND cb.called_at < %s ORDER BY cb.called_at, cb.id",
        (since, before),
    )
    return list(cur.fetchall())


COMPLAINT_COLUMNS = (
    "id, channel, level, fault_class, department, worker, customer_name, customer_phone,"
    " account_no, ticket_id, description, taken_by, received_at, reply_due_at, status, reply,"
    " replied_at, callback_result, closed_at, overdue_raised_at"
)


def insert_complaint(cur, row: dict) -> int:
    cur.execute(
        "INSERT INTO complaints (channel, level, fault_class, department, worker, customer_name,"
        " customer_phone, account_no, ticket_id, description, taken_by, received_at,"
        " reply_due_at) VALUES (%(channel)s, %(level)s, %(fault_class)s, %(department)s,"
        " %(worker)s, %(customer_name)s, %(customer_phone)s, %(account_no)s, %(ticket_id)s,"
        " %(description)s, %(taken_by)s, %(received_at)s, %(reply_due_at)s) RETURNING id",
        row,
    )
    return int(cur.fetchone()["id"])


def get_complaint_row(cur, complaint_id: int, *, for_update: bool = False) -> dict | None:
    # The lock keeps two handlers from moving one complaint at once.
    cur.execute(
        f"SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE id = %s"
        + (" FOR UPDATE" if for_update else ""),
        (complaint_id,),
    )
    return cur.fetchone()


def save_complaint_state(cur, complaint_id: int, state: dict) -> None:
    """Write a complaint's loop fields: status, level, fault_class, department, worker, reply,
    replied_at, callback_result, closed_at."""
    cur.execute(
        "UPDATE complaints SET status = %(status)s, level = %(level)s,"
        " fault_class = %(fault_class)s, department = %(department)s, worker = %(worker)s,"
        " reply = %(reply)s, replied_at = %(replied_at)s, callback_result = %(callback_result)s,"
        " closed_at = %(closed_at)s WHERE id = %(id)s",
        {**state, "id": complaint_id},
    )


def list_complaints(
    cur,
    *,
    status: list[str] | None = None,
    level: int | None = None,
    open_only: bool = False,
    overdue_only: bool = False,
    limit: int = 200,
) -> list[dict]:
    cur.execute(
        f"SELECT {COMPLAINT_COLUMNS} FROM complaints"
        " WHERE (%(status)s::text[] IS NULL OR status = ANY(%(status)s))"
        " AND (%(level)s::int IS NULL OR level = %(level)s)"
        " AND (NOT %(open)s OR status <> 'closed')"
        " AND (NOT %(overdue)s OR overdue_raised_at IS NOT NULL)"
        " ORDER BY received_at DESC, id DESC LIMIT %(limit)s",
        {
            "status": status,
            "level": level,
            "open": open_only,
            "overdue": overdue_only,
            "limit": limit,
        },
    )
    return list(cur.fetchall())


def append_complaint_event(
    cur,
    complaint_id: int,
    *,
    at: datetime,
    actor: str,
    event_type: str,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: str | None = None,
    data: dict | None = None,
) -> int:
    cur.execute(
        "INSERT INTO complaint_events (complaint_id, at, actor, event_type, from_status,"
        " to_status, detail, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (
            complaint_id,
            at,
            actor,
            event_type,
            from_status,
            to_status,
            detail,
            json.dumps(data or {}, default=str),
        ),
    )
    return int(cur.fetchone()["id"])


def complaint_events(cur, complaint_id: int) -> list[dict]:
    cur.execute(
        "SELECT id, at, actor, event_type, from_status, to_status, detail, data"
        " FROM complaint_events WHERE complaint_id = %s ORDER BY at, id",
        (complaint_id,),
    )
    return list(cur.fetchall())


def mark_overdue_complaints(cur, now: datetime) -> list[dict]:
    """Flag the complaints still unanswered past their reply deadline and not flagged before;
    returns those flagged now. One statement, so two checkers cannot both flag one."""
    cur.execute(
        "UPDATE complaints SET overdue_raised_at = %(now)s"
        " WHERE replied_at IS NULL AND status <> 'closed' AND reply_due_at < %(now)s"
        " AND overdue_raised_at IS NULL RETURNING id, reply_due_at, status",
        {"now": now},
    )
    return sorted(cur.fetchall(), key=lambda r: r["id"])


# --- the wall screen's read model ---


def wall_tickets(cur, *, limit: int = 500, ids: list[int] | None = None) -> list[dict]:
    """Open, unlinked tickets (or those of them in ``ids``) with what the queue shows: crew code
    and the ETA it was sent with."""
    cur.execute(
        "SELECT t.id, t.number, t.ticket_type, t.category, t.priority, t.status, t.address,"
        " t.callers, t.received_at, t.arrival_due_at, t.arrived_at, t.crew_id, c.code AS crew_code,"
        " a.assigned_at, a.eta_s, a.automatic, ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat,"
        " CASE WHEN t.status IN ('assigned', 'accepted', 'en_route')"
        "   THEN ST_AsGeoJSON(a.route, 6) END AS route,"
        # Valves the crew found stuck (dispatch.crew_job_service), from the ticket's events.
        " ARRAY(SELECT (e.data->>'valve_id')::bigint FROM ticket_events e"
        "   WHERE e.ticket_id = t.id AND e.event_type = 'valve_stuck' ORDER BY e.id)"
        "   AS stuck_valves"
        " FROM tickets t LEFT JOIN crews c ON c.id = t.crew_id"
        " LEFT JOIN assignments a ON a.ticket_id = t.id AND a.released_at IS NULL"
        " WHERE t.status NOT IN ('closed', 'cancelled') AND t.parent_ticket_id IS NULL"
        " AND (%(ids)s::bigint[] IS NULL OR t.id = ANY(%(ids)s))"
        " ORDER BY t.priority, t.arrival_due_at NULLS LAST, t.received_at LIMIT %(limit)s",
        {"limit": limit, "ids": ids},
    )
    return list(cur.fetchall())


# --- the outbox ---------------------------------------------------------------------------------


def outbox_since(cur, after_id: int, *, limit: int = 1000) -> list[dict]:
    """Outbox rows after ``after_id``, oldest first."""
    cur.execute(
        "SELECT id, at, topic, kind, ticket_id, crew_id, data FROM outbox WHERE id > %s"
        " ORDER BY id LIMIT %s",
        (after_id, limit),
    )
    return list(cur.fetchall())


def outbox_last_id(cur) -> int:
    cur.execute("SELECT COALESCE(max(id), 0) AS id FROM outbox")
    return int(cur.fetchone()["id"])


# --- log-in attempts ----------------------------------------------------------------------------


def record_login_attempt(cur, *, username: str, client: str, at: datetime, ok: bool) -> None:
    cur.execute(
        "INSERT INTO login_attempts (at, username, client, succeeded) VALUES (%s, %s, %s, %s)",
        (at, username, client, ok),
    )


def login_failures_since(cur, *, username: str, client: str, since: datetime) -> list[dict]:
    """Failed attempts since ``since`` for this user name and for this client:
    ``[{"by", "failures", "last_at"}]`` with ``by`` ``user`` then ``client``."""
    cur.execute(
        "SELECT 'user' AS by, count(*) AS failures, max(at) AS last_at FROM login_attempts"
        " WHERE NOT succeeded AND username = %(u)s AND at >= %(since)s"
        " UNION ALL"
        " SELECT 'client', count(*), max(at) FROM login_attempts"
        " WHERE NOT succeeded AND client = %(c)s AND at >= %(since)s",
        {"u": username, "c": client, "since": since},
    )
    return list(cur.fetchall())


def ping(cur) -> None:
    """A round trip: raises when the connection is gone."""
    cur.execute("SELECT 1")


def try_advisory_lock(cur, key: int) -> bool:
    """Take the session-level advisory lock ``key`` if free (held until the connection ends)."""
    cur.execute("SELECT pg_try_advisory_lock(%s)", (key,))
    return bool(cur.fetchone()[0])
