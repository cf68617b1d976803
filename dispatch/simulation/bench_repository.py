"""Synthetic load for the wall screen's benchmark (``python -m dashboards.bench``): many crews
with fresh GPS fixes on the gas mains, open tickets in every state the wall shows, and closed
tickets as history.

Rows go in through the repository and the ticket's own lifecycle where those exist (tickets,
status events, assignments, positions); the SQL here covers only what a benchmark alone needs
(crews in bulk, bulk history). Every function takes a cursor inside the caller's transaction
(a :class:`dispatch.unit_of_work.UnitOfWork`) and is seeded, so the same seed on the same
territory gives the same rows. Coordinates are EPSG:4326 degrees, times timezone-aware.

Meant for throw-away databases: nothing here cleans up after itself.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import psycopg2.extras

from dispatch import repository as repo
from dispatch.clocks import ClockPolicy, deadlines
from dispatch.simulation import simulation_repository
from dispatch.ticket_model import SKILL_FOR_TYPE, category_of, default_priority
from gis.demo.operations import CREW_KINDS, SHIFTS

ACTOR = "bench"
#: Crew statuses of the added crews and their shares.
CREW_STATUS_SHARES = {"available": 0.5, "busy": 0.35, "off_duty": 0.15}
#: Ticket types of the open tickets and their shares (emergencies first, as on a bad day).
OPEN_TYPE_SHARES = {
    "gas_leak": 0.22,
    "third_party_damage": 0.06,
    "fire_explosion": 0.02,
    "no_gas_area": 0.05,
    "indoor_leak_repair": 0.12,
    "meter_fault": 0.1,
    "appliance_repair": 0.08,
    "paid_repair": 0.05,
    "free_repair": 0.04,
    "safety_inspection": 0.08,
    "appliance_installation": 0.06,
    "consultation": 0.04,
    "complaint": 0.04,
}
#: Status of the field tickets (non-field ones stay new) and their shares.
OPEN_STATUS_SHARES = {"new": 0.4, "assigned": 0.35, "en_route": 0.25}
#: How far through its arrival window an open ticket is (share of the window elapsed):
#: (share of tickets, lowest, highest). 1.0 and above: missed; 0.8 and above: at risk.
DEADLINE_PROGRESS = ((0.08, 1.0, 1.6), (0.12, 0.8, 1.0), (0.8, 0.0, 0.8))
#: Field types of the closed history.
HISTORY_TYPES = ("gas_leak", "indoor_leak_repair", "meter_fault", "paid_repair", "gas_on_ignition")


def add_crews(
    cur,
    *,
    total: int,
    now: datetime,
    rng: random.Random,
    stale_share: float = 0.04,
) -> list[int]:
    """Add crews until there are ``total``: spread over the depots, skills in the demo's
    rotation, status available / busy / off duty (:data:`CREW_STATUS_SHARES`), each with one
    GPS fix at a random point on a main in service recorded 0–60 s before ``now``; a
    ``stale_share`` of them last reported 10–30 minutes before ``now`` (a stale fix). Returns the
    new crews' ids, none when there are ``total`` already."""
    cur.execute("SELECT count(*) AS n, coalesce(max(id), 0) AS top FROM crews")
    row = cur.fetchone()
    missing, top = total - int(row["n"]), int(row["top"])
    if missing <= 0:
        return []
    cur.execute("SELECT id FROM depots ORDER BY id")
    depots = [int(r["id"]) for r in cur.fetchall()]
    if not depots:
        msg = "`depots`: the database has no depot; load a territory first"
        raise ValueError(msg)
    mains = _mains(cur)
    statuses, weights = zip(*CREW_STATUS_SHARES.items(), strict=True)
    rows, new_ids = [], []
    for i in range(missing):
        crew_id = top + 1 + i
        prefix, label, skills = CREW_KINDS[i % len(CREW_KINDS)]
        rows.append(
            (
                crew_id,
                f"B{prefix}-{crew_id:04d}",
                f"Bench {label.lower()} {crew_id}",
                depots[i % len(depots)],
                list(skills),
                rng.choice(SHIFTS),
                rng.choices(statuses, weights)[0],
                rng.randint(2, 4),
            )
        )
        new_ids.append(crew_id)
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO crews (id, code, name, depot_id, skills, shift, status, members) VALUES %s",
        rows,
    )
    fixes = []
    for crew_id in new_ids:
        point = _random_point(cur, mains, rng)
        stale = rng.random() < stale_share
        age_s = rng.uniform(600, 1800) if stale else rng.uniform(0, 60)
        fixes.append(
            {
                "crew_id": crew_id,
                "lon": point["lon"],
                "lat": point["lat"],
                "recorded_at": now - timedelta(seconds=age_s),
                "speed_mps": round(rng.uniform(0, 14), 1),
                "heading_deg": float(rng.randrange(360)),
            }
        )
    if fixes:
        repo.insert_positions(cur, fixes)
    return new_ids


