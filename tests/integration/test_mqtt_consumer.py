"""The MQTT position consumer against a real Mosquitto broker and a real PostGIS.

Each test starts its own broker on a free port (the system broker on 1883 is never touched)
and a private copy of the Helsinki demo database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import psycopg2.extensions
import pytest

from dispatch.mqtt_consumer import PositionConsumer, encode_fix, publish_fix
from tests.dbutil import fetch_all
from tests.mqtt_broker import MOSQUITTO, WAIT_S, PrivateBroker, wait_until


@pytest.fixture
def consumer(fresh_demo_dsn, broker) -> Iterator[PositionConsumer]:
    c = PositionConsumer(fresh_demo_dsn, host="127.0.0.1", port=broker.port)
    c.start()
    assert c.wait_subscribed(WAIT_S), "the consumer never subscribed"
    yield c
    c.stop()


@pytest.fixture
def crew(fresh_demo_dsn) -> dict:
    """A demo crew and where it last was (lon, lat in EPSG:4326)."""
    crew_id, lon, lat = fetch_all(
        fresh_demo_dsn,
        "SELECT c.id, ST_X(p.geom), ST_Y(p.geom) FROM crews c"
        " JOIN crew_latest_positions p ON p.crew_id = c.id ORDER BY c.id LIMIT 1",
    )[0]
    return {"id": crew_id, "lon": lon, "lat": lat}


def _fix_near(crew: dict, *, metres_east: float = 30.0, **overrides) -> dict:
    """A plausible fix a few metres from the crew's last position, timed now."""
    fix = {
        "lon": crew["lon"] + metres_east / 55_500,  # ~55.5 km per degree of longitude at 60° N
        "lat": crew["lat"],
        "time": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
        "speed": 4.2,
        "heading": 90,
    }
    return {**fix, **overrides}


def _latest(dsn: str, crew_id: int) -> tuple | None:
    rows = fetch_all(
        dsn,
        "SELECT recorded_at, ST_X(geom), ST_Y(geom), speed_mps, heading_deg"
        " FROM crew_latest_positions WHERE crew_id = %s",
        (crew_id,),
    )
    return rows[0] if rows else None


def _publish_raw(port: int, topic: str, payload: bytes) -> None:
    client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        client.publish(topic, payload, qos=1).wait_for_publish(WAIT_S)
    finally:
        client.disconnect()
        client.loop_stop()


def test_a_published_fix_becomes_the_crews_latest_position(fresh_demo_dsn, broker, consumer, crew):
    fix = _fix_near(crew)

    publish_fix("127.0.0.1", broker.port, crew["id"], fix)

    assert consumer.wait_for(1, WAIT_S)
    assert (consumer.stored, consumer.rejected, consumer.failed) == (1, 0, 0)
    recorded_at, lon, lat, speed, heading = _latest(fresh_demo_dsn, crew["id"])
    assert recorded_at == datetime.fromisoformat(fix["time"])
    assert (lon, lat) == pytest.approx((fix["lon"], fix["lat"]), abs=1e-9)
    assert (speed, heading) == (4.2, 90)


def test_invalid_fixes_are_counted_with_their_reason_and_a_later_valid_fix_is_stored(
    fresh_demo_dsn, broker, consumer, crew
):
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    own, unknown = f"crews/{crew['id']}/position", "crews/999999/position"
    bad = [
        (own, encode_fix(_fix_near(crew, lat=95)), "`lat` must be between -90 and 90"),
        (own, encode_fix(_fix_near(crew, time=future)), "`time` is in the future"),
        (unknown, encode_fix(_fix_near(crew)), "`crew_id`: no crew 999999"),
        (own, b"{not json", "`payload` is not valid JSON"),
        ("crews/first/position", b"{}", "`topic` must look like crews/<id>/position"),
    ]
    before = _latest(fresh_demo_dsn, crew["id"])

    for count, (topic, payload, reason) in enumerate(bad, start=1):
        _publish_raw(broker.port, topic, payload)
        assert consumer.wait_for(count, WAIT_S), f"no answer to the fix refused for {reason!r}"
        assert consumer.rejected == count
        assert reason in consumer.last_rejection

    assert _latest(fresh_demo_dsn, crew["id"]) == before
    good = _fix_near(crew, metres_east=40)
    publish_fix("127.0.0.1", broker.port, crew["id"], good)
    assert consumer.wait_for(len(bad) + 1, WAIT_S)
    assert (consumer.stored, consumer.rejected, consumer.failed) == (1, len(bad), 0)
    assert _latest(fresh_demo_dsn, crew["id"])[0] == datetime.fromisoformat(good["time"])


