"""The schema keeps bad data out: geometry, enums, keys, and the append-only event log."""

import psycopg2
import pytest

from tests.dbutil import execute, fetch_all, fetch_value

NODE = (
    "INSERT INTO pipe_nodes (id, kind, geom)"
    " VALUES (%s, 'junction', ST_SetSRID(ST_MakePoint(%s, %s), 4326))"
)
DEPOT = (
    "INSERT INTO depots (id, name, geom)"
    " VALUES (1, 'D', ST_SetSRID(ST_MakePoint(24.9, 60.1), 4326))"
)
MAIN = (
    "INSERT INTO gas_mains (id, from_node, to_node, material, diameter_mm, pressure_class,"
    " geom) VALUES (%s, %s, %s, %s, %s, %s, ST_GeomFromText(%s, 4326))"
)
LINE = "LINESTRING(24.94 60.17, 24.95 60.17)"


@pytest.fixture
def two_nodes(migrated_dsn):
    execute(migrated_dsn, NODE, (1, 24.94, 60.17))
    execute(migrated_dsn, NODE, (2, 24.95, 60.17))
    return migrated_dsn


def test_main_length_is_metres_on_the_spheroid(two_nodes):
    execute(two_nodes, MAIN, (1, 1, 2, "pe", 110, "low", LINE))

    length = fetch_value(two_nodes, "SELECT length_m FROM gas_mains WHERE id = 1")
    # 0.01° of longitude at 60.17°N is about 555 m.
    assert length == pytest.approx(555.4, abs=1.0)


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ((1, 1, 2, "pe", 110, "ultra_high", LINE), "pressure_class"),
        ((1, 1, 2, "cardboard", 110, "low", LINE), "material"),
        ((1, 1, 2, "pe", 5, "low", LINE), "diameter_mm"),
        ((1, 1, 99, "pe", 110, "low", LINE), "to_node"),
    ],
)
def test_a_main_with_bad_attributes_is_refused(two_nodes, values, problem):
    with pytest.raises(psycopg2.IntegrityError, match=problem):
        execute(two_nodes, MAIN, values)
    assert fetch_value(two_nodes, "SELECT count(*) FROM gas_mains") == 0


def test_geometry_in_another_srid_is_refused(two_nodes):
    with pytest.raises(psycopg2.DataError, match="SRID"):
        execute(two_nodes, MAIN.replace("4326))", "3857))"), (1, 1, 2, "pe", 110, "low", LINE))


def test_an_invalid_polygon_is_refused(migrated_dsn):
    bowtie = "MULTIPOLYGON(((0 0, 1 1, 1 0, 0 1, 0 0)))"
    with pytest.raises(psycopg2.IntegrityError, match="districts_geom_check"):
        execute(
            migrated_dsn,
            "INSERT INTO districts (id, name, geom) VALUES (1, 'x', ST_GeomFromText(%s, 4326))",
            (bowtie,),
        )


def _crew(dsn):
    execute(dsn, DEPOT)
    execute(
        dsn,
        "INSERT INTO crews (id, code, name, depot_id, skills, shift)"
        " VALUES (1, 'E-01', 'Emergency 1', 1, ARRAY['emergency'], 'day')",
    )


def test_a_crew_with_an_unknown_skill_is_refused(migrated_dsn):
    execute(migrated_dsn, DEPOT)
    with pytest.raises(psycopg2.IntegrityError, match="crews_skills_check"):
        execute(
            migrated_dsn,
            "INSERT INTO crews (id, code, name, depot_id, skills, shift)"
            " VALUES (1, 'X', 'X', 1, ARRAY['juggling'], 'day')",
        )


def test_latest_position_follows_the_newest_fix_not_the_last_received(migrated_dsn):
    _crew(migrated_dsn)
    fix = (
        "INSERT INTO crew_positions (crew_id, recorded_at, geom)"
        " VALUES (1, %s, ST_SetSRID(ST_MakePoint(%s, 60.1), 4326))"
    )
    execute(migrated_dsn, fix, ("2026-01-01T10:00:00Z", 24.90))
    execute(migrated_dsn, fix, ("2026-01-01T10:05:00Z", 24.95))
    execute(migrated_dsn, fix, ("2026-01-01T10:01:00Z", 24.91))  # late delivery of an old fix

    rows = fetch_all(migrated_dsn, "SELECT ST_X(geom) FROM crew_latest_positions WHERE crew_id = 1")
    assert rows == [(pytest.approx(24.95),)]
    assert fetch_value(migrated_dsn, "SELECT count(*) FROM crew_positions") == 3


def test_the_ticket_event_log_refuses_updates_and_deletes(migrated_dsn):
    execute(
        migrated_dsn,
        "INSERT INTO tickets (id, number, ticket_type, priority, taken_by, received_at)"
        " VALUES (1, 'T-1', 'gas_leak', 1, 'agent', now())",
    )
    execute(
        migrated_dsn,
        "INSERT INTO ticket_events (ticket_id, actor, event_type) VALUES (1, 'agent', 'created')",
    )

    with pytest.raises(psycopg2.Error, match="append-only"):
        execute(migrated_dsn, "UPDATE ticket_events SET actor = 'someone else'")
    with pytest.raises(psycopg2.Error, match="append-only"):
        execute(migrated_dsn, "DELETE FROM ticket_events")
    assert fetch_all(migrated_dsn, "SELECT actor FROM ticket_events") == [("agent",)]


def test_ticket_category_is_derived_from_its_type(migrated_dsn):
    execute(
        migrated_dsn,
        "INSERT INTO tickets (number, ticket_type, priority, taken_by, received_at) VALUES"
        " ('T-1', 'gas_leak', 1, 'a', now()), ('T-2', 'meter_fault', 3, 'a', now()),"
        " ('T-3', 'complaint', 4, 'a', now()), ('T-4', 'safety_inspection', 4, 'a', now())",
    )
    rows = fetch_all(migrated_dsn, "SELECT number, category FROM tickets ORDER BY number")
    assert rows == [
        ("T-1", "emergency"),
        ("T-2", "repair"),
        ("T-3", "non_field"),
        ("T-4", "scheduled"),
    ]