def add_open_tickets(
    cur,
    *,
    count: int,
    now: datetime,
    rng: random.Random,
    policy: ClockPolicy | None = None,
) -> list[int]:
    """Add ``count`` open, unlinked tickets at random points on the mains: types and statuses
    mixed (:data:`OPEN_TYPE_SHARES`, :data:`OPEN_STATUS_SHARES`), deadlines from ``policy``
    with some near and some past (:data:`DEADLINE_PROGRESS`). An assigned or en-route ticket
    gets a busy crew with the skill it needs and no other active job, through the ticket's own
    lifecycle (status events, assignment with an ETA); when none is left it stays new.
    Returns the tickets' ids."""
    policy = policy or ClockPolicy.from_settings()
    mains = _mains(cur)
    free_crews = _idle_busy_crews(cur)
    types, type_weights = zip(*OPEN_TYPE_SHARES.items(), strict=True)
    statuses, status_weights = zip(*OPEN_STATUS_SHARES.items(), strict=True)
    made = []
    for _ in range(count):
        ticket_type = rng.choices(types, type_weights)[0]
        category = category_of(ticket_type)
        priority = default_priority(ticket_type)
        if category == "repair" and rng.random() < 0.1:
            priority = 2
        received_at = _received_at(ticket_type, priority, now, rng, policy)
        due = deadlines(ticket_type, category, priority, "urban", received_at, policy)
        point = _random_point(cur, mains, rng)
        ticket_id, _number = repo.insert_ticket(
            cur,
            {
                "ticket_type": ticket_type,
                "priority": priority,
                "lon": point["lon"],
                "lat": point["lat"],
                "address": f"{point['street_name'] or 'Main'} {rng.randint(1, 120)}",
                "description": "benchmark load",
                "account_no": None,
                "meter_id": None,
                "caller_name": None,
                "caller_phone": None,
                "receiving_department": "hotline",
                "taken_by": ACTOR,
                "received_at": received_at,
                "appointment_at": None,
                "promised_reply_at": None,
                "jurisdiction": "urban",
                "arrival_due_at": due.arrival_due_at,
                "make_safe_due_at": due.make_safe_due_at,
                "reply_due_at": due.reply_due_at,
            },
        )
        repo.append_event(
            cur,
            ticket_id,
            at=received_at,
            actor=ACTOR,
            event_type="created",
            to_status="new",
            data={"type": ticket_type, "priority": priority},
        )
        status = "new" if category == "non_field" else rng.choices(statuses, status_weights)[0]
        skill = SKILL_FOR_TYPE.get(ticket_type)
        crew = _take_crew(free_crews, skill) if status != "new" else None
        if crew is not None:
            _dispatch(cur, ticket_id, crew, status, category, received_at, now, rng)
        made.append(ticket_id)
    return made