def test_the_consumer_reconnects_and_resubscribes_after_the_broker_restarts(
    fresh_demo_dsn, broker, consumer, crew
):
    broker.stop()
    assert wait_until(lambda: not consumer.is_subscribed), "the consumer missed the outage"

    broker.start()  # a new process on the same port, with no memory of the subscription

    assert consumer.wait_subscribed(WAIT_S), "the consumer did not subscribe again"
    assert consumer.connections == 2
    fix = _fix_near(crew)
    publish_fix("127.0.0.1", broker.port, crew["id"], fix)
    assert consumer.wait_for(1, WAIT_S)
    assert consumer.stored == 1
    assert _latest(fresh_demo_dsn, crew["id"])[0] == datetime.fromisoformat(fix["time"])


def test_starting_while_the_broker_is_down_keeps_retrying_until_it_comes_up(
    fresh_demo_dsn, tmp_path, crew
):
    if MOSQUITTO is None:
        pytest.skip("needs the mosquitto binary (apt-get install mosquitto)")
    late = PrivateBroker(tmp_path)
    consumer = PositionConsumer(fresh_demo_dsn, port=late.port)
    consumer.start()  # nothing listens yet: must not raise
    try:
        assert not consumer.wait_subscribed(0.3)
        late.start()
        assert consumer.wait_subscribed(WAIT_S), "the consumer never connected"
        publish_fix("127.0.0.1", late.port, crew["id"], _fix_near(crew))
        assert consumer.wait_for(1, WAIT_S) and consumer.stored == 1
    finally:
        consumer.stop()
        late.stop()


def test_an_unreachable_database_counts_the_fix_as_failed_once_and_keeps_it(pg_server, broker):
    missing = psycopg2.extensions.make_dsn(pg_server.admin_dsn, dbname="gd_no_such_database")
    fix = {"lon": 24.9466, "lat": 60.1712, "time": datetime.now(UTC).isoformat()}

    with PositionConsumer(missing, port=broker.port) as consumer:
        assert consumer.wait_subscribed(WAIT_S)
        publish_fix("127.0.0.1", broker.port, 1, fix)
        assert consumer.wait_for(1, WAIT_S)
        time.sleep(2)  # tried again meanwhile (0.5 s, 1 s): counted once, not dropped

        assert (consumer.stored, consumer.rejected, consumer.failed) == (0, 0, 1)
        assert "database unreachable" in consumer.last_failure
        assert consumer.is_subscribed


def test_a_fix_whose_database_connection_was_ended_is_stored_on_the_next_try(
    fresh_demo_dsn, broker, consumer, crew
):
    publish_fix("127.0.0.1", broker.port, crew["id"], _fix_near(crew))
    assert consumer.wait_for(1, WAIT_S) and consumer.stored == 1
    ended = fetch_all(
        fresh_demo_dsn,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )[0][0]
    fix = _fix_near(crew, metres_east=45)

    publish_fix("127.0.0.1", broker.port, crew["id"], fix)

    assert ended >= 1, "the writer's kept connection was ended"
    assert wait_until(lambda: consumer.stored == 2), (consumer.failed, consumer.last_failure)
    assert consumer.failed == 1, "the first try met the ended connection"
    assert _latest(fresh_demo_dsn, crew["id"])[0] == datetime.fromisoformat(fix["time"])
