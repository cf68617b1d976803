"""The SQL of the load storms (:mod:`dispatch.storm`, :mod:`dispatch.storm_faults`): what they
count after a run and the faults they cause. Every function takes a cursor of the caller's."""

from __future__ import annotations

from datetime import datetime


def tickets_stored(cur, ids: list[int]) -> int:
    cur.execute("SELECT count(*) FROM tickets WHERE id = ANY(%s)", (ids,))
    return cur.fetchone()[0]


def storm_tickets_per_key(cur) -> dict[str, int]:
    """Tickets the storm created (description ``storm <key>``), counted per key."""
    cur.execute(
        "SELECT substr(description, 7), count(*) FROM tickets"
        " WHERE description LIKE 'storm %%' GROUP BY 1"
    )
    return dict(cur.fetchall())


def double_bookings(cur) -> int:
    """Tickets with more than one unreleased assignment (must be none)."""
    cur.execute(
        "SELECT count(*) FROM (SELECT ticket_id FROM assignments WHERE released_at IS NULL"
        " GROUP BY ticket_id HAVING count(*) > 1) AS doubled"
    )
    return cur.fetchone()[0]


def fixes_since(cur, since: datetime) -> list[tuple[int, datetime]]:
    cur.execute("SELECT crew_id, recorded_at FROM crew_positions WHERE recorded_at >= %s", (since,))
    return cur.fetchall()


def fix_stored_after(cur, at: datetime) -> bool:
    cur.execute("SELECT EXISTS (SELECT 1 FROM crew_positions WHERE recorded_at > %s)", (at,))
    return cur.fetchone()[0]


def terminate_other_backends(cur) -> int:
    """End every other connection to this database (the storm's own); how many."""
    cur.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    return cur.fetchone()[0]


def leader_application_name(cur) -> str | None:
    """The application name of the connection holding the leader's advisory lock, if any."""
    cur.execute(
        """SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)
           WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()
             AND a.application_name LIKE 'dispatch-leader %'"""
    )
    row = cur.fetchone()
    return row[0] if row else None
