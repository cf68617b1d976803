"""`dispatch demo history`: past days of field work on the demo territory, routed by road,
written in one transaction; the same seed gives the same history."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dispatch.cli import main
from dispatch.simulation.history import HOUR_SHARE, generate
from dispatch.territory_ports import ports_for_territory
from tests.dbutil import fetch_all, fetch_value

UNTIL = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def router(demo_template, make_database):
    dsn = make_database(template=demo_template)
    return ports_for_territory(dsn).router


def _history(dsn, router, seed=7):
    return generate(dsn, router, days=3, seed=seed, until=UNTIL, calls_per_day=60, now=NOW)


SNAPSHOT = (
    "SELECT number, ticket_type, priority, status, received_at, assigned_at, arrived_at,"
    " closed_at, cancelled_at, crew_id, round(ST_X(geom)::numeric, 6) FROM tickets ORDER BY id"
)


def test_the_same_seed_gives_the_same_history_and_another_seed_another(
    make_database, demo_template, router
):
    first, second, other = (make_database(template=demo_template) for _ in range(3))
    _history(first, router)
    _history(second, router)
    _history(other, router, seed=8)
    rows = fetch_all(first, SNAPSHOT)
    assert len(rows) > 100
    assert rows == fetch_all(second, SNAPSHOT)
    assert rows != fetch_all(other, SNAPSHOT)


def test_the_history_covers_whole_local_days_before_until_with_every_job_done_in_order(
    make_database, demo_template, router
):
    dsn = make_database(template=demo_template)
    result = _history(dsn, router)
    assert result["first_day"] == "2026-03-07" and result["last_day"] == "2026-03-09"
    zone = fetch_value(dsn, "SELECT timezone FROM territory")
    days = fetch_all(
        dsn,
        "SELECT DISTINCT (received_at AT TIME ZONE %s)::date FROM tickets ORDER BY 1",
        (zone,),
    )
    assert [d for (d,) in days] == [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)]
    # Every closed job went through the lifecycle in order, by a crew with the skill.
    bad = fetch_value(
        dsn,
        "SELECT count(*) FROM tickets t JOIN crews c ON c.id = t.crew_id WHERE t.status = 'closed'"
        " AND NOT (received_at < assigned_at AND assigned_at < accepted_at"
        "  AND accepted_at < en_route_at AND en_route_at < on_site_at"
        "  AND arrived_at = on_site_at AND on_site_at < repaired_at AND repaired_at < closed_at)",
    )
    assert bad == 0
    closed = fetch_value(dsn, "SELECT count(*) FROM tickets WHERE status = 'closed'")
    assert closed > 0.9 * result["tickets"]
    assert fetch_value(dsn, "SELECT count(*) FROM tickets WHERE category = 'non_field'") == 0
    # One released assignment with the ETA per job a crew took; one event per step.
    assert (
        fetch_value(
            dsn,
            "SELECT count(*) FROM tickets t JOIN assignments a ON a.ticket_id = t.id"
            " WHERE t.status = 'closed' AND a.released_at = t.closed_at AND a.eta_s > 0",
        )
        == closed
    )
    events = dict(fetch_all(dsn, "SELECT event_type, count(*) FROM ticket_events GROUP BY 1"))
    assert events["created"] == result["tickets"]
    assert events["assigned"] == result["assignments"]
    # Routes are the road router's: they start at a depot.
    starts_at_depot = fetch_value(
        dsn,
        "SELECT bool_and(EXISTS (SELECT 1 FROM depots d"
        "  WHERE ST_DWithin(ST_StartPoint(a.route)::geography, d.geom::geography, 300)))"
        " FROM assignments a WHERE a.route IS NOT NULL",
    )
    assert starts_at_depot is True
    # Nothing in the outbox: the past is not news for the screens.
    assert fetch_value(dsn, "SELECT count(*) FROM outbox") == 0


def test_calls_follow_the_hour_of_day_profile_quiet_at_night():
    assert abs(sum(HOUR_SHARE) - 1) < 1e-9
    night = sum(HOUR_SHARE[0:6])
    morning = sum(HOUR_SHARE[8:11])
    assert night < 0.05 < 0.15 < morning


def test_a_second_run_writes_nothing_and_says_why(make_database, demo_template, router, capsys):
    dsn = make_database(template=demo_template)
    first = _history(dsn, router)
    with pytest.raises(ValueError, match="already there"):
        _history(dsn, router)
    assert fetch_value(dsn, "SELECT count(*) FROM tickets") == first["tickets"]


def test_the_command_generates_days_and_prints_its_speed(
    make_database, demo_template, monkeypatch, capsys
):
    dsn = make_database(template=demo_template)
    monkeypatch.setenv("DATABASE_URL", dsn)
    assert main(["demo", "history", "--days", "2", "--until", "2026-03-10"]) == 0
    captured = capsys.readouterr()
    assert "rows/s" in captured.err and "2026-03-08 to 2026-03-09" in captured.err
    assert '"rows_per_s"' in captured.out
    assert fetch_value(dsn, "SELECT count(*) FROM tickets") > 0
    assert main(["demo", "history", "--days", "0"]) == 2
