"""The topology report on the demo network and on a network with planted faults."""

from gis.database import connect
from gis.topology import validation_report
from tests.dbutil import execute


def _report(dsn):
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            return validation_report(cur)
    finally:
        conn.close()


def test_the_demo_network_is_fed_everywhere_with_no_duplicates(demo_dsn):
    report = _report(demo_dsn)

    assert report["mains"] > 100
    assert report["unfed_mains"] == [] and report["duplicate_mains"] == []
    assert report["ends_off_their_nodes"] == [] and report["clean"] is True
    # Dead-end streets give dangling ends: real networks have them too, so they are listed.
    assert all(isinstance(n, int) for n in report["dangling_nodes"])


def test_planted_faults_are_each_reported(fresh_demo_dsn):
    execute(
        fresh_demo_dsn,
        "INSERT INTO pipe_nodes (id, kind, geom) VALUES"
        " (900001, 'end', ST_SetSRID(ST_MakePoint(24.90, 60.15), 4326)),"
        " (900002, 'end', ST_SetSRID(ST_MakePoint(24.901, 60.15), 4326))",
    )
    line = "ST_GeomFromText('LINESTRING(24.90 60.15, 24.901 60.15)', 4326)"
    execute(
        fresh_demo_dsn,
        "INSERT INTO gas_mains (id, from_node, to_node, material, diameter_mm,"
        f" pressure_class, geom) VALUES (900001, 900001, 900002, 'pe', 110, 'low', {line}),"
        f" (900002, 900001, 900002, 'pe', 110, 'low', {line})",
    )

    report = _report(fresh_demo_dsn)

    assert {900001, 900002} <= set(report["unfed_mains"])
    assert [900001, 900002] in report["duplicate_mains"]
    assert report["clean"] is False
