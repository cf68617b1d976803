"""The SQL of the manager's page beyond the regulators' records: the response-time map summed
from the daily per-cell response histograms the database keeps (``response_histograms``, over
the H3 cells stored per ticket, ``ticket_h3_cells``), the weekly trend, the jobs
of a cell, and the rows the breakdowns and the other measures of :mod:`dispatch.kpis` count.
Functions take a cursor in the caller's transaction and return plain dicts. Percentiles
grouped here are ``percentile_cont`` (linear interpolation, the type 7 of
:func:`dispatch.kpis.percentile`); the map's histograms are read by
:func:`dispatch.kpis.histogram_percentile`."""

from __future__ import annotations

import io
import json
from datetime import datetime

from gis.hexagons import cell_ints

#: Resolutions stored per ticket (the columns r7, r8, r9 of ticket_h3_cells).
STORED_RESOLUTIONS = (7, 8, 9)

# The field tickets a report counts: located, not answered on the phone, with the filters.
_FIELD_FILTER = """
    t.received_at >= %(start)s AND t.received_at < %(end)s AND t.geom IS NOT NULL
    AND t.category <> 'non_field'
    AND (%(types)s::text[] IS NULL OR t.ticket_type = ANY(%(types)s))
    AND (%(priorities)s::int[] IS NULL OR t.priority = ANY(%(priorities)s))
"""


def _params(start, end, types, priorities, **more) -> dict:
    return {
        "start": start,
        "end": end,
        "types": list(types) if types else None,
        "priorities": list(priorities) if priorities else None,
        **more,
    }


def _column(resolution: int) -> str:
    if resolution not in STORED_RESOLUTIONS:
        raise ValueError(f"resolution {resolution} is not stored")
    return f"c.r{resolution}"


def sync_cells(cur, batch: int = 100_000) -> int:
    """Compute the cells of the tickets queued by the database's triggers (added or moved
    since the last call) and store them; returns how many. Rows queued are locked while they
    are done (SKIP LOCKED), so two processes at once share the work instead of repeating it."""
    done = 0
    while True:
        cur.execute(
            "SELECT p.ticket_id, ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat, t.received_at"
            " FROM ticket_cells_pending p JOIN tickets t ON t.id = p.ticket_id"
            " WHERE t.geom IS NOT NULL ORDER BY p.ticket_id LIMIT %s FOR UPDATE OF p SKIP LOCKED",
            (batch,),
        )
        rows = cur.fetchall()
        if not rows:
            cur.execute(
                "DELETE FROM ticket_cells_pending p USING tickets t"
                " WHERE t.id = p.ticket_id AND t.geom IS NULL"
            )
            return done
        buffer = io.StringIO()
        for r in rows:
            cells = cell_ints(r["lon"], r["lat"], STORED_RESOLUTIONS)
            buffer.write(f"{r['ticket_id']}\t{r['received_at'].isoformat()}\t")
            buffer.write("\t".join(map(str, cells)) + "\n")
        buffer.seek(0)
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS cells_in (ticket_id bigint, received_at"
            " timestamptz, r7 bigint, r8 bigint, r9 bigint) ON COMMIT DROP"
        )
        cur.execute("TRUNCATE cells_in")
        cur.copy_expert("COPY cells_in FROM STDIN", buffer)
        # With the cells, what the ticket counts for in the response histograms (the
        # triggers of migration 0022 add it to them in this transaction).
        cur.execute(
            "INSERT INTO ticket_h3_cells (ticket_id, received_at, r7, r8, r9, counted_day,"
            " counted_type, counted_priority, counted_bucket)"
            " SELECT i.ticket_id, t.received_at, i.r7, i.r8, i.r9,"
            " response_day(t.received_at, z.zone), t.ticket_type, t.priority,"
            " response_bucket(t.category, t.parent_ticket_id, t.received_at, t.arrived_at)"
            " FROM cells_in i JOIN tickets t ON t.id = i.ticket_id"
            " CROSS JOIN (SELECT territory_zone() AS zone) z"
            " ON CONFLICT (ticket_id) DO UPDATE SET"
            " received_at = EXCLUDED.received_at, r7 = EXCLUDED.r7, r8 = EXCLUDED.r8,"
            " r9 = EXCLUDED.r9, counted_day = EXCLUDED.counted_day,"
            " counted_type = EXCLUDED.counted_type, counted_priority = EXCLUDED.counted_priority,"
            " counted_bucket = EXCLUDED.counted_bucket"
        )
        cur.execute(
            "DELETE FROM ticket_cells_pending WHERE ticket_id IN (SELECT ticket_id FROM cells_in)"
        )
        done += len(rows)