def add_closed_tickets(
    cur, *, count: int, since: datetime, now: datetime, seed: float = 0.5
) -> int:
    """Add ``count`` closed tickets received between ``since`` and ``now``, each done by a
    random crew that arrived 5–50 minutes after the call (by ``now`` at the latest) under a
    released assignment, at a random point on a main. One statement however many: for a
    history of 100,000 tickets. ``seed`` (-1 to 1) seeds PostgreSQL's ``random()``. Returns
    the number added."""
    if count <= 0:
        return 0
    policy = ClockPolicy.from_settings()
    priorities = [default_priority(t) for t in HISTORY_TYPES]
    windows = [
        policy.arrival_minutes(t, p, "urban")
        for t, p in zip(HISTORY_TYPES, priorities, strict=True)
    ]
    cur.execute("SELECT setseed(%s)", (seed,))
    cur.execute(
        """
        WITH mains AS (
            SELECT array_agg(id ORDER BY id) AS ids FROM gas_mains WHERE status = 'in_service'
        ), crew_ids AS (
            SELECT array_agg(id ORDER BY id) AS ids FROM crews
        ), draw AS MATERIALIZED (
            SELECT nextval('tickets_id_seq') AS id,
                %(since)s::timestamptz
                    + random() * (%(now)s::timestamptz - %(since)s::timestamptz) AS received_at,
                1 + floor(random() * %(n_types)s)::int AS k,
                (SELECT ids FROM mains)[1 + floor(random()
                    * (SELECT cardinality(ids) FROM mains))::int] AS main_id,
                (SELECT ids FROM crew_ids)[1 + floor(random()
                    * (SELECT cardinality(ids) FROM crew_ids))::int] AS crew_id,
                random() AS fraction,
                interval '5 minutes' + random() * interval '45 minutes' AS travel
            FROM generate_series(1, %(count)s)
        ), steps AS (
            SELECT d.*, least(d.received_at + interval '2 minutes', %(now)s) AS assigned_at,
                least(d.received_at + d.travel, %(now)s) AS arrived_at
            FROM draw d
        ), made AS (
            INSERT INTO tickets (id, number, ticket_type, priority, status, address,
                description, taken_by, received_at, arrival_due_at, assigned_at, on_site_at,
                arrived_at, repaired_at, closed_at, crew_id, geom)
            SELECT s.id, 'H' || lpad(s.id::text, 8, '0'), (%(types)s::text[])[s.k],
                (%(priorities)s::int[])[s.k], 'closed', m.street_name, 'benchmark history',
                %(actor)s, s.received_at,
                s.received_at + (%(windows)s::float8[])[s.k] * interval '1 minute',
                s.assigned_at, s.arrived_at, s.arrived_at,
                least(s.arrived_at + interval '30 minutes', %(now)s),
                least(s.arrived_at + interval '40 minutes', %(now)s), s.crew_id,
                ST_LineInterpolatePoint(m.geom, s.fraction)
            FROM steps s JOIN gas_mains m ON m.id = s.main_id
            RETURNING id, crew_id, assigned_at, arrived_at, closed_at, category
        )
        INSERT INTO assignments (ticket_id, crew_id, assigned_at, assigned_by, eta_s,
            released_at, release_reason, emergency)
        SELECT id, crew_id, assigned_at, %(actor)s,
            extract(epoch FROM arrived_at - assigned_at), closed_at, 'closed',
            category = 'emergency'
        FROM made
        """,
        {
            "since": since,
            "now": now,
            "count": count,
            "n_types": len(HISTORY_TYPES),
            "types": list(HISTORY_TYPES),
            "priorities": priorities,
            "windows": windows,
            "actor": ACTOR,
        },
    )
    return cur.rowcount


def analyze(cur) -> None:
    """Refresh the planner's statistics after a bulk load, as autovacuum would in time."""
    cur.execute("ANALYZE")


def open_ticket_ids(cur) -> list[int]:
    """Ids of the open, unlinked tickets (what the wall's queue lists), by id."""
    cur.execute(
        "SELECT id FROM tickets WHERE status NOT IN ('closed', 'cancelled')"
        " AND parent_ticket_id IS NULL ORDER BY id"
    )
    return [int(r["id"]) for r in cur.fetchall()]


def count_crews(cur) -> int:
    cur.execute("SELECT count(*) AS n FROM crews")
    return int(cur.fetchone()["n"])


def _mains(cur) -> tuple[list[int], list[float]]:
    rows = simulation_repository.gas_main_lengths(cur)
    if not rows:
        msg = "`gas_mains`: the database has no main in service; load a territory first"
        raise ValueError(msg)
    ids, lengths = zip(*rows, strict=True)
    return list(ids), list(lengths)


