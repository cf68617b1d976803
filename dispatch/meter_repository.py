"""Storage of meter readings, the tasks the reading rules raise, and refunds and top-ups with
their approvals (tables of gis/migrations/0017_meter_readings.sql).

Readings go in and out with COPY: an import or the demo writes a year of a territory's
readings in one statement, and the scan reads one chunk of meters (every month of them, which
the month partitions serve in one index range each) per Dask task, each over its own
connection, so the workers read the database in parallel.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime

import pandas as pd
from psycopg2.extras import execute_values

from gis.database import connect

READING_COLUMNS = ("meter_id", "read_on", "reading_m3", "consumption", "reader", "source")


# --- partitions and readings -------------------------------------------------------------------


def ensure_month_partitions(cur, days: Iterable[date]) -> list[str]:
    """The month partitions holding these days, made when missing (in the caller's
    transaction, so a failed import leaves no new partition either)."""
    months = sorted({date(d.year, d.month, 1) for d in days})
    names = []
    for month in months:
        cur.execute("SELECT meter_readings_ensure_month(%s) AS name", (month,))
        row = cur.fetchone()
        names.append(row["name"] if isinstance(row, dict) else row[0])
    return names


def meters_by_numbers(cur, meter_nos: list[str], account_nos: list[str]) -> list[dict]:
    """The meters named by these meter or account numbers: id, meter_no, account_no."""
    cur.execute(
        "SELECT id, meter_no, account_no FROM customer_meters"
        " WHERE meter_no = ANY(%s) OR account_no = ANY(%s)",
        (meter_nos, account_nos),
    )
    return [dict(r) for r in cur.fetchall()]


def readings_on(cur, meter_ids: list[int], days: list[date]) -> set[tuple[int, date]]:
    """Which of these meters already have a reading on which of these days."""
    cur.execute(
        "SELECT meter_id, read_on FROM meter_readings"
        " WHERE meter_id = ANY(%s) AND read_on = ANY(%s::date[])",
        (meter_ids, days),
    )
    return {(r["meter_id"], r["read_on"]) for r in cur.fetchall()}


def copy_readings(cur, frame: pd.DataFrame, *, at: datetime) -> int:
    """Write readings (columns :data:`READING_COLUMNS`; consumption may be empty) with one
    COPY; the month partitions must exist. Returns the rows written."""
    if frame.empty:
        return 0
    out = frame.loc[:, list(READING_COLUMNS)].assign(imported_at=at.isoformat())
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    cur.copy_expert(
        "COPY meter_readings (meter_id, read_on, reading_m3, consumption, reader, source,"
        " imported_at) FROM STDIN WITH (FORMAT csv)",
        buffer,
    )
    return len(out)


def recompute_consumption(cur, meter_ids: list[int], since: date) -> None:
    """Each reading's use since the meter's reading before, for these meters from ``since``
    on (a reading imported between two others changes the later one's use too)."""
    cur.execute(
        """
        WITH ordered AS (
            SELECT id, read_on, reading_m3 - lag(reading_m3)
                       OVER (PARTITION BY meter_id ORDER BY read_on) AS used
              FROM meter_readings WHERE meter_id = ANY(%(meters)s))
        UPDATE meter_readings r SET consumption = o.used
          FROM ordered o
         WHERE r.id = o.id AND r.read_on = o.read_on AND r.read_on >= %(since)s
           AND r.meter_id = ANY(%(meters)s) AND r.consumption IS DISTINCT FROM o.used
        """,
        {"meters": meter_ids, "since": since},
    )


def meter(cur, meter_id: int) -> dict | None:
    cur.execute(
        "SELECT id, meter_no, account_no, category FROM customer_meters WHERE id = %s",
        (meter_id,),
    )
    row = cur.fetchone()
    return dict(row) if row else None


def readings(cur, meter_id: int, *, since: date | None, limit: int) -> list[dict]:
    """A meter's readings, newest first."""
    cur.execute(
        "SELECT read_on, reading_m3, consumption, reader, source FROM meter_readings"
        " WHERE meter_id = %s AND (%s::date IS NULL OR read_on >= %s)"
        " ORDER BY read_on DESC LIMIT %s",
        (meter_id, since, since, limit),
    )
    return [dict(r) for r in cur.fetchall()]


def has_demo_readings(cur) -> bool:
    cur.execute("SELECT EXISTS (SELECT 1 FROM meter_readings WHERE source = 'demo') AS found")
    row = cur.fetchone()
    return bool(row["found"] if isinstance(row, dict) else row[0])


def all_meters(cur) -> pd.DataFrame:
    """Every meter: id and whether it is residential (what the demo's readings need)."""
    cur.execute("SELECT id, category = 'residential' AS residential FROM customer_meters")
    rows = cur.fetchall()
    return pd.DataFrame(
        {"id": [r["id"] for r in rows], "residential": [r["residential"] for r in rows]}
    )


# --- the scan's reads ----------------------------------------------------------------------


def meter_chunks(cur, chunk_meters: int) -> list[tuple[int, int]]:
    """Meter id ranges [lo, hi] of about ``chunk_meters`` meters each, in id order."""
    cur.execute(
        """
        SELECT min(id) AS lo, max(id) AS hi FROM (
            SELECT id, (row_number() OVER (ORDER BY id) - 1) / %s AS chunk FROM customer_meters
        ) numbered GROUP BY chunk ORDER BY chunk
        """,
        (max(1, chunk_meters),),
    )
    return [(r["lo"], r["hi"]) if isinstance(r, dict) else (r[0], r[1]) for r in cur.fetchall()]


#: One chunk of the scan: every meter of an id range with its readings in [since, until)
#: (a meter without any reading comes once, with no date).
_CHUNK_SQL = """
COPY (
    SELECT m.id, m.category = 'residential', r.read_on, r.reading_m3
      FROM customer_meters m
      LEFT JOIN meter_readings r
        ON r.meter_id = m.id AND r.read_on >= {since} AND r.read_on < {until}
     WHERE m.id BETWEEN {lo} AND {hi}
) TO STDOUT WITH (FORMAT csv)
"""


def read_chunk(dsn: str, lo: int, hi: int, since: date, until: date) -> pd.DataFrame:
    """The scan's input for meters ``lo``..``hi`` (dispatch.meter_rules.READINGS_COLUMNS),
    over a connection of its own (it runs in a Dask worker)."""
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            query = cur.mogrify(
                _CHUNK_SQL.format(since="%(since)s", until="%(until)s", lo="%(lo)s", hi="%(hi)s"),
                {"since": since, "until": until, "lo": int(lo), "hi": int(hi)},
            ).decode()
            buffer = io.BytesIO()
            cur.copy_expert(query, buffer)
        conn.rollback()
    finally:
        conn.close()
    buffer.seek(0)
    frame = pd.read_csv(
        buffer,
        header=None,
        names=["meter_id", "residential", "read_on", "reading_m3"],
        dtype={"meter_id": "int64", "residential": "object", "reading_m3": "float64"},
        parse_dates=["read_on"],
        date_format="%Y-%m-%d",
    )
    frame["residential"] = frame["residential"].eq("t")
    frame["read_on"] = frame["read_on"].astype("datetime64[ns]")
    return frame


# --- tasks -----------------------------------------------------------------------------------


def insert_tasks(cur, tasks: pd.DataFrame) -> int:
    """Store the scan's tasks (kind, meter_id, month, value); those raised before stay as
    they are. Returns how many are new."""
    if tasks.empty:
        return 0
    cur.execute(
        "CREATE TEMP TABLE scan_tasks (kind text, meter_id integer, month date, value numeric)"
        " ON COMMIT DROP"
    )
    buffer = io.StringIO()
    tasks[["kind", "meter_id", "month", "value"]].to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    cur.copy_expert("COPY scan_tasks FROM STDIN WITH (FORMAT csv)", buffer)
    cur.execute(
        """
        INSERT INTO meter_tasks (meter_id, kind, month, consumption_m3, detail)
        SELECT meter_id, kind, month,
               CASE WHEN kind = 'valve_closing' THEN 0 ELSE round(value, 3) END,
               CASE WHEN kind = 'valve_closing' THEN value::int || ' months at zero' END
          FROM scan_tasks
        ON CONFLICT (territory_id, meter_id, kind, month) DO NOTHING
        """
    )
    new = cur.rowcount
    cur.execute("DROP TABLE scan_tasks")
    return new


def tasks(
    cur,
    *,
    kind: str | None,
    status: str | None,
    month: date | None,
    meter_id: int | None,
    limit: int,
) -> list[dict]:
    cur.execute(
        """
        SELECT t.id, t.meter_id, m.meter_no, m.account_no, t.kind, t.month, t.consumption_m3,
               t.detail, t.status, t.created_at
          FROM meter_tasks t JOIN customer_meters m ON m.id = t.meter_id
         WHERE (%(kind)s::text IS NULL OR t.kind = %(kind)s)
           AND (%(status)s::text IS NULL OR t.status = %(status)s)
           AND (%(month)s::date IS NULL OR t.month = %(month)s)
           AND (%(meter)s::integer IS NULL OR t.meter_id = %(meter)s)
         ORDER BY t.month DESC, t.kind, t.meter_id LIMIT %(limit)s
        """,
        {"kind": kind, "status": status, "month": month, "meter": meter_id, "limit": limit},
    )
    return [dict(r) for r in cur.fetchall()]


# --- refunds and top-ups ---------------------------------------------------------------------


def insert_adjustment(cur, row: dict) -> int:
    cur.execute(
        """
        INSERT INTO meter_adjustments (meter_id, direction, volume_m3, reason, required_roles,
                                       requested_by, requested_role, requested_at)
        VALUES (%(meter_id)s, %(direction)s, %(volume_m3)s, %(reason)s, %(required_roles)s,
                %(requested_by)s, %(requested_role)s, %(requested_at)s)
        RETURNING id
        """,
        row,
    )
    row = cur.fetchone()
    return row["id"] if isinstance(row, dict) else row[0]


def adjustment(cur, adjustment_id: int, *, for_update: bool = False) -> dict | None:
    cur.execute(
        "SELECT id, meter_id, direction, volume_m3, reason, required_roles, status,"
        " requested_by, requested_role, requested_at, decided_at FROM meter_adjustments"
        " WHERE id = %s" + (" FOR UPDATE" if for_update else ""),
        (adjustment_id,),
    )
    row = cur.fetchone()
    return dict(row) if row else None


def adjustments_of_meter(cur, meter_id: int) -> list[dict]:
    cur.execute(
        "SELECT id FROM meter_adjustments WHERE meter_id = %s ORDER BY requested_at DESC, id DESC",
        (meter_id,),
    )
    return [adjustment(cur, r["id"]) for r in cur.fetchall()]


def approvals(cur, adjustment_id: int) -> list[dict]:
    cur.execute(
        "SELECT step, role, decision, decided_by, decided_at, note"
        " FROM meter_adjustment_approvals WHERE adjustment_id = %s ORDER BY step",
        (adjustment_id,),
    )
    return [dict(r) for r in cur.fetchall()]


def insert_approval(cur, adjustment_id: int, row: dict) -> None:
    execute_values(
        cur,
        "INSERT INTO meter_adjustment_approvals"
        " (adjustment_id, step, role, decision, decided_by, decided_at, note) VALUES %s",
        [
            (
                adjustment_id,
                row["step"],
                row["role"],
                row["decision"],
                row["decided_by"],
                row["decided_at"],
                row["note"],
            )
        ],
    )


def set_adjustment_status(cur, adjustment_id: int, status: str, at: datetime | None) -> None:
    cur.execute(
        "UPDATE meter_adjustments SET status = %s, decided_at = %s WHERE id = %s",
        (status, at, adjustment_id),
    )


# --- the meter desk's figures and lists (dashboards/pages/meter_desk.py) ----------------------


def month_counts(cur, first: date, next_first: date) -> dict:
    """The meters due (every meter) and those with a reading dated in [first, next_first)."""
    cur.execute(
        """
        SELECT (SELECT count(*) FROM customer_meters) AS due,
               (SELECT count(DISTINCT meter_id) FROM meter_readings
                 WHERE read_on >= %(first)s AND read_on < %(next)s) AS read
        """,
        {"first": first, "next": next_first},
    )
    row = cur.fetchone()
    return {"due": int(row["due"]), "read": int(row["read"])}


def task_counts(cur, month: date) -> dict[str, dict[str, int]]:
    """Per task kind: the tasks raised for ``month`` and those open (of any month)."""
    cur.execute(
        """
        SELECT kind, count(*) FILTER (WHERE month = %(month)s) AS of_month,
               count(*) FILTER (WHERE status = 'open') AS open
          FROM meter_tasks GROUP BY kind
        """,
        {"month": month},
    )
    return {
        r["kind"]: {"of_month": int(r["of_month"]), "open": int(r["open"])} for r in cur.fetchall()
    }


def adjustments_by_status(cur, status: str | None, limit: int) -> list[dict]:
    """Adjustments (of ``status``, or all), oldest request first, with their meter's numbers."""
    cur.execute(
        """
        SELECT a.id, a.meter_id, a.direction, a.volume_m3, a.reason, a.required_roles, a.status,
               a.requested_by, a.requested_role, a.requested_at, a.decided_at,
               m.meter_no, m.account_no
          FROM meter_adjustments a JOIN customer_meters m ON m.id = a.meter_id
         WHERE %(status)s::text IS NULL OR a.status = %(status)s
         ORDER BY a.requested_at, a.id LIMIT %(limit)s
        """,
        {"status": status, "limit": limit},
    )
    return [dict(r) for r in cur.fetchall()]


def approvals_of(cur, adjustment_ids: list[int]) -> dict[int, list[dict]]:
    """The signed steps of each of these adjustments, in step order."""
    cur.execute(
        "SELECT adjustment_id, step, role, decision, decided_by, decided_at, note"
        " FROM meter_adjustment_approvals WHERE adjustment_id = ANY(%s)"
        " ORDER BY adjustment_id, step",
        (adjustment_ids,),
    )
    found: dict[int, list[dict]] = {i: [] for i in adjustment_ids}
    for r in cur.fetchall():
        found[r["adjustment_id"]].append(dict(r))
    return found


def meter_by_number(cur, number: str) -> dict | None:
    """The meter with this meter number, else the meter of this account (one an account)."""
    cur.execute(
        "SELECT id, meter_no, account_no, category FROM customer_meters"
        " WHERE meter_no = %(n)s OR account_no = %(n)s"
        " ORDER BY meter_no = %(n)s DESC, id LIMIT 1",
        {"n": number},
    )
    row = cur.fetchone()
    return dict(row) if row else None
