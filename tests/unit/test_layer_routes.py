"""The layer and health routes, run on a bare Flask app with fake readers (no database)."""

from __future__ import annotations

import gzip

import flask
import pytest

from dashboards.layers import LayerSource, register_routes
from gis.errors import DatabaseUnavailable

COLLECTION = {"type": "FeatureCollection", "features": []}


class FakeDatabase:
    """Counts reads per layer; `down` makes every read and check fail like a dead server."""

    def __init__(self) -> None:
        self.reads: dict[str, int] = {}
        self.checks = 0
        self.down = False

    def read_layer(self, dsn: str, name: str) -> dict:
        if self.down:
            raise DatabaseUnavailable("database unreachable (127.0.0.1:1/x): Connection refused")
        self.reads[name] = self.reads.get(name, 0) + 1
        return {**COLLECTION, "name": name}

    def check_database(self, dsn: str) -> None:
        self.checks += 1
        if self.down:
            raise DatabaseUnavailable("database unreachable (127.0.0.1:1/x): Connection refused")


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def client(db: FakeDatabase):
    server = flask.Flask(__name__)
    source = LayerSource("fake", read_layer=db.read_layer, check_database=db.check_database)
    register_routes(server, source)
    return server.test_client()


def test_a_static_layer_is_read_once_then_served_from_memory(client, db):
    first = client.get("/layers/mains.geojson")
    second = client.get("/layers/mains.geojson")
    assert first.status_code == second.status_code == 200
    assert first.json == second.json == {**COLLECTION, "name": "mains"}
    assert db.reads == {"mains": 1}


def test_a_static_layer_may_be_cached_by_the_browser_and_revalidated(client):
    response = client.get("/layers/streets.geojson")
    assert response.mimetype == "application/geo+json"
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=" in response.headers["Cache-Control"]
    again = client.get(
        "/layers/streets.geojson", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_crews_are_read_on_every_request_and_never_cached(client, db):
    for _ in range(3):
        response = client.get("/layers/crews.geojson")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
    assert db.reads == {"crews": 3}


def test_the_cache_belongs_to_one_app_instance(db):
    for _ in range(2):
        server = flask.Flask(__name__)
        register_routes(server, LayerSource("fake", read_layer=db.read_layer))
        assert server.test_client().get("/layers/districts.geojson").status_code == 200
    assert db.reads == {"districts": 2}


def test_a_static_layer_is_sent_gzipped_to_a_browser_that_accepts_it(client):
    response = client.get("/layers/buildings.geojson", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b'"name":"buildings"' in gzip.decompress(response.data)
    assert "Accept-Encoding" in response.headers["Vary"]


def test_an_unknown_layer_is_a_404_naming_the_field(client, db):
    response = client.get("/layers/nope.geojson")
    assert response.status_code == 404
    assert response.json["field"] == "name"
    assert response.json["error"] == "unknown_layer"
    assert "`name` must be one of" in response.json["detail"]
    assert "'nope'" in response.json["detail"]
    assert db.reads == {}


def test_a_layer_is_a_503_with_the_reason_while_the_database_is_down(client, db):
    db.down = True
    response = client.get("/layers/mains.geojson")
    assert response.status_code == 503
    assert response.json["error"] == "database_unavailable"
    assert "Connection refused" in response.json["detail"]


def test_a_layer_read_while_the_database_was_down_is_not_cached_as_empty(client, db):
    db.down = True
    assert client.get("/layers/mains.geojson").status_code == 503
    db.down = False
    assert client.get("/layers/mains.geojson").json["name"] == "mains"


def test_healthz_checks_the_database_on_every_request(client, db):
    for _ in range(2):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json == {"status": "ok", "database": "ok"}
    assert db.checks == 2


def test_healthz_is_a_503_with_a_one_line_reason_while_the_database_is_down(client, db):
    db.down = True
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert "Connection refused" in response.json["database"]
    assert "\n" not in response.json["database"]
