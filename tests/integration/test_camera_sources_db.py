"""Camera sources in the database: the import, the admin command, the table's own guard
against stored passwords, and a station camera's alarm on the wall (PostGIS, no video)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import geopandas as gpd
import psycopg2
import pytest
import shapely

from dispatch.camera_watch import CameraWatch
from dispatch.cli import main
from dispatch.settings import defaults
from dispatch.unit_of_work import UnitOfWork
from dispatch.wall_read_model import acknowledge, alarms, wall_snapshot
from gis.importer import import_file
from tests.dbutil import execute, fetch_all, fetch_value

PASSWORD = "hunter2-Qx9"


@pytest.fixture
def use_database(monkeypatch):
    def use(dsn: str) -> str:
        monkeypatch.setenv("DATABASE_URL", dsn)
        return dsn

    return use


def test_imported_cameras_may_name_a_source_and_never_a_password(fresh_demo_dsn, tmp_path):
    frame = gpd.GeoDataFrame(
        {
            "id": ["C-1", "C-2", "C-3", "C-4"],
            "name": ["Station 3 gate", "Junction 9", "Valve pit 4", "Old"],
            "source_url": [
                "rtsp://10.20.0.31:554/Streaming/Channels/101",
                f"rtsp://admin:{PASSWORD}@10.20.0.32/stream",
                "https://cams.example.net/pit4/index.m3u8",
                None,
            ],
            "credentials_ref": ["env:CAM_STATION_3", None, "file:pit4", None],
            "stream_url": [None, None, None, "/video/cameras/1.mjpg"],
        },
        geometry=[shapely.Point(24.94 + i / 1000, 60.17) for i in range(4)],
        crs="EPSG:4326",
    )
    path = tmp_path / "cameras.geojson"
    frame.to_file(path, driver="GeoJSON")
    before = fetch_value(fresh_demo_dsn, "SELECT max(id) FROM cameras")

    report = import_file(fresh_demo_dsn, path, "cameras")

    assert report.imported == 3
    assert [(r["id"], r["reason"][:44]) for r in report.rejected] == [
        ("C-2", "source_url/credentials_ref must not hold cre")
    ]
    assert PASSWORD not in str(report.rejected)
    rows = fetch_all(
        fresh_demo_dsn,
        "SELECT id, stream_url, source_url, source_kind, credentials_ref FROM cameras"
        " WHERE id > %s ORDER BY id",
        (before,),
    )
    first, pit, old = rows
    assert first[1:] == (
        f"/video/cameras/{first[0]}.mjpg",  # the browser opens the app's relay, not the camera
        "rtsp://10.20.0.31:554/Streaming/Channels/101",
        "rtsp",
        "env:CAM_STATION_3",
    )
    assert pit[3:] == ("hls", "file:pit4")
    assert old[1:] == ("/video/cameras/1.mjpg", None, None, None)


def test_the_table_refuses_a_source_url_holding_credentials(fresh_demo_dsn):
    with pytest.raises(psycopg2.errors.CheckViolation, match="cameras_source_without_password"):
        execute(
            fresh_demo_dsn,
            f"UPDATE cameras SET source_url = 'rtsp://u:{PASSWORD}@h/s', source_kind = 'rtsp'"
            " WHERE id = 1",
        )


def test_the_admin_command_sets_and_lists_a_source(use_database, fresh_demo_dsn, capsys):
    use_database(fresh_demo_dsn)
    url = "rtsp://10.20.0.31:554/Streaming/Channels/101"
    assert main(["cameras", "source", "2", url, "--credentials", "env:CAM_2"]) == 0
    assert f"camera 2: source {url}" in capsys.readouterr().err
    assert main(["cameras", "list"]) == 0
    listed = capsys.readouterr().out
    assert "    2 " in listed and f"rtsp {url}" in listed
    assert fetch_value(fresh_demo_dsn, "SELECT credentials_ref FROM cameras WHERE id = 2") == (
        "env:CAM_2"
    )

    assert main(["cameras", "source", "2", f"rtsp://admin:{PASSWORD}@10.20.0.31/s"]) == 2
    err = capsys.readouterr().err
    assert "`url` must not hold credentials" in err and PASSWORD not in err
    assert main(["cameras", "source", "2", url, "--credentials", "admin:pw"]) == 2
    assert "`credentials` must be env:VAR or file:name" in capsys.readouterr().err
    assert main(["cameras", "source", "999999", url]) == 2
    assert "`camera_id`: no camera 999999" in capsys.readouterr().err

    assert main(["cameras", "source", "2", "--none"]) == 0
    assert fetch_value(fresh_demo_dsn, "SELECT source_url FROM cameras WHERE id = 2") is None


def test_a_station_camera_without_signal_raises_one_alarm_on_the_wall_until_it_is_back(
    fresh_demo_dsn,
):
    execute(
        fresh_demo_dsn,
        "UPDATE cameras SET source_url = 'rtsp://127.0.0.1:9/none', source_kind = 'rtsp',"
        " regulator_station_id = (SELECT min(id) FROM regulator_stations) WHERE id = 4",
    )
    now = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    signal = {"on": False}
    settings = defaults().cameras.model_copy(
        update={"station_alarm_after_s": 60.0, "probe_every_s": 30.0}
    )
    clock = {"now": now}
    watch = CameraWatch(
        fresh_demo_dsn,
        settings,
        grab=lambda source: b"\xff\xd8jpeg\xff\xd9" if signal["on"] else None,
        clock=lambda: clock["now"],
    )
    assert watch.check_stations() == []  # first look: no signal yet, counted from now
    clock["now"] = now + timedelta(seconds=59)
    assert watch.check_stations() == []  # within the minute
    clock["now"] = now + timedelta(seconds=61)
    assert watch.check_stations() == [{"camera_id": 4, "alarm": "raised"}]
    clock["now"] = now + timedelta(seconds=95)
    assert watch.check_stations() == []  # one alarm, not one per look

    name = fetch_value(fresh_demo_dsn, "SELECT name FROM cameras WHERE id = 4")
    with UnitOfWork(fresh_demo_dsn) as uow:
        snapshot = wall_snapshot(uow.cur, clock["now"])
        raised = [a for a in alarms(snapshot, set()) if a["kind"] == "camera_no_signal"]
        assert raised == [
            {
                "key": f"camera_no_signal:4:{snapshot['camera_alarms'][0]['id']}",
                "kind": "camera_no_signal",
                "ticket_id": None,
                "text": name,
            }
        ]
        acknowledge(uow.cur, raised, "dispatcher", clock["now"])  # no ticket: nothing written
    assert (
        fetch_value(fresh_demo_dsn, "SELECT count(*) FROM outbox WHERE kind = 'camera_no_signal'")
        == 1
    )

    signal["on"] = True
    clock["now"] = now + timedelta(seconds=130)
    assert watch.check_stations() == [{"camera_id": 4, "alarm": "cleared"}]
    with UnitOfWork(fresh_demo_dsn) as uow:
        assert wall_snapshot(uow.cur, clock["now"])["camera_alarms"] == []
