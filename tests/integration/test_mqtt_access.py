"""Only crews can send GPS, and each only its own: a real Mosquitto with the password file
and ACL that `dispatch mqtt passwd` writes, the product's consumer, a real PostGIS."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import threading

import paho.mqtt.client as mqtt
import pytest

from dispatch.mqtt_consumer import PositionConsumer, encode_fix, position_topic
from tests.dbutil import fetch_value
from tests.integration.test_mqtt_consumer import _fix_near
from tests.mqtt_broker import MOSQUITTO, WAIT_S, PrivateBroker

CONSUMER_PASSWORD = "consumer-secret-42"


@pytest.fixture
def secured(fresh_demo_dsn, tmp_path):
    """A broker that knows only the crews of the demo and the consumer; their credentials."""
    if MOSQUITTO is None:
        pytest.skip("needs the mosquitto binary (apt-get install mosquitto)")
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "dispatch.cli",
            "mqtt",
            "passwd",
            "--dir",
            str(tmp_path),
            "--consumer-password-stdin",
        ],
        input=CONSUMER_PASSWORD + "\n",
        capture_output=True,
        text=True,
        env={"DATABASE_URL": fresh_demo_dsn, "PATH": "/usr/bin:/bin"},
        check=True,
    )
    issued = {row["username"]: row for row in csv.DictReader(io.StringIO(made.stdout))}
    # Started as root, Mosquitto drops to its own user, which may not read a test's folder.
    keep_user = "user root\n" if os.geteuid() == 0 else ""
    broker = PrivateBroker(
        tmp_path,
        access=f"{keep_user}allow_anonymous false\npassword_file {tmp_path / 'passwords'}\n"
        f"acl_file {tmp_path / 'acl'}\n",
    )
    broker.start()
    consumer = PositionConsumer(
        fresh_demo_dsn,
        host="127.0.0.1",
        port=broker.port,
        username="dispatch",
        password=CONSUMER_PASSWORD,
    )
    consumer.start()
    assert consumer.wait_subscribed(WAIT_S), "the consumer never subscribed"
    yield broker, consumer, issued
    consumer.stop()
    broker.stop()


def _connect(port: int, username: str | None, password: str | None):
    """A connected client, or the broker's refusal reason."""
    answered = threading.Event()
    outcome: dict = {}

    def on_connect(client, userdata, flags, reason_code, properties):
        outcome["refused"] = reason_code.is_failure
        answered.set()

    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5
    )
    if username is not None:
        client.username_pw_set(username, password)
    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert answered.wait(WAIT_S)
    return client, outcome["refused"]


def _crew(dsn, offset: int) -> dict:
    row = fetch_value(
        dsn,
        "SELECT json_build_object('id', c.id, 'lon', ST_X(p.geom), 'lat', ST_Y(p.geom))"
        " FROM crews c JOIN crew_latest_positions p ON p.crew_id = c.id"
        " ORDER BY c.id OFFSET %s LIMIT 1",
        (offset,),
    )
    return row


def _fixes(dsn, crew_id: int) -> int:
    return fetch_value(dsn, "SELECT count(*) FROM crew_positions WHERE crew_id = %s", (crew_id,))


def test_an_anonymous_client_is_refused_at_the_door(secured):
    broker, _, _ = secured

    client, refused = _connect(broker.port, None, None)
    client.loop_stop()

    assert refused


def test_a_crew_publishing_as_another_crew_changes_nothing_and_its_own_fix_is_stored(
    fresh_demo_dsn, secured
):
    broker, consumer, issued = secured
    me, other = _crew(fresh_demo_dsn, 0), _crew(fresh_demo_dsn, 1)
    before_other = _fixes(fresh_demo_dsn, other["id"])
    creds = issued[str(me["id"])]
    client, refused = _connect(broker.port, creds["username"], creds["password"])
    assert not refused
    try:
        forged = client.publish(position_topic(other["id"]), encode_fix(_fix_near(other)), qos=1)
        forged.wait_for_publish(WAIT_S)
        own = client.publish(position_topic(me["id"]), encode_fix(_fix_near(me)), qos=1)
        own.wait_for_publish(WAIT_S)
    finally:
        client.disconnect()
        client.loop_stop()

    assert consumer.wait_for(1, WAIT_S) and consumer.stored == 1
    assert _fixes(fresh_demo_dsn, other["id"]) == before_other
    assert (
        fetch_value(
            fresh_demo_dsn, "SELECT count(*) FROM crew_positions WHERE crew_id = %s", (me["id"],)
        )
        >= 2
    )


def test_a_crew_with_a_wrong_password_is_refused(fresh_demo_dsn, secured):
    broker, _, _ = secured
    me = _crew(fresh_demo_dsn, 0)

    client, refused = _connect(broker.port, str(me["id"]), "not-the-password")
    client.loop_stop()

    assert refused


def test_settings_show_never_prints_the_brokers_password(fresh_demo_dsn):
    shown = subprocess.run(
        [sys.executable, "-m", "dispatch.cli", "settings", "show"],
        capture_output=True,
        text=True,
        env={"DISPATCH__MQTT__PASSWORD": "very-secret-value", "PATH": "/usr/bin:/bin"},
        check=True,
    ).stdout

    assert "very-secret-value" not in shown
    assert 'mqtt.password = "(set, not shown)"  (DISPATCH__MQTT__PASSWORD)' in shown
