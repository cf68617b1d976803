"""Safe assignment under contention: 50 threads race to give one crew 50 different emergency
tickets, against the real database. Exactly one wins, every other gets a 409 conflict."""

import threading
from datetime import UTC, datetime

from dispatch.actor import Actor
from dispatch.errors import Conflict
from dispatch.ticket_service import assign_crew, open_ticket
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import execute, fetch_all, fetch_value

THREADS = 50
ROUNDS = 20


def _new_emergencies(dsn, n, round_no):
    rows = fetch_all(
        dsn,
        "INSERT INTO tickets (number, ticket_type, priority, taken_by, received_at, geom)"
        " SELECT 'RACE-' || %s || '-' || g, 'gas_leak', 1, 'test', now(),"
        " ST_SetSRID(ST_MakePoint(24.94 + g * 0.001, 60.17), 4326)"
        " FROM generate_series(1, %s) g RETURNING id",
        (round_no, n),
    )
    return [r[0] for r in rows]


def _race_once(dsn, crew_id, tickets, actor) -> list[str]:
    """Every ticket's thread tries to assign the crew at the same moment; returns outcomes."""
    barrier = threading.Barrier(len(tickets))
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(ticket_id):
        barrier.wait()
        try:
            with UnitOfWork(dsn) as uow:
                assign_crew(uow, ticket_id, crew_id, actor, datetime.now(UTC))
            result = "won"
        except Conflict as exc:
            result = f"{exc.status} {exc.field}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=(t,)) for t in tickets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_fifty_threads_racing_for_one_crew_leave_exactly_one_winner_twenty_times(fresh_demo_dsn):
    crew_id = fetch_value(
        fresh_demo_dsn,
        "SELECT id FROM crews WHERE 'emergency' = ANY(skills) ORDER BY id LIMIT 1",
    )
    actor = Actor("dispatcher", "dispatcher")
    for round_no in range(ROUNDS):
        tickets = _new_emergencies(fresh_demo_dsn, THREADS, round_no)
        outcomes = _race_once(fresh_demo_dsn, crew_id, tickets, actor)

        assert sorted(outcomes) == ["409 crew_id"] * (THREADS - 1) + ["won"], round_no
        active = fetch_all(
            fresh_demo_dsn,
            "SELECT ticket_id FROM assignments WHERE crew_id = %s AND released_at IS NULL",
            (crew_id,),
        )
        assigned = fetch_all(fresh_demo_dsn, "SELECT id FROM tickets WHERE status = 'assigned'")
        assert len(active) == 1 and assigned == [(active[0][0],)]
        # Free the crew for the next round: the winner's job is done.
        execute(
            fresh_demo_dsn,
            "UPDATE assignments SET released_at = now() WHERE crew_id = %s",
            (crew_id,),
        )
        execute(
            fresh_demo_dsn, "UPDATE tickets SET status = 'cancelled' WHERE status <> 'cancelled'"
        )
        execute(fresh_demo_dsn, "UPDATE crews SET status = 'available' WHERE id = %s", (crew_id,))


def test_the_database_itself_refuses_a_second_active_emergency_job(fresh_demo_dsn):
    import psycopg2
    import pytest

    crew_id = fetch_value(fresh_demo_dsn, "SELECT min(id) FROM crews")
    a, b = _new_emergencies(fresh_demo_dsn, 2, 99)
    insert = (
        "INSERT INTO assignments (ticket_id, crew_id, assigned_at, assigned_by, emergency)"
        " VALUES (%s, %s, now(), 'sql', true)"
    )
    execute(fresh_demo_dsn, insert, (a, crew_id))

    with pytest.raises(psycopg2.IntegrityError, match="assignments_one_emergency_per_crew"):
        execute(fresh_demo_dsn, insert, (b, crew_id))


def test_crews_assigned_to_one_ticket_at_once_one_wins_and_the_others_are_told_why(
    fresh_demo_dsn,
):
    execute(fresh_demo_dsn, "UPDATE crews SET skills = '{emergency}', status = 'available'")
    crews = [r[0] for r in fetch_all(fresh_demo_dsn, "SELECT id FROM crews ORDER BY id")]
    with UnitOfWork(fresh_demo_dsn) as uow:
        ticket_id = open_ticket(
            uow,
            {"type": "gas_leak", "lon": 24.9466, "lat": 60.1712},
            Actor("h", "hotline_agent"),
            datetime.now(UTC),
        )["ticket"]["id"]
    start, outcomes = threading.Barrier(len(crews)), []

    def assign(crew_id):
        start.wait()
        try:
            with UnitOfWork(fresh_demo_dsn) as uow:
                assign_crew(uow, ticket_id, crew_id, Actor("d", "dispatcher"), datetime.now(UTC))
            outcomes.append("assigned")
        except Conflict as refused:
            outcomes.append("conflict" if "reassigning needs a `reason`" in str(refused) else "?")

    threads = [threading.Thread(target=assign, args=(c,)) for c in crews]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == ["assigned"] + ["conflict"] * (len(crews) - 1)
    assert (
        fetch_value(fresh_demo_dsn, "SELECT count(*) FROM assignments WHERE released_at IS NULL")
        == 1
    )
