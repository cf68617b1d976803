"""The map's layers and the health check as HTTP routes on the Dash app's Flask server.

    GET /healthz                 200 {"status": "ok", "database": "ok"}
                                 503 {"status": "error", "database": "<one-line reason>"}
    GET /layers/<name>.geojson   200 a GeoJSON FeatureCollection in EPSG:4326
                                 404 {"error": "unknown_layer", "field": "name", "detail": ...}
                                 503 {"error": "database_unavailable", "field": null, ...}

Static layers (streets, pipes, districts, ...) are read once per app instance and then served
from memory with ``Cache-Control`` and an ``ETag``; live layers (crews) are read on every request
and never cached. Static layers are also kept gzip-compressed and sent so to browsers that accept
it (a city's streets shrink about tenfold). No SQL here: reading goes through :mod:`gis.map_layers`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import flask

from dispatch.json_errors import error_response
from gis import map_layers
from gis.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

#: Layers whose content changes while the app runs: read on every request, never cached.
LIVE_LAYERS = frozenset({"crews"})
#: How long a browser may keep a static layer before revalidating it (seconds).
STATIC_MAX_AGE_S = 600
GEOJSON_MIMETYPE = "application/geo+json"


def layer_url(name: str) -> str:
    """The path a layer is served at, relative to the server root."""
    return f"/layers/{name}.geojson"


class UnknownLayer(LookupError):
    """A layer name that is not served."""


@dataclass(frozen=True)
class LayerBody:
    """A layer serialised for HTTP: the JSON bytes, their entity tag and (for static layers)
    the same bytes gzip-compressed."""

    data: bytes
    etag: str
    live: bool
    gzipped: bytes | None = None


def _serialise(collection: dict[str, Any], *, live: bool) -> LayerBody:
    data = json.dumps(collection, separators=(",", ":"), ensure_ascii=False).encode()
    gzipped = None if live else gzip.compress(data, compresslevel=6, mtime=0)
    return LayerBody(data, hashlib.sha256(data).hexdigest()[:32], live, gzipped)


class LayerSource:
    """The layers of one app instance: static ones cached after their first read.

    ``read_layer(dsn, name)`` and ``check_database(dsn)`` default to :mod:`gis.map_layers`; tests
    pass fakes to run without a database.
    """

    def __init__(
        self,
        dsn: str,
        *,
        layer_names: Iterable[str] = map_layers.LAYER_NAMES,
        live_layers: Iterable[str] = LIVE_LAYERS,
        read_layer: Callable[[str, str], dict[str, Any]] = map_layers.read_layer,
        check_database: Callable[[str], None] = map_layers.check_database,
    ) -> None:
        self._dsn = dsn
        self.layer_names: tuple[str, ...] = tuple(layer_names)
        self._live = frozenset(live_layers)
        self._read_layer = read_layer
        self._check_database = check_database
        self._cache: dict[str, LayerBody] = {}
        self._lock = threading.Lock()

    def is_live(self, name: str) -> bool:
        """Whether layer ``name`` is read afresh on every request."""
        return name in self._live

    def body(self, name: str) -> LayerBody:
        """Layer ``name`` serialised; raises :class:`UnknownLayer` or
        :class:`~gis.errors.DatabaseUnavailable`."""
        if name not in self.layer_names:
            msg = f"`name` must be one of {', '.join(self.layer_names)}; got {name!r}"
            raise UnknownLayer(msg)
        if self.is_live(name):
            return _serialise(self._read_layer(self._dsn, name), live=True)
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        with self._lock:
            if name not in self._cache:
                self._cache[name] = _serialise(self._read_layer(self._dsn, name), live=False)
            return self._cache[name]

    def database_problem(self) -> str | None:
        """``None`` when the database answers a query now, else a one-line reason."""
        try:
            self._check_database(self._dsn)
        except DatabaseUnavailable as exc:
            return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None


def healthz(source: LayerSource) -> flask.Response:
    """The health check: queries the database on every call."""
    problem = source.database_problem()
    if problem is None:
        response = flask.jsonify(status="ok", database="ok")
    else:
        response = flask.jsonify(status="error", database=problem)
        response.status_code = 503
    response.headers["Cache-Control"] = "no-store"
    return response


def serve_layer(source: LayerSource, name: str) -> flask.Response:
    """One layer as GeoJSON, or a JSON error naming what went wrong."""
    try:
        body = source.body(name)
    except UnknownLayer as exc:
        return error_response(404, "unknown_layer", str(exc), field="name")
    except DatabaseUnavailable as exc:
        log.warning("layer %s not served: %s", name, exc)
        return error_response(503, "database_unavailable", str(exc))
    if body.live:
        response = flask.Response(body.data, mimetype=GEOJSON_MIMETYPE)
        response.headers["Cache-Control"] = "no-store"
        return response
    compress = body.gzipped is not None and "gzip" in flask.request.accept_encodings
    response = flask.Response(body.gzipped if compress else body.data, mimetype=GEOJSON_MIMETYPE)
    if compress:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE_S}"
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{body.etag}-gz" if compress else body.etag)
    return response.make_conditional(flask.request)


def register_routes(server: flask.Flask, source: LayerSource) -> None:
    """Add ``/healthz`` and ``/layers/<name>.geojson`` to ``server``, answering from ``source``."""
    server.add_url_rule(
        "/healthz", endpoint="gas_healthz", view_func=lambda: healthz(source), methods=["GET"]
    )
    server.add_url_rule(
        "/layers/<name>.geojson",
        endpoint="gas_layer",
        view_func=lambda name: serve_layer(source, name),
        methods=["GET"],
    )