def response_cells(cur, start, end, now, resolution, *, types=None, priorities=None) -> list:
    """Per cell (its integer index): the unlinked jobs reached by ``now`` and the median and
    90th percentile of their minutes from the call to the arrival."""
    cur.execute(
        f"""
        SELECT {_column(resolution)} AS cell, count(*) AS jobs,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY m) AS median_min,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY m) AS p90_min
        FROM (
            SELECT t.id, extract(epoch FROM t.arrived_at - t.received_at) / 60 AS m
            FROM tickets t
            WHERE {_FIELD_FILTER} AND t.parent_ticket_id IS NULL AND t.arrived_at <= %(now)s
        ) j JOIN ticket_h3_cells c ON c.ticket_id = j.id
        -- the same range on the cells' covering index: both sides are index-only scans
        WHERE c.received_at >= %(start)s AND c.received_at < %(end)s
        GROUP BY 1 ORDER BY 1
        """,
        _params(start, end, types, priorities, now=now),
    )
    return [dict(r) for r in cur.fetchall()]


#: The response histograms' buckets (migration 0022): bucket b holds the jobs reached in
#: [b, b + 1) minutes from the call, for b = 0 .. 179; the last one, 180, every job reached
#: after 180 minutes or more. Medians and percentiles read from them are estimates to within
#: ``BUCKET_MIN`` (see :func:`dispatch.kpis.histogram_percentile`).
BUCKET_MIN = 1.0
HISTOGRAM_BUCKETS = 181

_SUMMED_COUNTS = ", ".join(f"sum(h.counts[{i}])" for i in range(1, HISTOGRAM_BUCKETS + 1))


#: How :func:`response_histograms` groups: its SQL key in ``response_histograms h`` and in
#: ``ticket_h3_cells c`` (the correction for jobs reached after ``now``). Weeks and the
#: whole period read the coarsest level, where each job is in exactly one cell.
_HISTOGRAM_GROUPS = {
    "cell": ("h.cell", "c.{column}"),
    "week": ("date_trunc('week', h.day)::date", "date_trunc('week', c.counted_day)::date"),
    "all": ("0", "0"),
}


def response_histograms(
    cur, first, last, start, end, now, resolution, *, types=None, priorities=None, by="cell"
) -> list:
    """Per group (``by``: ``"cell"``, its integer index at ``resolution``; ``"week"``, the
    Monday of the local week; ``"all"``, one group ``0``): the unlinked field jobs called on
    the local days ``first`` to ``last`` (both included; ``start`` / ``end`` the same days as
    instants) and reached by ``now``, as ``jobs`` and ``counts``, their summed histogram of
    response minutes (:data:`HISTOGRAM_BUCKETS` buckets of :data:`BUCKET_MIN`), each under
    ``key``. Sums the daily histograms the database keeps (``response_histograms``), then takes
    out the few jobs reached after ``now`` (a report as of a past moment; none when ``now`` is
    the present)."""
    if by != "cell":
        resolution = min(STORED_RESOLUTIONS)
    column = _column(resolution)[2:]
    key, correction_key = _HISTOGRAM_GROUPS[by]
    correction_key = correction_key.format(column=column)
    params = _params(start, end, types, priorities, now=now, first=first, last=last)
    params["resolution"] = resolution
    cur.execute(
        f"""
        SELECT {key} AS key, sum(h.jobs)::int AS jobs, ARRAY[{_SUMMED_COUNTS}]::int[] AS counts
        FROM response_histograms h
        WHERE h.resolution = %(resolution)s AND h.day >= %(first)s AND h.day <= %(last)s
          AND (%(types)s::text[] IS NULL OR h.ticket_type = ANY(%(types)s))
          AND (%(priorities)s::int[] IS NULL OR h.priority = ANY(%(priorities)s))
        GROUP BY 1 ORDER BY 1
        """,
        params,
    )
    groups = {
        r["key"]: {"key": r["key"], "jobs": r["jobs"], "counts": list(r["counts"])}
        for r in cur.fetchall()
    }
    cur.execute(
        f"""
        SELECT {correction_key} AS key, c.counted_bucket AS bucket
        FROM tickets t JOIN ticket_h3_cells c ON c.ticket_id = t.id
        WHERE t.arrived_at > %(now)s AND t.geom IS NOT NULL AND t.category <> 'non_field'
          AND t.parent_ticket_id IS NULL AND c.counted_bucket IS NOT NULL
          AND c.counted_day >= %(first)s AND c.counted_day <= %(last)s
          AND (%(types)s::text[] IS NULL OR c.counted_type = ANY(%(types)s))
          AND (%(priorities)s::int[] IS NULL OR c.counted_priority = ANY(%(priorities)s))
        """,
        params,
    )
    for r in cur.fetchall():
        group = groups[r["key"]]
        group["jobs"] -= 1
        group["counts"][r["bucket"]] -= 1
    return [g for g in groups.values() if g["jobs"] > 0]


