"""The map's read models on real PostGIS: the Helsinki demo territory, and hand-made rows."""

from __future__ import annotations

import pytest

from gis import map_layers
from gis.database import connect
from gis.errors import DatabaseUnavailable

DEAD_DSN = "postgresql://postgres@127.0.0.1:1/x"

GEOMETRY_TYPES = {
    "streets": {"LineString"},
    "buildings": {"MultiPolygon"},
    "districts": {"MultiPolygon"},
    "mains": {"LineString"},
    "valves": {"Point"},
    "regulator_stations": {"Point"},
    "meters": {"Point"},
    "depots": {"Point"},
    "crews": {"Point"},
    "cameras": {"Point"},
}
PERSONAL = {"customer_name", "phone", "address", "account_no", "meter_no"}


def positions(coordinates) -> list[list[float]]:
    """Every [lon, lat] pair in a GeoJSON geometry's (nested) coordinates."""
    if not isinstance(coordinates[0], list):
        return [coordinates]
    return [pair for part in coordinates for pair in positions(part)]


@pytest.fixture(scope="module")
def demo_layers(demo_dsn) -> dict[str, dict]:
    return {name: map_layers.read_layer(demo_dsn, name) for name in map_layers.LAYER_NAMES}


@pytest.mark.parametrize("name", map_layers.LAYER_NAMES)
def test_every_demo_layer_is_a_feature_collection_of_its_geometry_type(demo_layers, name):
    collection = demo_layers[name]
    assert collection["type"] == "FeatureCollection"
    assert collection["features"], f"demo layer {name} is empty"
    assert {f["geometry"]["type"] for f in collection["features"]} == GEOMETRY_TYPES[name]
    assert all(
        f["type"] == "Feature" and f["id"] == f["properties"]["id"] for f in collection["features"]
    )


def test_demo_features_are_in_wgs84_inside_the_territory_bounds(demo_dsn, demo_layers):
    (south, west), (north, east) = map_layers.territory_bounds(demo_dsn)
    assert 60.0 < south < north < 60.4 and 24.7 < west < east < 25.3  # central Helsinki
    slack = 0.01  # degrees: streets and buildings may poke out of the territory outline
    for name in ("mains", "valves", "meters", "crews"):
        for feature in demo_layers[name]["features"]:
            for lon, lat in positions(feature["geometry"]["coordinates"]):
                assert west - slack <= lon <= east + slack, (name, feature["id"])
                assert south - slack <= lat <= north + slack, (name, feature["id"])


def test_meters_expose_their_category_and_never_the_customer(demo_layers):
    for feature in demo_layers["meters"]["features"]:
        assert set(feature["properties"]) == {"id", "category"}
    text = repr(demo_layers["meters"])
    assert not any(key in text for key in PERSONAL)


def test_mains_carry_pressure_class_diameter_material_and_status(demo_layers):
    features = demo_layers["mains"]["features"]
    assert set(features[0]["properties"]) == {
        "id",
        "pressure_class",
        "diameter_mm",
        "material",
        "status",
    }
    ranks = [map_layers.PRESSURE_CLASSES.index(f["properties"]["pressure_class"]) for f in features]
    assert ranks == sorted(ranks), "higher pressure classes are listed (drawn) last"
    assert len({f["properties"]["pressure_class"] for f in features}) >= 2


def test_crews_carry_status_skills_and_their_latest_fix(demo_layers):
    for feature in demo_layers["crews"]["features"]:
        props = feature["properties"]
        assert set(props) == {
            "id",
            "code",
            "name",
            "status",
            "skills",
            "recorded_at",
            "heading_deg",
        }
        assert isinstance(props["skills"], list) and props["skills"]
        assert props["recorded_at"][:2] == "20"


def test_cameras_do_not_expose_their_stream_url(demo_layers):
    for feature in demo_layers["cameras"]["features"]:
        assert set(feature["properties"]) == {"id", "name", "bearing_deg"}


def test_a_layer_reads_the_same_through_a_dsn_or_an_open_connection(demo_dsn, demo_layers):
    conn = connect(demo_dsn)
    try:
        assert map_layers.read_districts(conn) == demo_layers["districts"]
    finally:
        conn.close()


def test_an_unknown_layer_name_is_refused_naming_the_argument(demo_dsn):
    with pytest.raises(ValueError, match="`name` must be one of"):
        map_layers.read_layer(demo_dsn, "pipes; DROP TABLE gas_mains")


def test_an_empty_database_gives_empty_collections_and_no_bounds(migrated_dsn):
    for name in map_layers.LAYER_NAMES:
        assert map_layers.read_layer(migrated_dsn, name) == {
            "type": "FeatureCollection",
            "features": [],
        }
    assert map_layers.territory_bounds(migrated_dsn) is None


