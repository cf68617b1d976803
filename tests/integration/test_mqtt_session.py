"""A GPS consumer with a fixed client id keeps its broker session: fixes published while it
is away (a restarted or killed worker) are delivered when it is back, none lost. A real
Mosquitto on a free port (never the system broker) and a private copy of the demo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch import mqtt_consumer
from dispatch.mqtt_consumer import PositionConsumer, publish_fix
from tests.dbutil import fetch_all, fetch_value
from tests.mqtt_broker import MOSQUITTO, WAIT_S, PrivateBroker, wait_until


@pytest.fixture
def crew(fresh_demo_dsn) -> dict:
    crew_id, lon, lat = fetch_all(
        fresh_demo_dsn,
        "SELECT c.id, ST_X(p.geom), ST_Y(p.geom) FROM crews c"
        " JOIN crew_latest_positions p ON p.crew_id = c.id ORDER BY c.id LIMIT 1",
    )[0]
    return {"id": crew_id, "lon": lon, "lat": lat}


def _stored(dsn: str, crew_id: int, since: datetime) -> int:
    return fetch_value(
        dsn,
        "SELECT count(*) FROM crew_positions WHERE crew_id = %s AND recorded_at >= %s",
        (crew_id, since),
    )


def test_fixes_sent_while_a_named_consumer_is_away_are_stored_when_it_is_back(
    fresh_demo_dsn, broker, crew
):
    first = PositionConsumer(
        fresh_demo_dsn, host="127.0.0.1", port=broker.port, client_id="dispatch-positions-t1"
    )
    first.start()
    assert first.wait_subscribed(WAIT_S)
    first.stop()  # the worker is gone; its session stays at the broker

    since = datetime.now(UTC) - timedelta(seconds=30)
    for i in range(12):  # each acknowledged by the broker while nobody consumes
        fix = {
            "lon": crew["lon"] + i * 2e-5,
            "lat": crew["lat"],
            "time": (since + timedelta(seconds=i)).isoformat(),
        }
        publish_fix("127.0.0.1", broker.port, crew["id"], fix)
    assert _stored(fresh_demo_dsn, crew["id"], since) == 0

    again = PositionConsumer(
        fresh_demo_dsn, host="127.0.0.1", port=broker.port, client_id="dispatch-positions-t1"
    )
    again.start()
    try:
        assert again.wait_for(12, WAIT_S), f"only {again.handled} of 12 delivered"
    finally:
        again.stop()

    assert _stored(fresh_demo_dsn, crew["id"], since) == 12
    assert (again.stored, again.rejected, again.failed) == (12, 0, 0)


def test_fixes_sent_before_a_named_consumer_is_back_from_a_broker_restart_are_stored(
    fresh_demo_dsn, tmp_path, crew, monkeypatch
):
    if MOSQUITTO is None:
        pytest.skip("needs the mosquitto binary (apt-get install mosquitto)")
    # The consumer waits 3 s before it tries again after losing the broker, so every fix
    # below is published while it is still away.
    monkeypatch.setattr(mqtt_consumer, "RECONNECT_MIN_DELAY_S", 3.0)
    broker = PrivateBroker(tmp_path, persistent=True)
    broker.start()
    consumer = PositionConsumer(
        fresh_demo_dsn, host="127.0.0.1", port=broker.port, client_id="dispatch-positions-t2"
    )
    try:
        consumer.start()
        assert consumer.wait_subscribed(WAIT_S)
        assert consumer.topic == "crews/+/position"  # ordinary: restored from persistence

        broker.stop()  # graceful: the session and its subscription are saved
        assert wait_until(lambda: not consumer.is_subscribed)
        broker.start()  # same port, same persistence directory
        since = datetime.now(UTC) - timedelta(seconds=30)
        for i in range(15):
            fix = {
                "lon": crew["lon"] + i * 2e-5,
                "lat": crew["lat"],
                "time": (since + timedelta(seconds=i)).isoformat(),
            }
            publish_fix("127.0.0.1", broker.port, crew["id"], fix)
        assert consumer.connections == 1, "the consumer came back before the fixes were sent"

        assert consumer.wait_for(15, 20.0), f"only {consumer.handled} of 15 delivered"
        assert consumer.connections == 2
    finally:
        consumer.stop()
        broker.stop()

    assert _stored(fresh_demo_dsn, crew["id"], since) == 15
    assert (consumer.stored, consumer.rejected, consumer.failed) == (15, 0, 0)


def test_an_anonymous_consumer_shares_the_fixes_and_a_named_one_does_not():
    assert PositionConsumer("dbname=x").topic == "$share/dispatch/crews/+/position"
    named = PositionConsumer("dbname=x", client_id="dispatch-positions-x")
    assert named.topic == "crews/+/position"
