"""The demo simulator on a private copy of the Helsinki demo, with an injected clock: simulated
time advances in steps, so hours of a control room pass in seconds."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from psycopg2.pool import ThreadedConnectionPool

from dispatch.actor import Actor
from dispatch.ports import Ports
from dispatch.simulation.simulator import (
    TYPE_MIX,
    DefaultPublisher,
    Drive,
    Simulator,
    Sites,
    broker_answers,
    distance_m,
    draw_call,
    record_directly,
)
from dispatch.territory_ports import ports_for_territory
from dispatch.ticket_service import assign_crew, open_ticket
from dispatch.unit_of_work import UnitOfWork
from gis.errors import DatabaseUnavailable
from tests.dbutil import fetch_all, fetch_value

LEAK = {"type": "gas_leak", "lon": 24.9466, "lat": 60.1712}


class Clock:
    """Simulated time, starting at the real now (after the demo's crews reported)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


class Recorded:
    """A publisher that keeps every fix and hands it on to ``then`` (if any)."""

    def __init__(self, then=None) -> None:
        self.fixes: list[tuple[int, dict]] = []
        self.then = then

    def __call__(self, crew_id: int, fix: dict) -> None:
        self.fixes.append((crew_id, fix))
        if self.then is not None:
            self.then(crew_id, fix)

    def of(self, crew_id: int, since: datetime, until: datetime) -> list[dict]:
        return [
            f
            for c, f in self.fixes
            if c == crew_id and since <= datetime.fromisoformat(f["time"]) <= until
        ]


@pytest.fixture
def pool(fresh_demo_dsn):
    pool = ThreadedConnectionPool(1, 4, fresh_demo_dsn)
    yield pool
    pool.closeall()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def ports(fresh_demo_dsn):
    """The territory's ports; recommendations judge fix ages by the use cases' (simulated)
    time."""
    return ports_for_territory(fresh_demo_dsn)


class NoCrews:
    """A router that finds no crew for any call."""

    def recommend(self, lon, lat, skill, crews, now):
        return []

    def route_crew(self, lon, lat, crew):
        return None

    def valve_crews(self, valves, crews):
        return {"valves": [], "expected_isolation_s": None}


def _run(sims, clock, *, hours: float = 0.0, minutes: float = 0.0, every_s: float, until=None):
    """Advance ``clock`` in steps of ``every_s`` seconds, stepping every simulator, for the
    given time or until ``until()`` is true; the summed counters."""
    sims = sims if isinstance(sims, list) else [sims]
    end = clock.now + timedelta(hours=hours, minutes=minutes)
    totals = Counter()
    while clock.now < end:
        clock.now += timedelta(seconds=every_s)
        for sim in sims:
            totals.update(sim.step(clock.now))
        if until is not None and until():
            break
    return totals


def _status(dsn, ticket_id):
    return fetch_value(dsn, "SELECT status FROM tickets WHERE id = %s", (ticket_id,))


# --- calls -------------------------------------------------------------------------------------


def test_calls_arrive_at_about_the_configured_rate_and_the_same_seed_repeats_them(
    fresh_demo_dsn, pool, make_database, demo_template, clock
):
    twin_dsn = make_database(template=demo_template)
    twin_pool = ThreadedConnectionPool(1, 4, twin_dsn)
    try:
        sims = [
            Simulator(
                source,
                ports=ports_for_territory(dsn),
                rate_per_hour=20,
                seed=11,
                clock=clock,
                publish=record_directly(source),
            )
            for dsn, source in ((fresh_demo_dsn, pool), (twin_dsn, twin_pool))
        ]
        totals = _run(sims, clock, hours=3, every_s=120)
    finally:
        twin_pool.closeall()

    columns = (
        "SELECT ticket_type, received_at, round(ST_X(geom)::numeric, 6),"
        " round(ST_Y(geom)::numeric, 6), caller_name, caller_phone, taken_by, crew_id, status"
        " FROM tickets ORDER BY id"
    )
    tickets = fetch_all(fresh_demo_dsn, columns)
    assert 35 <= len(tickets) <= 85  # 60 expected; a Poisson count is within ±25 all but never
    assert totals["calls"] == 2 * len(tickets)
    assert fetch_all(twin_dsn, columns) == tickets
    assert {t[6] for t in tickets} == {"simulator"}
    assert all(t[4] and t[5] for t in tickets)
    assert totals["errors"] == 0


def test_the_type_mix_is_led_by_leaks_and_repairs_with_rare_fires():
    rng = np.random.default_rng(5)
    sites = Sites(
        np.array([1, 2]), np.array([10.0, 30.0]), [{"account_no": "A1", "lon": 0, "lat": 0}]
    )
    at = datetime(2024, 5, 1, tzinfo=UTC)
    draws = Counter(draw_call(rng, at, sites, 0.5).ticket_type for _ in range(4000))

    share = {t: draws[t] / 4000 for t in TYPE_MIX}
    assert share["gas_leak"] == pytest.approx(TYPE_MIX["gas_leak"], abs=0.03)
    assert max(share, key=share.get) == "gas_leak"
    assert min(share["meter_fault"], share["indoor_leak_repair"], share["appliance_repair"]) > 0.07
    assert share["fire_explosion"] < 0.02
    assert sum(TYPE_MIX.values()) == pytest.approx(1.0)


def test_a_different_seed_gives_different_calls():
    sites = Sites(np.array([1]), np.array([1.0]), [{"account_no": "A1", "lon": 0, "lat": 0}])
    at = datetime(2024, 5, 1, tzinfo=UTC)

    def calls(seed):
        rng = np.random.default_rng(seed)
        return [draw_call(rng, at, sites, 0.5) for _ in range(20)]

    assert calls(1) == calls(1)
    assert calls(1) != calls(2)


# --- dispatch ----------------------------------------------------------------------------------


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_about_the_configured_share_of_field_tickets_is_assigned_by_the_simulator(
    fresh_demo_dsn, pool, ports, clock, share
):
    sim = Simulator(
        pool,
        ports=ports,
        rate_per_hour=60,
        auto_assign_share=share,
        seed=3,
        clock=clock,
        publish=record_directly(pool),
    )
    totals = _run(sim, clock, hours=1, every_s=60)

    decided = totals["auto_assigned"] + totals["no_crew"]
    field = decided + totals["awaiting_dispatcher"]
    assert field >= 25
    assert decided / field == pytest.approx(share, abs=0.2)
    by_simulator = fetch_value(
        fresh_demo_dsn,
        "SELECT count(*) FROM assignments WHERE assigned_by = 'simulator' AND automatic",
    )
    assert by_simulator == totals["auto_assigned"]
    if share > 0:
        assert totals["auto_assigned"] > 0


def test_nothing_breaks_when_no_crew_is_recommended(fresh_demo_dsn, pool, clock):
    for ports in (Ports(router=NoCrews()), None):
        sim = Simulator(
            pool,
            ports=ports,
            rate_per_hour=60,
            auto_assign_share=1.0,
            seed=4,
            clock=clock,
            publish=Recorded(),
        )
        totals = _run(sim, clock, minutes=30, every_s=60)

        assert totals["calls"] > 0
        assert totals["no_crew"] > 0 and totals["auto_assigned"] == 0
        assert totals["errors"] == 0
    assert fetch_value(fresh_demo_dsn, "SELECT count(*) FROM assignments") == 0


# --- crews -------------------------------------------------------------------------------------


def _check_drive(fixes: list[dict], lon: float, lat: float) -> None:
    """Fixes of a drive: heading for the incident at a plausible speed, and arriving."""
    assert len(fixes) >= 3
    distances = [distance_m(f["lon"], f["lat"], lon, lat) for f in fixes]
    assert distances[-1] < distances[0]
    assert distances[-1] < 100
    speeds = [f["speed"] for f in fixes]
    assert all(0 <= s <= 70 for s in speeds)
    assert max(speeds) > 2  # it drove, not teleported
    assert all(0 <= f["heading"] < 360 for f in fixes if "heading" in f)


def test_a_crew_a_dispatcher_assigned_drives_by_road_to_the_leak_and_the_job_is_closed(
    fresh_demo_dsn, pool, ports, clock
):
    fixes = Recorded(record_directly(pool))
    sim = Simulator(pool, ports=ports, rate_per_hour=0, clock=clock, publish=fixes)
    sim.step(clock.now)  # every crew reports where it stands
    with UnitOfWork(fresh_demo_dsn) as uow:
        opened = open_ticket(uow, LEAK, Actor("hotline", "hotline_agent"), clock.now, ports=ports)
    ticket, best = opened["ticket"]["id"], opened["recommendations"][0]
    with UnitOfWork(fresh_demo_dsn) as uow:
        assign_crew(uow, ticket, best["crew_id"], Actor("dispatcher", "dispatcher"), clock.now)

    _run(sim, clock, hours=1, every_s=5, until=lambda: _status(fresh_demo_dsn, ticket) == "on_site")
    assert _status(fresh_demo_dsn, ticket) == "on_site"
    en_route_at, on_site_at, arrived_at = fetch_all(
        fresh_demo_dsn,
        "SELECT en_route_at, on_site_at, arrived_at FROM tickets WHERE id = %s",
        (ticket,),
    )[0]
    drive = fixes.of(best["crew_id"], en_route_at, on_site_at)
    _check_drive(drive, LEAK["lon"], LEAK["lat"])
    # The road is longer than the straight line, and the crew took about the routed time.
    assert (on_site_at - en_route_at).total_seconds() == pytest.approx(best["eta_s"], rel=0.3)
    assert arrived_at is not None and arrived_at <= on_site_at

    totals = _run(
        sim, clock, hours=2, every_s=60, until=lambda: _status(fresh_demo_dsn, ticket) == "closed"
    )
    assert _status(fresh_demo_dsn, ticket) == "closed"
    steps = [
        r[0]
        for r in fetch_all(
            fresh_demo_dsn,
            "SELECT to_status FROM ticket_events WHERE ticket_id = %s AND to_status IS NOT NULL"
            " ORDER BY at, id",
            (ticket,),
        )
    ]
    expected = ["new", "assigned", "accepted", "en_route", "on_site", "made_safe", "repaired"]
    assert steps == [*expected, "gas_restored", "closed"]  # the site rules kept on the way
    kinds = [
        r[0]
        for r in fetch_all(
            fresh_demo_dsn,
            "SELECT DISTINCT event_type FROM ticket_events WHERE ticket_id = %s ORDER BY 1",
            (ticket,),
        )
    ]
    assert {"site_check", "gas_reading"} <= set(kinds)
    assert totals["errors"] == 0
    crew_status = fetch_value(
        fresh_demo_dsn, "SELECT status FROM crews WHERE id = %s", (best["crew_id"],)
    )
    assert crew_status == "available"
    # Idle crews kept reporting, so every crew on duty is fresh at the end.
    oldest = fetch_value(
        fresh_demo_dsn,
        "SELECT min(l.recorded_at) FROM crew_latest_positions l JOIN crews c ON c.id = l.crew_id"
        " WHERE c.status IN ('available', 'busy')",
    )
    assert (clock.now - oldest).total_seconds() <= 60


def test_an_auto_assigned_crew_drives_the_recommended_route_at_road_speed(
    fresh_demo_dsn, pool, ports, clock
):
    fixes = Recorded(record_directly(pool))
    sim = Simulator(
        pool,
        ports=ports,
        rate_per_hour=120,
        auto_assign_share=1.0,
        seed=8,
        clock=clock,
        publish=fixes,
    )
    started = fetch_value(fresh_demo_dsn, "SELECT max(recorded_at) FROM crew_latest_positions")

    def first_auto_job_on_site():
        return fetch_value(
            fresh_demo_dsn,
            "SELECT count(*) FROM tickets t JOIN assignments a ON a.ticket_id = t.id"
            " WHERE a.assigned_by = 'simulator' AND t.on_site_at IS NOT NULL",
        )

    _run(sim, clock, minutes=30, every_s=5, until=first_auto_job_on_site)

    crew, lon, lat, en_route_at, on_site_at = fetch_all(
        fresh_demo_dsn,
        "SELECT a.crew_id, ST_X(t.geom), ST_Y(t.geom), t.en_route_at, t.on_site_at"
        " FROM tickets t JOIN assignments a ON a.ticket_id = t.id"
        " WHERE a.assigned_by = 'simulator' AND a.automatic AND t.on_site_at IS NOT NULL"
        " ORDER BY t.on_site_at LIMIT 1",
    )[0]
    drive = fixes.of(crew, en_route_at, on_site_at)
    _check_drive(drive, lon, lat)
    times = [datetime.fromisoformat(f["time"]) for f in drive]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert max(gaps[:-1] or [5]) <= 10  # a fix every few seconds while driving
    stored = fetch_value(
        fresh_demo_dsn, "SELECT recorded_at FROM crew_latest_positions WHERE crew_id = %s", (crew,)
    )
    assert stored >= on_site_at > started


# --- running -----------------------------------------------------------------------------------


def test_a_failed_step_is_logged_and_the_next_one_runs(fresh_demo_dsn, pool, caplog):
    delivered = threading.Event()

    class FlakyPublisher(Recorded):
        calls = 0

        def __call__(self, crew_id, fix):
            self.calls += 1
            if self.calls == 1:
                raise DatabaseUnavailable("database unreachable (test): the server restarts")
            super().__call__(crew_id, fix)
            delivered.set()

    class Ticking(Clock):  # a simulated minute passes at every step
        def __call__(self):
            self.now += timedelta(minutes=1)
            return self.now

    publish = FlakyPublisher()
    sim = Simulator(
        pool, ports=None, rate_per_hour=0, clock=Ticking(), publish=publish, interval_s=0.05
    )
    with caplog.at_level(logging.WARNING, logger="dispatch.simulation.simulator"):
        sim.start()
        try:
            assert delivered.wait(10)
        finally:
            sim.stop()

    assert "step failed" in caplog.text and "the server restarts" in caplog.text
    assert publish.fixes


def test_a_started_simulator_cannot_be_started_again(pool):
    sim = Simulator(pool, ports=None, rate_per_hour=0, publish=Recorded(), interval_s=0.05)
    sim.start()
    try:
        with pytest.raises(RuntimeError, match="already started"):
            sim.start()
    finally:
        sim.stop()


def test_fixes_reach_the_database_over_mqtt(fresh_demo_dsn, clock, broker):
    from dispatch.mqtt_consumer import PositionConsumer

    # A broker of the test's own: on the machine's broker another consumer of the same share
    # group (another run, a demo worker, a session left behind) would take half of the fixes.
    assert broker_answers("127.0.0.1", broker.port)
    consumer = PositionConsumer(fresh_demo_dsn, host="127.0.0.1", port=broker.port, clock=clock)
    consumer.start()
    try:
        assert consumer.wait_subscribed(5)
        publish = DefaultPublisher(fresh_demo_dsn, host="127.0.0.1", port=broker.port)
        sim = Simulator(fresh_demo_dsn, ports=None, rate_per_hour=0, clock=clock, publish=publish)
        clock.now += timedelta(minutes=2)  # every crew is due to report
        counts = sim.step(clock.now)
        assert publish.via_mqtt is True
        assert counts["fixes"] >= 10
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            fresh = fetch_value(
                fresh_demo_dsn,
                "SELECT count(*) FROM crew_latest_positions WHERE recorded_at = %s",
                (clock.now,),
            )
            if fresh >= counts["fixes"]:
                break
            time.sleep(0.1)
    finally:
        consumer.stop()
    assert fresh == counts["fixes"]


# --- pure parts --------------------------------------------------------------------------------


def test_a_drive_moves_at_route_length_over_travel_time_heading_along_the_road():
    start = datetime(2024, 5, 1, 8, tzinfo=UTC)
    # 0.01° of latitude north (1112 m), then east.
    drive = Drive.along([[24.9, 60.1], [24.9, 60.11], [24.92, 60.11]], 200.0, start)

    lon, lat, speed, heading = drive.at(start + timedelta(seconds=50))
    assert speed == pytest.approx(drive.length_m / 200.0)
    assert heading == pytest.approx(0.0, abs=0.5)
    assert lon == pytest.approx(24.9) and 60.1 < lat < 60.11
    *_, heading = drive.at(start + timedelta(seconds=190))
    assert heading == pytest.approx(90.0, abs=1.0)
    lon, lat, speed, _ = drive.at(start + timedelta(hours=1))
    assert (lon, lat, speed) == (pytest.approx(24.92), pytest.approx(60.11), 0.0)


def test_a_drive_is_never_faster_than_a_car():
    start = datetime(2024, 5, 1, 8, tzinfo=UTC)
    drive = Drive.along([[24.9, 60.1], [24.9, 60.2]], 1.0, start)  # 11 km "in one second"
    assert drive.speed_mps <= 35.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rate_per_hour": -1}, "`rate_per_hour` must be"),
        ({"auto_assign_share": 1.5}, "`auto_assign_share` must be between 0 and 1"),
        ({"speedup": 0}, "`speedup` must be a positive number"),
        ({"interval_s": 0}, "`interval_s` must be a positive number"),
    ],
)
def test_bad_options_are_refused_by_name(options, message):
    with pytest.raises(ValueError, match=message):
        Simulator("dbname=unused", ports=None, publish=Recorded(), **options)


def test_a_naive_time_is_refused():
    sim = Simulator("dbname=unused", ports=None, publish=Recorded())
    with pytest.raises(ValueError, match="`now` must be a timezone-aware"):
        sim.step(datetime(2024, 5, 1, 8))