def rebuild_histograms(cur) -> int:
    """Recompute every ticket's contribution and the response histograms from the tickets
    and their stored cells (back-fill; after the territory's timezone changed). One
    statement each, the incremental triggers paused for this transaction. Cells not yet
    computed are computed first. Returns the number of histogram rows."""
    sync_cells(cur)
    cur.execute("SET LOCAL dispatch.rebuilding_histograms = 'on'")
    cur.execute(
        "UPDATE ticket_h3_cells c SET counted_day = response_day(t.received_at, z.zone),"
        " counted_type = t.ticket_type, counted_priority = t.priority,"
        " counted_bucket = response_bucket(t.category, t.parent_ticket_id, t.received_at,"
        " t.arrived_at), received_at = t.received_at"
        " FROM tickets t, (SELECT territory_zone() AS zone) z"
        " WHERE t.id = c.ticket_id AND (c.counted_day, c.counted_type,"
        " c.counted_priority, c.counted_bucket, c.received_at) IS DISTINCT FROM"
        " (response_day(t.received_at, z.zone), t.ticket_type, t.priority,"
        " response_bucket(t.category, t.parent_ticket_id, t.received_at, t.arrived_at),"
        " t.received_at)"
    )
    cur.execute("DELETE FROM response_histograms")
    cur.execute(
        """
        INSERT INTO response_histograms (territory_id, resolution, cell, day, ticket_type,
            priority, jobs, counts)
        SELECT territory_id, resolution, cell, counted_day, counted_type, counted_priority,
            sum(n)::int, response_hist_of(array_agg(counted_bucket), array_agg(n)::int[])
        FROM (
            SELECT c.territory_id, r.resolution, r.cell, c.counted_day, c.counted_type,
                c.counted_priority, c.counted_bucket, count(*)::int AS n
            FROM ticket_h3_cells c CROSS JOIN LATERAL (VALUES (7::smallint, c.r7),
                (8::smallint, c.r8), (9::smallint, c.r9)) AS r(resolution, cell)
            WHERE c.counted_bucket IS NOT NULL
            GROUP BY 1, 2, 3, 4, 5, 6, 7
        ) b
        GROUP BY 1, 2, 3, 4, 5, 6
        """
    )
    rows = cur.rowcount
    cur.execute("SET LOCAL dispatch.rebuilding_histograms = 'off'")
    return rows


def weekly_response(cur, start, end, now, timezone, *, types=None, priorities=None) -> list:
    """Per local week of the call (its Monday): jobs reached, median and 90th percentile."""
    cur.execute(
        f"""
        SELECT date_trunc('week', t.received_at AT TIME ZONE %(tz)s)::date AS week,
            count(*) AS jobs,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY m) AS median_min,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY m) AS p90_min
        FROM tickets t,
            LATERAL (SELECT extract(epoch FROM t.arrived_at - t.received_at) / 60 AS m) x
        WHERE {_FIELD_FILTER} AND t.parent_ticket_id IS NULL AND t.arrived_at <= %(now)s
        GROUP BY 1 ORDER BY 1
        """,
        _params(start, end, types, priorities, now=now, tz=timezone),
    )
    return [dict(r) for r in cur.fetchall()]


def cell_jobs(
    cur, start, end, resolution, cell: int, *, types=None, priorities=None, limit=200
) -> list:
    """The first ``limit`` field jobs of one cell in the period, in the order received
    (linked duplicates left out): number, type, priority, status, the call, the arrival, the
    crew, and ``total``, how many there are in all."""
    cur.execute(
        f"""
        SELECT t.id, t.number, t.ticket_type, t.priority, t.status, t.address, t.received_at,
            t.arrived_at, cr.code AS crew, count(*) OVER () AS total
        FROM ticket_h3_cells c JOIN tickets t ON t.id = c.ticket_id
        LEFT JOIN crews cr ON cr.id = t.crew_id
        WHERE {_column(resolution)} = %(cell)s AND {_FIELD_FILTER}
          AND t.parent_ticket_id IS NULL
        ORDER BY t.received_at, t.id LIMIT %(limit)s
        """,
        _params(start, end, types, priorities, cell=cell, limit=limit),
    )
    return [dict(r) for r in cur.fetchall()]