def _random_point(cur, mains: tuple[list[int], list[float]], rng: random.Random) -> dict:
    """A point on a main drawn in proportion to length: ``{"lon", "lat", "street_name"}``."""
    ids, lengths = mains
    main_id = rng.choices(ids, lengths)[0]
    point = simulation_repository.point_along_main(cur, main_id, rng.random())
    assert point is not None  # the id came from the table a moment ago
    return point


def _received_at(
    ticket_type: str, priority: int, now: datetime, rng: random.Random, policy: ClockPolicy
) -> datetime:
    """When the call came in, so that the arrival window is as far through as drawn."""
    window = None
    if category_of(ticket_type) != "non_field":
        window = policy.arrival_minutes(ticket_type, priority, "urban")
    if window is None:
        return now - timedelta(minutes=rng.uniform(1, 8 * 60))
    shares, lows, highs = zip(*DEADLINE_PROGRESS, strict=True)
    band = rng.choices(range(len(shares)), shares)[0]
    progress = rng.uniform(lows[band], highs[band])
    return now - timedelta(minutes=max(progress * window, 0.5))


def _idle_busy_crews(cur) -> list[dict]:
    cur.execute(
        "SELECT c.id, c.skills FROM crews c WHERE c.status = 'busy' AND NOT EXISTS"
        " (SELECT 1 FROM assignments a WHERE a.crew_id = c.id AND a.released_at IS NULL)"
        " ORDER BY c.id"
    )
    return [{"id": int(r["id"]), "skills": set(r["skills"])} for r in cur.fetchall()]


def _take_crew(crews: list[dict], skill: str | None) -> dict | None:
    for i, crew in enumerate(crews):
        if skill is None or skill in crew["skills"]:
            return crews.pop(i)
    return None


def _dispatch(
    cur,
    ticket_id: int,
    crew: dict,
    status: str,
    category: str,
    received_at: datetime,
    now: datetime,
    rng: random.Random,
) -> None:
    """Assign the crew (and for ``en_route``, accept and set off) at times between the call
    and ``now``, as the services would have, with a route from the crew's fix to the ticket."""
    elapsed = now - received_at
    assigned_at = received_at + elapsed * rng.uniform(0.05, 0.3)
    eta_s = round(rng.uniform(300, 2400), 1)
    row = repo.get_ticket_row(cur, ticket_id)
    ticket = repo.ticket_from_row(row)
    expected = ticket.version
    fix = repo.get_crew(cur, crew["id"])
    route = None
    if fix["lon"] is not None and row["lon"] is not None:
        route = _route((fix["lon"], fix["lat"]), (row["lon"], row["lat"]), rng)
    ticket.assign(crew["id"], at=assigned_at, actor=ACTOR, eta_s=eta_s)
    if status == "en_route":
        accepted_at = assigned_at + (now - assigned_at) * rng.uniform(0.05, 0.3)
        ticket.transition("accepted", at=accepted_at, actor=ACTOR)
        ticket.transition(
            "en_route", at=accepted_at + (now - accepted_at) * rng.uniform(0.0, 0.3), actor=ACTOR
        )
    repo.insert_assignment(
        cur,
        ticket_id=ticket_id,
        crew_id=crew["id"],
        at=assigned_at,
        by=ACTOR,
        automatic=False,
        eta_s=eta_s,
        emergency=category == "emergency",
        route=route,
    )
    if not repo.save_ticket_state(cur, ticket, expected):
        msg = f"`ticket_id`: ticket {ticket_id} changed while the benchmark loaded it"
        raise RuntimeError(msg)
    for event in ticket.events:
        repo.append_status_event(cur, ticket_id, event)


def _route(
    start: tuple[float, float], end: tuple[float, float], rng: random.Random, *, legs: int = 40
) -> list[list[float]] | None:
    """A stand-in for a road route from ``start`` to ``end`` (lon, lat, EPSG:4326): a staircase
    of ``legs`` legs, as long as a real route's vertex list, so the map layer weighs what a
    real one would. None when the two points coincide."""
    (x0, y0), (x1, y1) = start, end
    if (x0, y0) == (x1, y1):
        return None
    points = [[x0, y0]]
    x, y = x0, y0
    for i in range(1, legs):
        share = min(i / legs + rng.uniform(-0.2, 0.2) / legs, 1.0)
        if i % 2:
            x = x0 + (x1 - x0) * share
        else:
            y = y0 + (y1 - y0) * share
        points.append([round(x, 7), round(y, 7)])
    points.append([x1, y1])
    return points


