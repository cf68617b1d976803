"""Read models for the map: each layer of the network as a GeoJSON FeatureCollection.

Every geometry is in EPSG:4326 (longitude, latitude in degrees, as stored), rounded to
:data:`COORDINATE_DIGITS` decimals (about 0.1 m). Each feature carries its row's ``id`` as the
GeoJSON ``id`` and a few properties for popups; nothing personal leaves the database here
(customer meters give only ``id`` and ``category``, cameras no stream URL).

The layer readers take an open psycopg2 connection *or* a DSN string. Given a connection they
only read (no commit, no close), so a test can insert rows, read them back and roll back; given a
DSN they open, read and close a read-only connection of their own.

Call fast: one query per layer; the collection is assembled by PostgreSQL (``json_agg``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from gis.database import connect
from gis.errors import DatabaseUnavailable

ConnOrDsn = psycopg2.extensions.connection | str
FeatureCollection = dict[str, Any]
#: [[south, west], [north, east]] in degrees (EPSG:4326), the order Leaflet takes bounds in.
Bounds = list[list[float]]

#: Decimals kept in coordinates: 1e-6 degree is about 0.11 m of latitude.
COORDINATE_DIGITS = 6
#: Pressure classes from lowest to highest; mains are listed (and so drawn) in this order.
PRESSURE_CLASSES = ("low", "medium_b", "medium_a", "sub_high_b", "sub_high_a", "high_b", "high_a")
#: How long the health check may wait on the server once connected (milliseconds).
HEALTH_STATEMENT_TIMEOUT_MS = 2000

# Each layer query yields rows of (id, geom, properties json, draw_order); the collection query
# wraps it. Features are ordered by draw_order then id, so the output is deterministic.
_COLLECTION = sql.SQL(
    """
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'features', COALESCE(json_agg(json_build_object(
            'type', 'Feature',
            'id', f.id,
            'geometry', ST_AsGeoJSON(f.geom, {digits})::json,
            'properties', f.properties
        ) ORDER BY f.draw_order, f.id), '[]'::json))
    FROM ({features}) AS f
    """
)

_STREETS = """
    SELECT id, geom, json_build_object('id', id, 'name', name, 'highway', highway) AS properties,
           0 AS draw_order
    FROM streets
"""

_BUILDINGS = """
    SELECT id, geom, json_build_object('id', id, 'building', building, 'name', name) AS properties,
           0 AS draw_order
    FROM buildings
"""

_DISTRICTS = """
    SELECT id, geom, json_build_object('id', id, 'name', name) AS properties, 0 AS draw_order
    FROM districts
"""

_MAINS = """
    SELECT id, geom,
           json_build_object('id', id, 'pressure_class', pressure_class,
                             'diameter_mm', diameter_mm, 'material', material,
                             'status', status) AS properties,
           array_position(%(pressure_classes)s::text[], pressure_class) AS draw_order
    FROM gas_mains
"""

_VALVES = """
    SELECT id, geom,
           json_build_object('id', id, 'main_id', main_id, 'valve_type', valve_type,
                             'operable', operable, 'currently_open', currently_open) AS properties,
           0 AS draw_order
    FROM valves
"""

_REGULATOR_STATIONS = """
    SELECT id, geom,
           json_build_object('id', id, 'name', name,
                             'inlet_pressure_class', inlet_pressure_class,
                             'outlet_pressure_class', outlet_pressure_class,
                             'capacity_m3h', capacity_m3h) AS properties,
           0 AS draw_order
    FROM regulator_stations
"""

# Personal data (customer_name, phone, address, account_no) must never be selected here.
_METERS = """
    SELECT id, geom, json_build_object('id', id, 'category', category) AS properties,
           0 AS draw_order
    FROM customer_meters
"""

_DEPOTS = """
    SELECT id, geom, json_build_object('id', id, 'name', name) AS properties, 0 AS draw_order
    FROM depots
"""

# Crews without any position fix yet are not on the map.
_CREWS = """
    SELECT c.id, p.geom,
           json_build_object('id', c.id, 'code', c.code, 'name', c.name, 'status', c.status,
                             'skills', c.skills, 'recorded_at', p.recorded_at,
                             'heading_deg', p.heading_deg) AS properties,
           0 AS draw_order
    FROM crews AS c
    JOIN crew_latest_positions AS p ON p.crew_id = c.id
"""

# stream_url may embed credentials: it is not a map property.
_CAMERAS = """
    SELECT id, geom,
           json_build_object('id', id, 'name', name, 'bearing_deg', bearing_deg) AS properties,
           0 AS draw_order
    FROM cameras
"""

_TERRITORY_BOUNDS = """
    SELECT ST_YMin(e), ST_XMin(e), ST_YMax(e), ST_XMax(e)
    FROM (SELECT COALESCE((SELECT ST_Extent(geom) FROM territory),
                          (SELECT ST_Extent(geom) FROM gas_mains)) AS e) AS extent
