"""The Helsinki demo territory as stored in PostGIS."""

import networkx as nx
import pyproj
import pytest
import shapely

from gis.demo.store import COLUMNS
from tests.dbutil import fetch_all, fetch_value, table_counts

GEOMETRY_TABLES = [t for t in COLUMNS if t not in ("crews",)] + [
    "crew_latest_positions",
    "territory",
]


def test_counts_match_what_was_built_and_meet_the_minimums(demo_dsn, helsinki_territory):
    counts = table_counts(demo_dsn, list(COLUMNS))

    assert counts == helsinki_territory.counts()
    assert counts["crews"] >= 10
    assert counts["depots"] >= 2
    assert counts["regulator_stations"] >= 2
    assert counts["gas_mains"] > 150
    assert counts["valves"] > counts["gas_mains"] / 2
    assert counts["customer_meters"] > 1000
    assert counts["cameras"] > counts["regulator_stations"]
    assert fetch_value(demo_dsn, "SELECT counts->>'gas_mains' FROM territory") == str(
        counts["gas_mains"]
    )


def test_every_geometry_is_valid_and_stored_in_epsg_4326(demo_dsn):
    for table in GEOMETRY_TABLES:
        bad = fetch_value(
            demo_dsn,
            f"SELECT count(*) FROM {table} WHERE NOT ST_IsValid(geom) OR ST_SRID(geom) <> 4326"
            " OR ST_IsEmpty(geom)",
        )
        assert bad == 0, table


def test_every_main_is_fed_from_a_regulator_station_through_the_pipe_topology(demo_dsn):
    graph = nx.Graph()
    graph.add_edges_from(fetch_all(demo_dsn, "SELECT from_node, to_node FROM gas_mains"))
    sources = [row[0] for row in fetch_all(demo_dsn, "SELECT node_id FROM regulator_stations")]

    fed = set().union(*(nx.node_connected_component(graph, s) for s in sources))
    assert set(graph.nodes) == fed


def test_mains_start_and_end_on_their_nodes(demo_dsn):
    far = fetch_value(
        demo_dsn,
        """SELECT count(*) FROM gas_mains m
           JOIN pipe_nodes a ON a.id = m.from_node JOIN pipe_nodes b ON b.id = m.to_node
           WHERE ST_Distance(ST_StartPoint(m.geom)::geography, a.geom::geography) > 0.01
              OR ST_Distance(ST_EndPoint(m.geom)::geography, b.geom::geography) > 0.01""",
    )
    assert far == 0


def test_no_main_runs_longer_than_the_valve_spacing(demo_dsn):
    assert fetch_value(demo_dsn, "SELECT max(length_m) FROM gas_mains") <= 251


def test_stored_lengths_are_metres_as_a_local_metric_crs_measures_them(demo_dsn):
    rows = fetch_all(
        demo_dsn, "SELECT ST_AsText(geom), length_m FROM gas_mains ORDER BY id LIMIT 50"
    )
    to_utm = pyproj.Transformer.from_crs(4326, 32635, always_xy=True)  # UTM 35N: Helsinki

    for wkt, length_m in rows:
        utm_length = shapely.transform(
            shapely.from_wkt(wkt), to_utm.transform, interleaved=False
        ).length
        assert length_m == pytest.approx(utm_length, rel=0.01)


def test_valves_sit_on_the_main_they_close(demo_dsn):
    off = fetch_value(
        demo_dsn,
        "SELECT count(*) FROM valves v JOIN gas_mains m ON m.id = v.main_id"
        " WHERE ST_Distance(v.geom::geography, m.geom::geography) > 0.5",
    )
    assert off == 0


def test_service_pipes_join_their_main_and_reach_their_meters(demo_dsn):
    detached = fetch_value(
        demo_dsn,
        "SELECT count(*) FROM service_pipes s JOIN gas_mains m ON m.id = s.main_id"
        " WHERE ST_Distance(ST_StartPoint(s.geom)::geography, m.geom::geography) > 0.5",
    )
    far_meters = fetch_value(
        demo_dsn,
        "SELECT count(*) FROM customer_meters c JOIN service_pipes s ON s.id = c.service_pipe_id"
        " WHERE ST_Distance(ST_EndPoint(s.geom)::geography, c.geom::geography) > 5",
    )
    assert (detached, far_meters) == (0, 0)


def test_customers_have_names_phones_and_addresses(demo_dsn):
    rows = fetch_all(
        demo_dsn, "SELECT customer_name, phone, address FROM customer_meters LIMIT 200"
    )
    assert all(name and len(phone) == 11 and phone.isdigit() and addr for name, phone, addr in rows)
    assert (
        fetch_value(demo_dsn, "SELECT count(*) FROM customer_meters WHERE address LIKE 'nan%%'")
        == 0
    )


def test_crews_cover_every_skill_and_stand_on_roads(demo_dsn):
    skills = {row[0] for row in fetch_all(demo_dsn, "SELECT unnest(skills) FROM crews")}
    off_road = fetch_value(
        demo_dsn,
        "SELECT count(*) FROM crew_latest_positions p WHERE NOT EXISTS (SELECT 1 FROM streets s"
        " WHERE ST_DWithin(s.geom::geography, p.geom::geography, 5))",
    )
    assert skills == {"emergency", "indoor_repair", "meter", "installation"}
    assert fetch_value(demo_dsn, "SELECT count(*) FROM crew_latest_positions") == fetch_value(
        demo_dsn, "SELECT count(*) FROM crews"
    )
    assert off_road == 0


def test_every_regulator_station_has_a_camera_looking_at_it(demo_dsn):
    rows = fetch_all(
        demo_dsn,
        """SELECT s.id, degrees(ST_Azimuth(c.geom, s.geom)), c.bearing_deg, c.fov_deg
           FROM regulator_stations s JOIN cameras c ON c.regulator_station_id = s.id""",
    )
    assert {r[0] for r in rows} == {
        r[0] for r in fetch_all(demo_dsn, "SELECT id FROM regulator_stations")
    }
    for _, azimuth, bearing, fov in rows:
        off_axis = abs((azimuth - bearing + 180) % 360 - 180)
        assert off_axis <= fov / 2


def test_districts_are_named_after_real_places_and_hold_the_mains(demo_dsn):
    names = {row[0] for row in fetch_all(demo_dsn, "SELECT name FROM districts")}
    assert "Kluuvi" in names
    assert fetch_value(demo_dsn, "SELECT count(*) FROM gas_mains WHERE district_id IS NULL") == 0
