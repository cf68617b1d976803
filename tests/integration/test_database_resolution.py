"""How the product finds its database: DATABASE_URL, a local server, or a private cluster."""

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from gis.config import PROJECT_DIR, load_storage_settings
from gis.database import resolve_database, resolve_server
from gis.errors import DatabaseUnavailable
from tests.dbutil import fetch_value


def test_database_url_wins_over_everything(migrated_dsn):
    settings = load_storage_settings({"DATABASE_URL": migrated_dsn})

    database = resolve_database(settings)

    assert database.dsn == migrated_dsn
    assert database.description.startswith("DATABASE_URL")


def test_an_unreachable_database_url_is_a_clear_error():
    settings = load_storage_settings({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/x"})

    with pytest.raises(DatabaseUnavailable, match=r"database unreachable \(127.0.0.1:1/x\)"):
        resolve_database(settings)


def test_a_local_server_gets_the_project_database_with_postgis(product_server):
    if not product_server.description.startswith("local server"):
        pytest.skip("no local server on 127.0.0.1:5432 here")
    name = f"gd_test_resolve_{uuid.uuid4().hex[:8]}"
    settings = load_storage_settings({"DISPATCH_DB_NAME": name})
    try:
        database = resolve_database(settings)
        assert database.description == f"local server at 127.0.0.1:5432, database {name}"
        assert fetch_value(database.dsn, "SELECT PostGIS_Lib_Version()") is not None
    finally:
        from gis.database import drop_database

        drop_database(product_server, name)


def test_with_no_server_answering_a_private_cluster_is_started_under_the_project():
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("PostgreSQL server binaries are not installed")
    root = PROJECT_DIR / "var" / f"test-pg-{uuid.uuid4().hex[:8]}"
    settings = load_storage_settings(
        {
            "DISPATCH_LOCAL_PG": "off",
            "DISPATCH_VAR_DIR": str(root),
            "DISPATCH_PRIVATE_PG_PORT": "5499",
        }
    )
    try:
        server = resolve_server(settings, install=False)
        database = resolve_database(settings, install=False)
        assert server.description.startswith(f"private cluster in {root / 'pg'}")
        assert fetch_value(database.dsn, "SELECT PostGIS_Lib_Version()") is not None
        # Asking again reuses the running cluster.
        assert resolve_server(settings, install=False) == server
    finally:
        bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        runner = ["runuser", "-u", "postgres", "--"] if _is_root() else []
        subprocess.run(
            [
                *runner,
                str(bindir / "pg_ctl"),
                "-D",
                str(root / "pg" / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def test_a_malformed_local_server_setting_names_the_variable():
    with pytest.raises(ValueError, match="`DISPATCH_LOCAL_PG` must look like host:port"):
        load_storage_settings({"DISPATCH_LOCAL_PG": "localhost"})


def _is_root() -> bool:
    import os

    return os.geteuid() == 0
