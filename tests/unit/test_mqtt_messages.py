"""MQTT position messages: topics, payloads and the broker setting, without a broker."""

import json
from datetime import UTC, datetime

import pytest

from dispatch.errors import InvalidInput
from dispatch.mqtt_consumer import encode_fix, parse_message, position_topic

FIX = {"lon": 24.9466, "lat": 60.1712, "time": "2024-05-01T08:15:00+03:00", "speed": 8.3}


def test_a_fix_on_a_crew_topic_gives_the_crew_id_and_the_fix_unchanged():
    crew_id, fix = parse_message("crews/17/position", json.dumps(FIX).encode())

    assert crew_id == 17
    assert fix == FIX


def test_the_fields_of_a_fix_are_left_to_the_service_to_judge():
    crew_id, fix = parse_message("crews/1/position", b'{"lat": 95}')

    assert (crew_id, fix) == (1, {"lat": 95})


def test_position_topic_and_parse_message_agree():
    assert parse_message(position_topic(42), b"{}")[0] == 42


@pytest.mark.parametrize(
    "topic",
    [
        "crews/abc/position",
        "crews/0/position",
        "crews/-3/position",
        "crews//position",
        "crews/3/status",
        "crews/3/position/extra",
        "/crews/3/position",
        "crews/3",
    ],
)
def test_a_topic_that_is_not_crews_id_position_is_invalid(topic):
    with pytest.raises(InvalidInput, match="`topic` must look like crews/<id>/position") as info:
        parse_message(topic, json.dumps(FIX).encode())

    assert info.value.field == "topic"


def test_a_crew_id_beyond_the_database_integer_range_is_invalid():
    with pytest.raises(InvalidInput, match="`topic`: crew id 9999999999 is out of range"):
        parse_message("crews/9999999999/position", b"{}")


def test_a_payload_that_is_not_utf8_is_invalid():
    with pytest.raises(InvalidInput, match="`payload` must be UTF-8 text") as info:
        parse_message("crews/1/position", b"\xff\xfe")

    assert info.value.field == "payload"


@pytest.mark.parametrize("payload", [b"", b"{", b'{"lon": 24.9,}', b"lon=24.9"])
def test_malformed_json_is_invalid(payload):
    with pytest.raises(InvalidInput, match="`payload` is not valid JSON"):
        parse_message("crews/1/position", payload)


@pytest.mark.parametrize(
    ("payload", "kind"),
    [(b"[24.9, 60.1]", "an array"), (b'"here"', "a string"), (b"7", "a number"), (b"null", "null")],
)
def test_json_that_is_not_an_object_is_invalid(payload, kind):
    with pytest.raises(InvalidInput, match=f"`payload` must be a JSON object, got {kind}"):
        parse_message("crews/1/position", payload)


def test_encode_fix_writes_datetimes_as_iso_8601_with_their_zone():
    at = datetime(2024, 5, 1, 5, 15, tzinfo=UTC)

    payload = encode_fix({"lon": 24.9, "lat": 60.1, "time": at})

    assert parse_message("crews/1/position", payload)[1]["time"] == "2024-05-01T05:15:00+00:00"


def test_encode_fix_refuses_values_json_cannot_carry():
    with pytest.raises(TypeError, match="`fix`: set is not JSON serialisable"):
        encode_fix({"lon": {24.9}})
