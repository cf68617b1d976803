"""Shared fixtures: throw-away PostGIS databases on a real PostgreSQL server, and demo territories.

The tests' databases live in a PostgreSQL cluster of the test session's own (the machine's
PostgreSQL binaries, a temporary directory, fsync off), which is removed at the session's end;
with ``DATABASE_URL`` set they are made on that server instead. On a shared server every
``CREATE``/``DROP DATABASE`` waits for a checkpoint that writes out everybody's dirty pages:
with about 1,100 copies of the demo database per run that was most of the suite's time.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2.extensions
import pytest
from psycopg2 import sql

from gis.database import (
    Server,
    connect,
    drop_database,
    ensure_database,
    resolve_server,
    start_private_cluster,
)
from gis.demo.store import store_territory
from gis.demo.territory import build_territory
from gis.migrations import migrate
from gis.osm_source import default_extract_path, read_pbf
from tests.mqtt_broker import MOSQUITTO, PrivateBroker

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
LIECHTENSTEIN_PBF = SHARED_DIR / "osm" / "liechtenstein.osm.pbf"


@pytest.fixture(scope="session")
def product_server() -> Server:
    """The server the product itself would use (DATABASE_URL, local, or a private cluster)."""
    return resolve_server()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """The server the tests make their databases on: ``DATABASE_URL``'s when it is set, else a
    private cluster of this session (socket only, in a temporary directory removed at the end).
    """
    if os.environ.get("DATABASE_URL"):
        yield resolve_server()
        return
    # Not under pytest's tmp_path: that is private to this user, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="gd-test-pg-"))
    try:
        yield start_private_cluster(root, _free_port())
    finally:
        _stop_cluster(root)


def _stop_cluster(root: Path) -> None:
    data = root / "data"
    if (data / "PG_VERSION").exists():
        bindir = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parents[1].name)
        )
        if bindir:
            runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
            subprocess.run(
                [*runner, str(bindir[-1]), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                check=False,
            )
    shutil.rmtree(root, ignore_errors=True)


def _copy_clause(server: Server) -> sql.Composable:
    """``STRATEGY FILE_COPY`` on the session's own cluster (PostgreSQL 15+): with fsync off its
    checkpoints cost nothing and copying files beats writing the copy to the WAL (0.1 s
    against 0.4 s for the demo database)."""
    if os.environ.get("DATABASE_URL"):
        return sql.SQL("")
    conn = connect(server.admin_dsn)
    try:
        version = conn.server_version
    finally:
        conn.close()
    return sql.SQL(" STRATEGY FILE_COPY") if version >= 150000 else sql.SQL("")


@pytest.fixture(scope="session")
def make_database(pg_server: Server) -> Iterator[Callable[[], str]]:
    """A factory of empty PostGIS databases; all of them are dropped after the session.

    Copying a template that already has PostGIS is several times faster than creating the
    extension in each database."""
    postgis_template = f"gd_test_template_{uuid.uuid4().hex[:8]}"
    ensure_database(pg_server, postgis_template)
    made: list[str] = [postgis_template]
    strategy = _copy_clause(pg_server)

    def make(template: str | None = None) -> str:
        name = f"gd_test_{uuid.uuid4().hex[:10]}"
        made.append(name)
        conn = connect(pg_server.admin_dsn)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
                        sql.Identifier(name),
                        sql.Identifier(template or postgis_template),
                        strategy,
                    )
                )
        finally:
            conn.close()
        return psycopg2.extensions.make_dsn(pg_server.admin_dsn, dbname=name)

    def drop(dsn: str) -> None:
        """Drop a database made here before the session ends (it is not dropped twice)."""
        name = psycopg2.extensions.parse_dsn(dsn)["dbname"]
        drop_database(pg_server, name)
        made.remove(name)

    make.drop = drop  # type: ignore[attr-defined]
    yield make
    for name in reversed(made):
        drop_database(pg_server, name)


@pytest.fixture
def empty_dsn(make_database) -> str:
    """A fresh database with PostGIS and no schema."""
    return make_database()


@pytest.fixture
def migrated_dsn(make_database) -> str:
    """A fresh database with the whole schema and no data."""
    dsn = make_database()
    migrate(dsn)
    return dsn


@pytest.fixture(scope="session")
def helsinki_extract():
    return read_pbf(default_extract_path())


@pytest.fixture(scope="session")
def helsinki_territory(helsinki_extract):
    return build_territory(helsinki_extract, seed=7)


@pytest.fixture(scope="session")
def demo_dsn(make_database, helsinki_territory) -> str:
    """A database holding the Helsinki demo territory (seed 7). Treat it as read-only."""
    dsn = make_database()
    migrate(dsn)
    store_territory(dsn, helsinki_territory)
    return dsn


@pytest.fixture(scope="session")
def liechtenstein_pbf() -> Path:
    if not LIECHTENSTEIN_PBF.is_file():
        pytest.skip(f"needs the Liechtenstein extract at {LIECHTENSTEIN_PBF} (../shared absent)")
    return LIECHTENSTEIN_PBF


@pytest.fixture(scope="session")
def no_roads_pbf(tmp_path_factory) -> Path:
    """A valid OSM extract holding a café and a footway, and no road a car may use."""
    import osmium

    path = tmp_path_factory.mktemp("osm") / "no-roads.osm.pbf"
    common = {"version": 1, "timestamp": "2020-01-01T00:00:00Z", "changeset": 1, "uid": 1}
    writer = osmium.SimpleWriter(str(path))
    try:
        writer.add_node(
            osmium.osm.mutable.Node(
                id=1, location=(24.94, 60.17), tags={"amenity": "cafe"}, **common
            )
        )
        writer.add_node(osmium.osm.mutable.Node(id=2, location=(24.941, 60.171), **common))
        writer.add_node(osmium.osm.mutable.Node(id=3, location=(24.942, 60.171), **common))
        writer.add_way(
            osmium.osm.mutable.Way(id=10, nodes=[2, 3], tags={"highway": "footway"}, **common)
        )
    finally:
        writer.close()
    return path


@pytest.fixture(scope="session")
def demo_template(pg_server, make_database, helsinki_territory) -> str:
    """Name of a database holding the Helsinki demo and its demo users, to copy from."""
    from dispatch.cli import _ensure_demo_users

    dsn = make_database()
    migrate(dsn)
    store_territory(dsn, helsinki_territory)
    _ensure_demo_users(dsn)
    return psycopg2.extensions.parse_dsn(dsn)["dbname"]


@pytest.fixture
def fresh_demo_dsn(pg_server, demo_template, make_database) -> Iterator[str]:
    """A private copy of the demo database (territory, crews, demo users), for tests that
    change it. The crews' fixes are made recent, as if they had reported in a minute ago.
    The copy is dropped after the test: a thousand 32 MB copies kept to the session's end
    would fill 35 GB."""
    dsn = make_database(template=demo_template)
    conn = connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            # A minute ago: fresh (stale only after 5 min), and older than any fix a test sends.
            cur.execute("UPDATE crew_positions SET recorded_at = now() - interval '1 minute'")
            cur.execute(
                "UPDATE crew_latest_positions SET recorded_at = now() - interval '1 minute'"
            )
    finally:
        conn.close()
    yield dsn
    make_database.drop(dsn)


@pytest.fixture
def broker(tmp_path) -> Iterator[PrivateBroker]:
    """A Mosquitto of this test's own (anonymous clients allowed, no persistence)."""
    if MOSQUITTO is None:
        pytest.skip("needs the mosquitto binary (apt-get install mosquitto)")
    b = PrivateBroker(tmp_path)
    b.start()
    yield b
    b.stop()