def _insert_two_mains(cur) -> None:
    cur.execute(
        "INSERT INTO pipe_nodes (id, kind, geom) VALUES"
        " (1, 'end', ST_SetSRID(ST_MakePoint(24.90, 60.10), 4326)),"
        " (2, 'end', ST_SetSRID(ST_MakePoint(24.95, 60.20), 4326)),"
        " (3, 'end', ST_SetSRID(ST_MakePoint(25.00, 60.15), 4326))"
    )
    cur.execute(
        "INSERT INTO gas_mains"
        " (id, from_node, to_node, material, diameter_mm, pressure_class, geom)"
        " VALUES (1, 1, 2, 'steel', 315, 'medium_a',"
        "         ST_GeomFromText('LINESTRING(24.90 60.10, 24.95 60.20)', 4326)),"
        "        (2, 2, 3, 'pe', 110, 'low',"
        "         ST_GeomFromText('LINESTRING(24.95 60.20, 25.00 60.15)', 4326))"
    )


def test_without_a_territory_the_bounds_are_the_extent_of_the_mains(migrated_dsn):
    conn = connect(migrated_dsn)
    try:
        with conn.cursor() as cur:
            _insert_two_mains(cur)
        assert map_layers.territory_bounds(conn) == [[60.10, 24.90], [60.20, 25.00]]
        mains = map_layers.read_mains(conn)["features"]
        assert [f["id"] for f in mains] == [2, 1]  # low pressure first
    finally:
        conn.rollback()
        conn.close()


def test_the_territory_outline_wins_over_the_extent_of_the_mains(migrated_dsn):
    conn = connect(migrated_dsn)
    try:
        with conn.cursor() as cur:
            _insert_two_mains(cur)
            cur.execute(
                "INSERT INTO territory (name, source, seed, geom) VALUES ('T', 'test', 1,"
                " ST_Multi(ST_MakeEnvelope(24.80, 60.05, 25.10, 60.25, 4326)))"
            )
        assert map_layers.territory_bounds(conn) == [[60.05, 24.80], [60.25, 25.10]]
    finally:
        conn.rollback()
        conn.close()


def test_a_crew_appears_at_its_latest_fix_and_not_before_its_first(migrated_dsn):
    conn = connect(migrated_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO depots (id, name, geom)"
                " VALUES (1, 'D', ST_SetSRID(ST_MakePoint(24.9, 60.1), 4326))"
            )
            cur.execute(
                "INSERT INTO crews (id, code, name, depot_id, skills, shift, status) VALUES"
                " (1, 'E-01', 'One', 1, ARRAY['emergency'], 'day', 'busy'),"
                " (2, 'E-02', 'Two', 1, ARRAY['meter'], 'day', 'available')"
            )
            cur.execute(
                "INSERT INTO crew_positions (crew_id, recorded_at, heading_deg, geom) VALUES"
                " (1, '2024-05-01T10:00:00Z', 10, ST_SetSRID(ST_MakePoint(24.91, 60.11), 4326)),"
                " (1, '2024-05-01T10:05:00Z', 90, ST_SetSRID(ST_MakePoint(24.92, 60.12), 4326))"
            )
        (crew,) = map_layers.read_crews(conn)["features"]
        assert crew["id"] == 1
        assert crew["geometry"]["coordinates"] == [24.92, 60.12]
        assert crew["properties"]["status"] == "busy"
        assert crew["properties"]["heading_deg"] == 90
        assert crew["properties"]["recorded_at"].startswith("2024-05-01T10:05:00")
    finally:
        conn.rollback()
        conn.close()


def test_coordinates_are_rounded_to_about_a_tenth_of_a_metre(migrated_dsn):
    conn = connect(migrated_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO depots (id, name, geom)"
                " VALUES (1, 'D', ST_SetSRID(ST_MakePoint(24.123456789, 60.987654321), 4326))"
            )
        (depot,) = map_layers.read_depots(conn)["features"]
        assert depot["geometry"]["coordinates"] == [24.123457, 60.987654]
    finally:
        conn.rollback()
        conn.close()


def test_the_health_check_passes_on_a_live_database(migrated_dsn):
    assert map_layers.database_ok(migrated_dsn) is True


def test_the_health_check_fails_with_a_one_line_reason_on_a_dead_server():
    assert map_layers.database_ok(DEAD_DSN) is False
    with pytest.raises(DatabaseUnavailable, match=r"unreachable \(127\.0\.0\.1:1/x\)"):
        map_layers.check_database(DEAD_DSN)


def test_reading_a_layer_from_a_dead_server_says_the_database_is_unavailable():
    with pytest.raises(DatabaseUnavailable, match="unreachable"):
        map_layers.read_mains(DEAD_DSN)
