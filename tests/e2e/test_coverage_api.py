"""Coverage over the JSON API on the Helsinki demo: the reach from the depots and the available
crews, the uncovered street km, the suggested moves of idle crews (each move's km before and
after, shrinking), and a dispatcher applying one (recorded and announced); a manager may read
but not move."""

from __future__ import annotations

import pytest

from dispatch.territory_ports import ports_for_territory
from tests.dbutil import fetch_all
from tests.e2e.api_client import ApiClient


@pytest.fixture
def client(fresh_demo_dsn):
    api = ApiClient(fresh_demo_dsn, ports=ports_for_territory(fresh_demo_dsn))
    yield api, fresh_demo_dsn
    api.close()


def test_a_tight_target_leaves_streets_uncovered_and_the_suggested_moves_shrink_them(client):
    api, dsn = client
    r = api.call("manager", "GET", "/coverage?target_min=1")
    assert r.status_code == 200, r.json
    cov = r.json
    assert cov["target_min"] == 1 and cov["crews_available"] > 0
    assert cov["reach_from_depots"]["type"] == "MultiPolygon"
    assert cov["reach_from_depots"]["coordinates"]
    assert cov["uncovered_km_available"] > 0
    suggestion = cov["suggestion"]
    assert suggestion["moves"], "with 1 minute some idle crew is better placed elsewhere"
    before = suggestion["uncovered_before_km"]
    for move in suggestion["moves"]:  # each move shrinks what the one before left
        assert move["uncovered_before_km"] == before
        assert move["uncovered_after_km"] < move["uncovered_before_km"]
        before = move["uncovered_after_km"]
    assert suggestion["uncovered_after_km"] == before < suggestion["uncovered_before_km"]

    move = suggestion["moves"][0]
    body = {k: move[k] for k in ("crew_id", "to", "uncovered_before_km", "uncovered_after_km")}
    refused = api.call("manager", "POST", "/coverage/moves", json=body)
    assert refused.status_code == 403
    done = api.call("dispatcher", "POST", "/coverage/moves", json=body)
    assert done.status_code == 201, done.json
    assert done.json["crew_id"] == move["crew_id"] and done.json["moved_by"] == "dispatcher"
    rows = fetch_all(dsn, "SELECT crew_id, moved_by, uncovered_after_km FROM crew_moves")
    assert rows == [(move["crew_id"], "dispatcher", move["uncovered_after_km"])]
    kinds = fetch_all(dsn, "SELECT kind, crew_id FROM outbox WHERE kind = 'crew_move'")
    assert kinds == [("crew_move", move["crew_id"])]


def test_bad_input_names_the_field(client):
    api, _ = client
    bad = api.call("manager", "GET", "/coverage?target_min=0")
    assert bad.status_code == 400 and bad.json["field"] == "target_min"
    body = {
        "crew_id": 999,
        "to": {"lon": 24.9, "lat": 60.1},
        "uncovered_before_km": 1.0,
        "uncovered_after_km": 0.5,
    }
    missing = api.call("dispatcher", "POST", "/coverage/moves", json=body)
    assert missing.status_code == 404 and missing.json["field"] == "crew_id"
    body["uncovered_after_km"] = -1
    negative = api.call("dispatcher", "POST", "/coverage/moves", json=body)
    assert negative.status_code == 400 and negative.json["field"] == "uncovered_after_km"
