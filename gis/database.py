"""Finding, starting and connecting to the PostgreSQL + PostGIS database.

Resolution order (the first that works wins, and :attr:`Database.description` says which):

1. ``DATABASE_URL`` when set;
2. a server answering on ``127.0.0.1:5432`` (the project's database and ``postgis`` are created);
3. a private cluster under ``var/pg`` started with the system's PostgreSQL binaries as a non-root
   user, installing ``postgresql`` and PostGIS with apt when they are missing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import psycopg2.extensions
import psycopg2.pool
from psycopg2 import sql

from gis.config import StorageSettings, load_storage_settings
from gis.errors import DatabaseBusy, DatabaseUnavailable

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5


@dataclass(frozen=True)
class Server:
    """A PostgreSQL server we may create databases on."""

    admin_dsn: str
    description: str
    local: bool


@dataclass(frozen=True)
class Database:
    """The database the product uses, with one line saying where it was found."""

    dsn: str
    description: str


def connect(dsn: str, **kwargs) -> psycopg2.extensions.connection:
    """Open a connection, turning every failure into a one-line :class:`DatabaseUnavailable`."""
    try:
        return psycopg2.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S, **kwargs)
    except psycopg2.OperationalError as exc:
        first_line = (str(exc).strip().splitlines() or ["no answer"])[0]
        msg = f"database unreachable ({_describe_dsn(dsn)}): {first_line}"
        raise DatabaseUnavailable(msg) from exc


class WaitingConnectionPool(psycopg2.pool.ThreadedConnectionPool):
    """A thread-safe pool whose ``getconn`` waits up to ``wait_s`` seconds for a connection
    when all ``maxconn`` are in use, then raises :class:`DatabaseBusy` (an answer "try again
    shortly", not a crash). Opening a connection that fails raises
    :class:`DatabaseUnavailable`."""

    def __init__(self, minconn: int, maxconn: int, dsn: str, *, wait_s: float = 5.0) -> None:
        self._slots = threading.BoundedSemaphore(maxconn)
        self.wait_s = wait_s
        try:
            super().__init__(minconn, maxconn, dsn, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg2.OperationalError as exc:
            first_line = (str(exc).strip().splitlines() or ["no answer"])[0]
            msg = f"database unreachable ({_describe_dsn(dsn)}): {first_line}"
            raise DatabaseUnavailable(msg) from exc

    def getconn(self, key=None):
        if not self._slots.acquire(timeout=self.wait_s):
            msg = f"all {self.maxconn} database connections stayed busy for {self.wait_s:g} s"
            raise DatabaseBusy(msg)
        try:
            conn = super().getconn(key)
            for _ in range(self.maxconn):
                if not _ended_by_server(conn):
                    break
                # Ended while idle (pg_terminate_backend, a server restart): drop it and
                # take another, so the request does not fail on a connection known dead.
                super().putconn(conn, key, close=True)
                conn = super().getconn(key)
            return conn
        except psycopg2.OperationalError as exc:
            self._slots.release()
            first_line = (str(exc).strip().splitlines() or ["no answer"])[0]
            raise DatabaseUnavailable(f"database unreachable: {first_line}") from exc
        except BaseException:
            self._slots.release()
            raise

    def putconn(self, conn=None, key=None, close=False):
        try:
            # A connection the server dropped is closed, not handed out again.
            super().putconn(conn, key, close=close or bool(conn is not None and conn.closed))
        finally:
            self._slots.release()


def _ended_by_server(conn) -> bool:
    """An idle connection whose socket has something to read (the server's farewell or EOF)
    or that is closed: the server ended it. Looks at the socket only, no round trip."""
    if conn.closed:
        return True
    try:
        return bool(select.select([conn], [], [], 0)[0])
    except (OSError, ValueError):
        return True


@contextlib.contextmanager
def transaction(dsn: str) -> Iterator[psycopg2.extensions.connection]:
    """A connection whose work is committed on success and rolled back on any error."""
    conn = connect(dsn)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def resolve_database(settings: StorageSettings | None = None, *, install: bool = True) -> Database:
    """Find or start the product's database; create it and the ``postgis`` extension if needed."""
    settings = settings or load_storage_settings()
    if settings.database_url:
        _ensure_postgis(settings.database_url, local=False, install=False)
        return Database(
            settings.database_url, f"DATABASE_URL ({_describe_dsn(settings.database_url)})"
        )
    server = resolve_server(settings, install=install)
    dsn = ensure_database(server, settings.database_name, install=install)
    return Database(dsn, f"{server.description}, database {settings.database_name}")


def resolve_server(settings: StorageSettings | None = None, *, install: bool = True) -> Server:
    """The server to create databases on: ``DATABASE_URL``'s, a local one, or a private cluster."""
    settings = settings or load_storage_settings()
    if settings.database_url:
        return Server(settings.database_url, "DATABASE_URL", local=False)
    if settings.local_server is not None:
        host, port = settings.local_server
        dsn = psycopg2.extensions.make_dsn(
            host=host, port=port, dbname="postgres", user=os.environ.get("PGUSER", "postgres")
        )
        if _answers(dsn):
            return Server(dsn, f"local server at {host}:{port}", local=True)
    return start_private_cluster(settings.var_dir / "pg", settings.private_port, install=install)


def ensure_database(server: Server, name: str, *, install: bool = True) -> str:
    """Create database ``name`` on ``server`` unless it exists, with PostGIS; return its DSN."""
    conn = connect(server.admin_dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    dsn = psycopg2.extensions.make_dsn(server.admin_dsn, dbname=name)
    _ensure_postgis(dsn, local=server.local, install=install)
    return dsn


def drop_database(server: Server, name: str) -> None:
    """Drop database ``name`` (closing its other sessions first)."""
    conn = connect(server.admin_dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def _ensure_postgis(dsn: str, *, local: bool, install: bool) -> None:
    conn = connect(dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            if cur.fetchone() is not None:
                return
            cur.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
            if cur.fetchone() is None:
                cur.execute("SHOW server_version_num")
                major = int(cur.fetchone()[0]) // 10000
                if not (local and install):
                    msg = (
                        f"PostGIS is not installed on the server ({_describe_dsn(dsn)}); "
                        f"install postgresql-{major}-postgis-3"
                    )
                    raise DatabaseUnavailable(msg)
                _apt_install([f"postgresql-{major}-postgis-3"])
            cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    finally:
        conn.close()


def _answers(dsn: str) -> bool:
    try:
        psycopg2.connect(dsn, connect_timeout=2).close()
    except psycopg2.OperationalError:
        return False
    return True


def _describe_dsn(dsn: str) -> str:
    """Where a DSN points, without its password."""
    try:
        params = psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        return "unparsable DSN"
    host = params.get("host", "local socket")
    port = params.get("port", "5432")
    return f"{host}:{port}/{params.get('dbname', '')}"


# --- private cluster -----------------------------------------------------------------------------


def start_private_cluster(root: Path, port: int, *, install: bool = True) -> Server:
    """Start (initialising once) a cluster under ``root`` listening only on a socket there."""
    bindir = _postgres_bindir()
    if bindir is None:
        if not install:
            msg = "no PostgreSQL server answers and PostgreSQL is not installed"
            raise DatabaseUnavailable(msg)
        _apt_install(["postgresql"])
        bindir = _postgres_bindir()
        if bindir is None:
            raise DatabaseUnavailable("apt installed postgresql but no server binaries were found")
    major = bindir.parent.name
    if install and not Path(f"/usr/share/postgresql/{major}/extension/postgis.control").exists():
        _apt_install([f"postgresql-{major}-postgis-3"])

    data, sockets = root / "data", root / "run"
    runner = _non_root_prefix()
    root.mkdir(parents=True, exist_ok=True)
    sockets.mkdir(exist_ok=True)
    if runner:
        subprocess.run(["chown", "-R", "postgres:postgres", str(root)], check=True)
    dsn = psycopg2.extensions.make_dsn(
        host=str(sockets), port=port, dbname="postgres", user="postgres"
    )
    if not (data / "PG_VERSION").exists():
        log.info("initialising a private PostgreSQL cluster in %s", data)
        _run(
            "initdb",
            [
                *runner,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )
    if not _answers(dsn):
        options = f"-k {sockets} -p {port} -c listen_addresses='' -c fsync=off"
        _run(
            "pg_ctl start",
            [
                *runner,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(root / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
        for _ in range(50):
            if _answers(dsn):
                break
            time.sleep(0.2)
        else:
            raise DatabaseUnavailable(
                f"private cluster in {data} did not start; see {root}/server.log"
            )
    return Server(dsn, f"private cluster in {root} (port {port})", local=True)


def _postgres_bindir() -> Path | None:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    return candidates[-1].parent if candidates else None


def _non_root_prefix() -> list[str]:
    """PostgreSQL refuses to run as root; as root we run its binaries as the `postgres` user."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def _run(what: str, command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise DatabaseUnavailable(f"{what} failed: {detail[-1] if detail else result.returncode}")


def _apt_install(packages: list[str]) -> None:
    """Install Debian packages (as root, or through password-less sudo)."""
    if shutil.which("apt-get") is None:
        msg = f"cannot install {' '.join(packages)}: apt-get not found; install them yourself"
        raise DatabaseUnavailable(msg)
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    log.warning("installing %s with apt", " ".join(packages))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "-q", *packages]
    if subprocess.run(install, env=env, capture_output=True).returncode == 0:
        return
    subprocess.run([*sudo, "apt-get", "update", "-q"], env=env, capture_output=True)
    result = subprocess.run(install, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise DatabaseUnavailable(f"apt-get install {' '.join(packages)} failed: {tail}")