def breakdown_rows(cur, start, end, *, types=None, priorities=None) -> list:
    """The field tickets of the period with what compliance is counted by: the clock columns,
    the district they lie in and the crew on the job."""
    cur.execute(
        f"""
        SELECT t.id, t.ticket_type, t.priority, t.status, t.parent_ticket_id, t.received_at,
            t.arrival_due_at, t.arrived_at, t.en_route_at, t.cancelled_at,
            cr.code AS crew, d.name AS district
        FROM tickets t
        LEFT JOIN crews cr ON cr.id = t.crew_id
        LEFT JOIN LATERAL (
            SELECT name FROM districts WHERE ST_Contains(geom, t.geom) ORDER BY id LIMIT 1
        ) d ON true
        WHERE {_FIELD_FILTER}
        """,
        _params(start, end, types, priorities),
    )
    return [dict(r) for r in cur.fetchall()]


def job_rows(cur, start, end, now, *, types=None, priorities=None) -> list:
    """The field jobs of the period for the resolution and first-time pass rates: status,
    closing, cancelling and how often each was re-opened by ``now``."""
    cur.execute(
        f"""
        SELECT t.id, t.status, t.parent_ticket_id, t.closed_at, t.cancelled_at,
            (SELECT count(*) FROM ticket_events e WHERE e.ticket_id = t.id
                AND e.event_type = 'reopened' AND e.at <= %(now)s) AS reopened
        FROM tickets t WHERE {_FIELD_FILTER}
        """,
        _params(start, end, types, priorities, now=now),
    )
    return [dict(r) for r in cur.fetchall()]


def complaint_rows(cur, start, end) -> list:
    cur.execute(
        "SELECT id, status, closed_at, replied_at, reply_due_at FROM complaints"
        " WHERE received_at >= %s AND received_at < %s",
        (start, end),
    )
    return [dict(r) for r in cur.fetchall()]


def callback_answers(cur, start, end) -> list:
    """Answered callbacks made in the period: the worker (a crew's code), the crew's team
    (its depot) and the two scores."""
    cur.execute(
        "SELECT cb.worker, cb.attitude, cb.skill, dp.name AS team FROM callbacks cb"
        " LEFT JOIN crews cr ON cr.code = cb.worker LEFT JOIN depots dp ON dp.id = cr.depot_id"
        " WHERE cb.status = 'done' AND cb.called_at >= %s AND cb.called_at < %s",
        (start, end),
    )
    return [dict(r) for r in cur.fetchall()]


def crews_and_assignments(cur, start, end) -> tuple[list, list]:
    """Every crew (code, shift) and the assignments overlapping the period."""
    cur.execute("SELECT code, shift FROM crews ORDER BY code")
    crews = [dict(r) for r in cur.fetchall()]
    cur.execute(
        "SELECT cr.code AS crew, a.ticket_id, a.assigned_at, a.released_at FROM assignments a"
        " JOIN crews cr ON cr.id = a.crew_id"
        " WHERE a.assigned_at < %s AND (a.released_at IS NULL OR a.released_at > %s)",
        (end, start),
    )
    return crews, [dict(r) for r in cur.fetchall()]


def base_layers(cur, tolerance_deg: float = 0.0002) -> dict:
    """The plain background of an exported map: the districts' outlines and the main
    streets, simplified, as GeoJSON FeatureCollections (from OpenStreetMap data)."""
    cur.execute(
        "SELECT name, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, %s), 6)::json AS g"
        " FROM districts ORDER BY id",
        (tolerance_deg,),
    )
    districts = [
        {"type": "Feature", "properties": {"name": r["name"]}, "geometry": r["g"]}
        for r in cur.fetchall()
    ]
    cur.execute(
        "SELECT ST_AsGeoJSON(ST_Simplify(ST_Collect(geom), %s), 6)::json AS g FROM streets"
        " WHERE highway IN ('motorway', 'trunk', 'primary', 'secondary', 'tertiary')",
        (tolerance_deg,),
    )
    row = cur.fetchone()
    streets = (
        []
        if row is None or row["g"] is None
        else [{"type": "Feature", "properties": {}, "geometry": row["g"]}]
    )
    return {
        "districts": {"type": "FeatureCollection", "features": districts},
        "streets": {"type": "FeatureCollection", "features": streets},
    }