def freshen_crew_fixes(cur) -> None:
    """Every crew's latest fix as of now: the crews report in as a benchmark starts."""
    cur.execute("UPDATE crew_latest_positions SET recorded_at = now()")


def count_positions(cur) -> int:
    """Fixes in the history."""
    cur.execute("SELECT count(*) AS n FROM crew_positions")
    return int(cur.fetchone()["n"])


def crews_with_a_wrong_latest_fix(cur) -> int:
    """Crews whose latest position is not their newest fix in the history."""
    cur.execute(
        "SELECT count(*) AS n FROM crew_latest_positions l"
        " JOIN (SELECT crew_id, max(recorded_at) AS newest FROM crew_positions GROUP BY crew_id)"
        " h USING (crew_id) WHERE l.recorded_at <> h.newest"
    )
    return int(cur.fetchone()["n"])


# --- the hotline's customer search benchmark (dispatch.customer_search_bench) ---

_SYNTHETIC_CUSTOMERS = """
INSERT INTO customer_meters (id, meter_no, account_no, customer_name, phone, address,
                             category, geom)
SELECT g,
       'GM' || lpad(g::text, 8, '0'),
       lpad((60000000 + g)::text, 9, '0'),
       (ARRAY['王','李','张','刘','陈','杨','赵','黄','周','吴'])[1 + g %% 10]
           || (ARRAY['伟','芳','娜','敏','静','丽','强','磊','军','洋'])[1 + (g / 10) %% 10],
       (ARRAY['139','138','137','136','135','150','151','186','187','188'])[1 + (g / 7) %% 10]
           || lpad(((g::bigint * 2654435761) %% 100000000)::text, 8, '0'),
       (ARRAY['Mannerheimin','Runebergin','Aleksanterin','Kalevan','Hämeen','Topeliuksen',
              'Fredrikin','Albertin','Bulevardin','Eerikin','Lönnrotin','Yrjön','Annan',
              'Uudenmaan','Tehtaan','Laivurin','Merimiehen','Punavuoren','Sepän','Kaartin',
              'Museon','Temppelin','Cygnaeuksen','Töölön','Sibeliuksen','Linnan','Koivu',
              'Vaahtera','Pihlaja','Kuusi','Mänty','Tammi','Lehmus','Haapa','Saarni','Leppä',
              'Kataja','Paju','Raita','Tuomi'])[1 + (g / 37) %% 40]
           || (ARRAY['','rannan','mäen','niityn','metsän','kallion','lahden','harjun','puiston',
                     'kentän','sillan','portin','kaaren','kujan','polun','tornin','myllyn',
                     'kartanon','koulun','kirkon','sataman','aseman','torin','puron','lammen'
                    ])[1 + (g / 1481) %% 25]
           || (ARRAY['tie','katu','kuja','polku','rinne'])[1 + (g / 7) %% 5]
           || ' ' || (1 + (g::bigint * 7919) %% 150)
           || CASE WHEN g %% 3 = 0 THEN '' ELSE ', apt ' || (1 + g %% 40) END,
       'residential',
       ST_SetSRID(ST_MakePoint(24.85 + (g %% 1000) * 0.0002, 60.15 + (g / 1000 %% 500) * 0.0001),
                  4326)
FROM generate_series(1, %(n)s) AS g
"""


def insert_synthetic_customers(cur, n: int) -> None:
    """``n`` customers in one statement: phones, accounts, meters and addresses on 5,000
    street names, spread over central Helsinki."""
    cur.execute(_SYNTHETIC_CUSTOMERS, {"n": n})


def analyze_customers(cur) -> None:
    """Fresh planner statistics after a bulk load (needs an autocommit connection)."""
    cur.execute("VACUUM ANALYZE customer_meters")


def customers_by_id(cur, ids: list[int]) -> list[dict]:
    cur.execute(
        "SELECT id, meter_no, account_no, phone, address FROM customer_meters WHERE id = ANY(%s)",
        (ids,),
    )
    return list(cur.fetchall())