"""


@contextlib.contextmanager
def _reading(conn_or_dsn: ConnOrDsn) -> Iterator[psycopg2.extensions.connection]:
    """The given connection untouched, or a read-only one opened on the DSN and closed after."""
    if not isinstance(conn_or_dsn, str):
        yield conn_or_dsn
        return
    conn = connect(conn_or_dsn)
    try:
        conn.set_session(readonly=True)
        with conn:
            yield conn
    except psycopg2.OperationalError as exc:
        first_line = (str(exc).strip().splitlines() or ["connection lost"])[0]
        raise DatabaseUnavailable(f"database read failed: {first_line}") from exc
    finally:
        conn.close()


def _read_collection(
    conn_or_dsn: ConnOrDsn, features_sql: str, params: dict[str, Any] | None = None
) -> FeatureCollection:
    query = _COLLECTION.format(
        digits=sql.Literal(COORDINATE_DIGITS), features=sql.SQL(features_sql)
    )
    with _reading(conn_or_dsn) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        (collection,) = cur.fetchone()
    return collection


def read_streets(conn_or_dsn: ConnOrDsn) -> FeatureCollection:
    """OSM streets as LineStrings (EPSG:4326); properties ``id``, ``name``, ``highway``."""
    return _read_collection(conn_or_dsn, _STREETS)


def read_buildings(conn_or_dsn: ConnOrDsn) -> FeatureCollection:
    """OSM building outlines as MultiPolygons (EPSG:4326); properties ``id``, ``building``,
    ``name``."""
    return _read_collection(conn_or_dsn, _BUILDINGS)


def read_districts(conn_or_dsn: ConnOrDsn) -> FeatureCollection:
    """District outlines as MultiPolygons (EPSG:4326); properties ``id``, ``name``."""
    return _read_collection(conn_or_dsn, _DISTRICTS)


def read_mains(conn_or_dsn: ConnOrDsn) -> FeatureCollection:
    """Gas mains as LineStrings (EPSG:4326), lowest pressure class first; properties ``id``,
    ``pressure_class``, ``diameter_mm`` (millimetres), ``material``, ``status``."""
    return _read_collection(conn_or_dsn, _MAINS, {"pressure_classes": list(PRESSURE_CLASSES)})


def read_valves(conn_or_dsn: ConnOrDsn) -> FeatureCollection:
    """Valves as Points (EPSG:4326); properties ``id``, ``main_id``, ``valve_type``,
    ``operable``, ``currently_open``."""
    return _read_collection(conn_or_dsn, _VALVES)


def read_regulator_stations(conn_or_dsn: ConnOrDsn) -> FeatureCollection:
    """Regulator stations as Points (EPSG:4326); properties ``id``, ``name``, inlet and outlet
    pressure class, ``capacity_m3h`` (cubic metres per hour)."""
    return _read_collection(conn_or_dsn, _REGULATOR_STATIONS)


def read_meters(conn_or_dsn: ConnOrDsn) -> FeatureCollection:
    """Customer meters as Points (EPSG:4326); properties ``id`` and ``category`` only — never
    the customer's name, phone, address or account."""
    return _read_collection(conn_or_dsn, _METERS)


def read_depots(conn_or_dsn: ConnOrDsn) -> FeatureCollection:
    """Depots as Points (EPSG:4326); properties ``id``, ``name``."""
    return _read_collection(conn_or_dsn, _DEPOTS)


def read_crews(conn_or_dsn: ConnOrDsn) -> FeatureCollection:
    """Crews at their latest position fix, as Points (EPSG:4326); properties ``id``, ``code``,
    ``name``, ``status``, ``skills`` (list), ``recorded_at`` (ISO 8601 with offset) and
    ``heading_deg`` (degrees clockwise from north, or null). Crews never located are left out."""
    return _read_collection(conn_or_dsn, _CREWS)


def read_cameras(conn_or_dsn: ConnOrDsn) -> FeatureCollection:
    """Cameras as Points (EPSG:4326); properties ``id``, ``name``, ``bearing_deg`` (degrees
    clockwise from north). The stream URL is not exposed."""
    return _read_collection(conn_or_dsn, _CAMERAS)


#: Layer name -> reader, in drawing order from the bottom up.
LAYER_READERS: MappingProxyType[str, Callable[[ConnOrDsn], FeatureCollection]] = MappingProxyType(
    {
        "streets": read_streets,
        "buildings": read_buildings,
        "districts": read_districts,
        "mains": read_mains,
        "valves": read_valves,
        "regulator_stations": read_regulator_stations,
        "meters": read_meters,
        "depots": read_depots,
        "crews": read_crews,
        "cameras": read_cameras,
    }
)
LAYER_NAMES = tuple(LAYER_READERS)


def read_layer(conn_or_dsn: ConnOrDsn, name: str) -> FeatureCollection:
    """The layer called ``name`` (one of :data:`LAYER_NAMES`) as a FeatureCollection in
    EPSG:4326."""
    reader = LAYER_READERS.get(name)
    if reader is None:
        msg = f"`name` must be one of {', '.join(LAYER_NAMES)}; got {name!r}"
        raise ValueError(msg)
    return reader(conn_or_dsn)


def territory_bounds(conn_or_dsn: ConnOrDsn) -> Bounds | None:
    """The territory's bounding box as ``[[south, west], [north, east]]`` in degrees
    (EPSG:4326), falling back to the extent of the gas mains; ``None`` when both are empty."""
    with _reading(conn_or_dsn) as conn, conn.cursor() as cur:
        cur.execute(_TERRITORY_BOUNDS)
        south, west, north, east = cur.fetchone()
    if south is None:
        return None
    return [[south, west], [north, east]]


def check_database(dsn: str) -> None:
    """Connect and run a query; raise :class:`DatabaseUnavailable` with a one-line reason if
    either fails. Queries the server on every call (nothing is cached)."""
    conn = connect(dsn, options=f"-c statement_timeout={HEALTH_STATEMENT_TIMEOUT_MS}")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except psycopg2.Error as exc:
        first_line = (str(exc).strip().splitlines() or ["query failed"])[0]
        raise DatabaseUnavailable(f"database query failed: {first_line}") from exc
    finally:
        conn.close()


def database_ok(dsn: str) -> bool:
    """Whether the database at ``dsn`` answers a query now (for health checks)."""
    try:
        check_database(dsn)
    except DatabaseUnavailable:
        return False
    return True
