"""`dispatch db migrate` and `dispatch demo load` through the command line, good and bad input."""

import shutil
import subprocess
import sys

import pytest

from dispatch.cli import main
from gis.demo.store import COLUMNS
from tests.dbutil import fetch_value, table_counts


@pytest.fixture
def use_database(monkeypatch):
    def use(dsn: str) -> str:
        monkeypatch.setenv("DATABASE_URL", dsn)
        return dsn

    return use


def _snapshot(dsn):
    return table_counts(dsn, list(COLUMNS)), fetch_value(dsn, "SELECT loaded_at FROM territory")


def test_migrate_twice_reports_a_no_op_the_second_time(use_database, empty_dsn, capsys):
    use_database(empty_dsn)

    assert main(["db", "migrate"]) == 0
    assert "applied 0001_network, 0002_operations" in capsys.readouterr().err
    assert main(["db", "migrate"]) == 0
    assert "nothing to apply" in capsys.readouterr().err


def test_every_command_says_which_database_it_used(use_database, migrated_dsn, capsys):
    use_database(migrated_dsn)

    main(["db", "migrate"])
    assert capsys.readouterr().err.splitlines()[0].startswith("database: DATABASE_URL (")


def test_demo_load_fills_an_empty_database_and_a_second_load_is_a_no_op(
    use_database, empty_dsn, capsys
):
    use_database(empty_dsn)

    assert main(["demo", "load", "--seed", "3"]) == 0
    out = capsys.readouterr().err
    assert "[6/6]" in out and "loaded 'Monaco'" in out
    before = _snapshot(empty_dsn)

    assert main(["demo", "load", "--seed", "4"]) == 0
    assert "already loaded; nothing done" in capsys.readouterr().err
    assert _snapshot(empty_dsn) == before


def test_replace_rebuilds_with_the_new_seed(use_database, empty_dsn):
    use_database(empty_dsn)
    main(["demo", "load", "--seed", "3"])

    assert main(["demo", "load", "--seed", "4", "--replace"]) == 0
    assert fetch_value(empty_dsn, "SELECT seed FROM territory") == 4
    assert fetch_value(empty_dsn, "SELECT count(*) FROM territory") == 1


@pytest.mark.parametrize(
    ("make_file", "message"),
    [
        (lambda tmp, _: tmp / "missing.osm.pbf", "file not found"),
        (
            lambda tmp, _: _write(tmp / "corrupt.osm.pbf", b"\x00\x00\x00\x10junk" * 50),
            "not a readable OSM PBF extract",
        ),
        (lambda _, no_roads: no_roads, "has no drivable roads"),
    ],
    ids=["missing", "corrupt", "no-roads"],
)
def test_a_bad_extract_fails_in_one_line_and_leaves_the_loaded_territory_alone(
    use_database, empty_dsn, tmp_path, no_roads_pbf, capsys, make_file, message
):
    use_database(empty_dsn)
    main(["demo", "load"])
    before = _snapshot(empty_dsn)
    capsys.readouterr()

    code = main(["demo", "load", "--replace", "--osm", str(make_file(tmp_path, no_roads_pbf))])

    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert code == 2
    assert len(errors) == 1 and message in errors[0] and "`--osm`" in errors[0]
    assert _snapshot(empty_dsn) == before


def test_a_failure_while_writing_rolls_the_whole_load_back(use_database, empty_dsn, monkeypatch):
    use_database(empty_dsn)
    main(["demo", "load"])
    before = _snapshot(empty_dsn)
    import gis.demo.store as store

    def explode(cur, table, frame, columns):
        if table == "cameras":
            raise RuntimeError("disk full")
        original(cur, table, frame, columns)

    original = store._copy
    monkeypatch.setattr(store, "_copy", explode)

    with pytest.raises(RuntimeError, match="disk full"):
        main(["demo", "load", "--replace", "--seed", "9"])
    assert _snapshot(empty_dsn) == before


def test_an_unreachable_database_is_one_line_and_exit_1(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")

    assert main(["db", "migrate"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: database unreachable (127.0.0.1:1/nowhere)")


def test_the_console_script_is_installed_and_reports_usage_errors():
    exe = shutil.which("dispatch") or str(
        __import__("pathlib").Path(sys.executable).with_name("dispatch")
    )
    result = subprocess.run([exe, "demo", "load", "--seed", "many"], capture_output=True, text=True)

    assert result.returncode == 2
    assert "--seed: invalid int value: 'many'" in result.stderr


def _write(path, data):
    path.write_bytes(data)
    return path