# --- coverage -----------------------------------------------------------------------------------


def depots(cur) -> list[dict]:
    cur.execute("SELECT id, name, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM depots ORDER BY id")
    return [dict(r) for r in cur.fetchall()]


def record_crew_move(cur, move: dict, *, by: str, at: datetime) -> int:
    """Store a move a dispatcher applied and announce it (the crew's topic, so every wall
    re-reads the crew). Returns the move's id."""
    cur.execute(
        "INSERT INTO crew_moves (crew_id, from_geom, to_geom, to_depot_id, uncovered_before_km,"
        " uncovered_after_km, moved_by, moved_at) VALUES (%(crew_id)s,"
        " CASE WHEN %(from_lon)s::float8 IS NULL THEN NULL"
        "   ELSE ST_SetSRID(ST_MakePoint(%(from_lon)s, %(from_lat)s), 4326) END,"
        " ST_SetSRID(ST_MakePoint(%(to_lon)s, %(to_lat)s), 4326), %(to_depot_id)s,"
        " %(before_km)s, %(after_km)s, %(by)s, %(at)s) RETURNING id",
        {**move, "by": by, "at": at},
    )
    move_id = int(cur.fetchone()["id"])
    cur.execute(
        "INSERT INTO outbox (at, topic, kind, crew_id, data) VALUES (%s, 'crew', 'crew_move', %s,"
        " %s)",
        (at, move["crew_id"], json.dumps({"move_id": move_id, "by": by})),
    )
    return move_id


# --- compliance counted by the database -----------------------------------------------------------

#: What compliance can be grouped by, as SQL over the tickets ``t`` (week: its local Monday,
#: month: YYYY-MM, the district it lies in, the crew on the job; None: one group, ``all``).
_COMPLIANCE_GROUPS = {
    None: "'all'",
    "week": "to_char(date_trunc('week', t.received_at AT TIME ZONE %(tz)s), 'YYYY-MM-DD')",
    "month": "to_char(t.received_at AT TIME ZONE %(tz)s, 'YYYY-MM')",
    "district": "coalesce(d.name, '-')",
    "crew": "coalesce(cr.code, '-')",
}


def _policy_params(policies: dict) -> dict:
    """Every policy's clocks as parallel arrays, unnested by the query: per priority the
    arrival and departure minutes, per ticket type the arrival minutes that override them."""
    names, order = list(policies), list(range(len(policies)))
    prio = {k: [] for k in ("policy", "priority", "arrival", "depart")}
    types = {k: [] for k in ("policy", "type", "minutes")}
    for name, targets in policies.items():
        for priority in sorted(set(targets.arrival) | set(targets.depart)):
            prio["policy"].append(name)
            prio["priority"].append(int(priority))
            prio["arrival"].append(targets.arrival.get(priority))
            prio["depart"].append(targets.depart.get(priority))
        for kind, minutes in targets.by_type.items():
            types["policy"].append(name)
            types["type"].append(kind)
            types["minutes"].append(float(minutes))
    return {
        "pol_names": names,
        "pol_order": order,
        **{f"pp_{k}": v for k, v in prio.items()},
        **{f"pt_{k}": v for k, v in types.items()},
    }


def compliance_counts(
    cur,
    start,
    end,
    now,
    policies: dict,
    by: str | None,
    timezone: str,
    *,
    types=None,
    priorities=None,
) -> list[dict]:
    """Per group (``by``) and policy (``policies``: name → ClockTargets): how many tickets are
    decided and how many met, as of ``now``, by the rules of
    :func:`dispatch.kpis.policy_outcome` written in SQL (the arrival clock from the call, the
    type's minutes over the priority's; met when reached by then and, where the policy has a
    departure clock, on the way by then; cancelled before the deadline or still within it:
    undecided; past it and not reached: missed; linked duplicates: undecided). Every group
    holding a field ticket of the period appears, with every policy."""
    group = _COMPLIANCE_GROUPS[by]
    district_join = (
        "LEFT JOIN LATERAL (SELECT name FROM districts WHERE ST_Contains(geom, t.geom)"
        " ORDER BY id LIMIT 1) d ON true"
        if by == "district"
        else ""
    )
    crew_join = "LEFT JOIN crews cr ON cr.id = t.crew_id" if by == "crew" else ""
    cur.execute(
        f"""
        WITH pol AS (
            SELECT * FROM unnest(%(pol_names)s::text[], %(pol_order)s::int[]) AS p(policy, ord)
        ), pp AS (
            SELECT * FROM unnest(%(pp_policy)s::text[], %(pp_priority)s::int[],
                %(pp_arrival)s::float8[], %(pp_depart)s::float8[])
                AS x(policy, priority, arrival, depart)
        ), pt AS (
            SELECT * FROM unnest(%(pt_policy)s::text[], %(pt_type)s::text[],
                %(pt_minutes)s::float8[]) AS x(policy, ticket_type, minutes)
        ), tk AS (
            SELECT {group} AS grp, t.ticket_type, t.priority, t.parent_ticket_id, t.received_at,
                CASE WHEN t.arrived_at <= %(now)s THEN t.arrived_at END AS arrived,
                CASE WHEN t.cancelled_at <= %(now)s THEN t.cancelled_at END AS cancelled,
                CASE WHEN t.en_route_at <= %(now)s THEN t.en_route_at END AS en_route
            FROM tickets t {district_join} {crew_join}
            WHERE {_FIELD_FILTER}
        ), judged AS (
            SELECT tk.grp, pol.policy, pol.ord,
                CASE
                    WHEN tk.parent_ticket_id IS NOT NULL OR c.due IS NULL THEN NULL
                    WHEN tk.arrived IS NOT NULL AND tk.arrived <= c.due THEN
                        pp.depart IS NULL OR coalesce(tk.en_route, tk.arrived)
                            <= tk.received_at + pp.depart * interval '1 minute'
                    WHEN tk.arrived IS NULL AND tk.cancelled < c.due THEN NULL
                    WHEN c.due <= %(now)s THEN false
                END AS met
            FROM tk CROSS JOIN pol
            LEFT JOIN pp ON pp.policy = pol.policy AND pp.priority = tk.priority
            LEFT JOIN pt ON pt.policy = pol.policy AND pt.ticket_type = tk.ticket_type
            CROSS JOIN LATERAL (SELECT tk.received_at
                + coalesce(pt.minutes, pp.arrival) * interval '1 minute' AS due) c
        )
        SELECT grp AS group, policy, count(met) AS decided, count(*) FILTER (WHERE met) AS met
        FROM judged GROUP BY grp, policy, ord ORDER BY grp, ord
        """,
        _params(start, end, types, priorities, now=now, tz=timezone, **_policy_params(policies)),
    )
    return [dict(r) for r in cur.fetchall()]


# --- replay of a past day ------------------------------------------------------------------------


def replay_tickets(cur, start, end) -> list[dict]:
    """The located, unlinked tickets open at some moment of [start, end): received before the
    end and not closed or cancelled before the start; with the moment each stopped being open
    (None: still open)."""
    cur.execute(
        "SELECT t.number, t.ticket_type, t.priority, ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat,"
        " t.received_at, coalesce(t.closed_at, t.cancelled_at) AS ended_at FROM tickets t"
        " WHERE t.received_at < %(end)s AND t.geom IS NOT NULL AND t.parent_ticket_id IS NULL"
        " AND coalesce(t.closed_at, t.cancelled_at, 'infinity') > %(start)s"
        " ORDER BY t.received_at, t.id",
        {"start": start, "end": end},
    )
    return [dict(r) for r in cur.fetchall()]


def replay_positions(cur, start, end) -> list[dict]:
    """The crews' GPS fixes of [start, end), one a minute per crew (the first of it), plus each
    crew's last fix before the start (where it was when the day began)."""
    cur.execute(
        """
        SELECT c.code AS crew, p.recorded_at, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat
        FROM (
            SELECT DISTINCT ON (crew_id, date_trunc('minute', recorded_at)) crew_id,
                recorded_at, geom
            FROM crew_positions WHERE recorded_at >= %(start)s AND recorded_at < %(end)s
            ORDER BY crew_id, date_trunc('minute', recorded_at), recorded_at
        ) p JOIN crews c ON c.id = p.crew_id
        UNION ALL
        SELECT c.code, b.recorded_at, ST_X(b.geom), ST_Y(b.geom) FROM crews c
        CROSS JOIN LATERAL (
            SELECT recorded_at, geom FROM crew_positions
            WHERE crew_id = c.id AND recorded_at < %(start)s
            ORDER BY recorded_at DESC LIMIT 1
        ) b
        ORDER BY 1, 2
        """,
        {"start": start, "end": end},
    )
    return [dict(r) for r in cur.fetchall()]
