"""Importing utility GIS files: good files land, bad rows are reported, bad files refused whole."""

import json
import warnings

import geopandas as gpd
import pytest
import shapely

from gis.importer import ImportRefused, import_file, load_mapping
from tests.dbutil import fetch_value, table_counts

TABLES = ["pipe_nodes", "gas_mains", "valves", "customer_meters", "cameras"]
# Two pipes in Helsinki in the Finnish national grid (EPSG:3067), drawn end to end.
P0, P1, P2 = (386200.0, 6672500.0), (386300.0, 6672500.0), (386300.0, 6672600.0)


def _pipes_frame(crs="EPSG:3067", **overrides):
    rows = {
        "ASSET": ["P-1", "P-2", "P-3", "P-4", "P-5"],
        "PRESS": ["MP", "LP", "ULTRA", "LP", "LP"],
        "DIAM": [200, 110, 110, 110, 110],
        "MAT": ["pe", "steel", "pe", "pe", "pe"],
    }
    geoms = [
        shapely.LineString([P0, P1]),
        shapely.LineString([P1, P2]),
        shapely.LineString([P2, (386400.0, 6672600.0)]),
        shapely.LineString(),
        shapely.LineString([P0, P0]),
    ]
    rows.update(overrides)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)


MAPPING = {
    "fields": {"id": "ASSET", "pressure_class": "PRESS", "diameter_mm": "DIAM", "material": "MAT"},
    "values": {"pressure_class": {"MP": "medium_b", "LP": "low"}},
}


def test_pipes_are_reprojected_joined_into_the_network_and_bad_rows_reported(
    fresh_demo_dsn, tmp_path
):
    path = tmp_path / "pipes.gpkg"
    _pipes_frame().to_file(path, driver="GPKG")
    before = table_counts(fresh_demo_dsn, TABLES)

    report = import_file(fresh_demo_dsn, path, "pipes", mapping=MAPPING)

    assert (report.read, report.imported) == (5, 2)
    reasons = {r["id"]: r["reason"] for r in report.rejected}
    assert reasons["P-3"] == "unknown `pressure_class` 'ULTRA'"
    assert reasons["P-4"] == "empty geometry"
    assert reasons["P-5"].startswith("invalid geometry")
    after = table_counts(fresh_demo_dsn, TABLES)
    assert after["gas_mains"] == before["gas_mains"] + 2
    assert after["pipe_nodes"] == before["pipe_nodes"] + 3  # the two pipes share their middle end
    lon = fetch_value(
        fresh_demo_dsn,
        "SELECT ST_X(ST_StartPoint(geom)) FROM gas_mains"
        " WHERE pressure_class = 'medium_b' ORDER BY id DESC LIMIT 1",
    )
    assert 24.9 < lon < 25.0  # Helsinki in degrees, not metres
    report.write_rejects(tmp_path / "rejects.csv")
    assert "ULTRA" in (tmp_path / "rejects.csv").read_text()


def test_a_file_without_a_crs_is_refused_whole(fresh_demo_dsn, tmp_path):
    path = tmp_path / "pipes.geojson"
    frame = _pipes_frame()
    frame.to_file(path, driver="GeoJSON")
    # GeoJSON is WGS84 by definition: strip the CRS the way a bad export does, via a shapefile.
    shp = tmp_path / "pipes.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the writer warns about the missing CRS: our point
        frame.set_crs(None, allow_override=True).to_file(shp)
    before = table_counts(fresh_demo_dsn, TABLES)

    with pytest.raises(ImportRefused, match="has no coordinate reference system"):
        import_file(fresh_demo_dsn, shp, "pipes", mapping=MAPPING)
    assert table_counts(fresh_demo_dsn, TABLES) == before


def test_a_missing_mapped_field_refuses_the_file_and_stores_nothing(fresh_demo_dsn, tmp_path):
    path = tmp_path / "pipes.gpkg"
    _pipes_frame().drop(columns="DIAM").to_file(path, driver="GPKG")
    before = table_counts(fresh_demo_dsn, TABLES)

    with pytest.raises(ImportRefused, match="has no field 'DIAM' for `diameter_mm`"):
        import_file(fresh_demo_dsn, path, "pipes", mapping=MAPPING)
    assert table_counts(fresh_demo_dsn, TABLES) == before


def test_an_unreadable_file_is_refused(fresh_demo_dsn, tmp_path):
    path = tmp_path / "pipes.gpkg"
    path.write_bytes(b"not a geopackage")

    with pytest.raises(ImportRefused, match="is not a readable GIS file"):
        import_file(fresh_demo_dsn, path, "pipes")


def test_valves_must_sit_on_a_main(fresh_demo_dsn, tmp_path):
    on_main = fetch_value(
        fresh_demo_dsn,
        "SELECT ST_AsText(ST_LineInterpolatePoint(geom, 0.5)) FROM gas_mains ORDER BY id LIMIT 1",
    )
    point = shapely.from_wkt(on_main)
    frame = gpd.GeoDataFrame(
        {"id": ["V-1", "V-2"], "valve_type": ["ball", "gate"]},
        geometry=[point, shapely.Point(point.x + 0.01, point.y)],
        crs="EPSG:4326",
    )
    path = tmp_path / "valves.geojson"
    frame.to_file(path, driver="GeoJSON")

    report = import_file(fresh_demo_dsn, path, "valves")

    assert report.imported == 1
    assert report.rejected[0]["id"] == "V-2" and "not on a main" in report.rejected[0]["reason"]


def test_meters_with_taken_numbers_are_rejected(fresh_demo_dsn, tmp_path):
    taken = fetch_value(fresh_demo_dsn, "SELECT account_no FROM customer_meters LIMIT 1")
    frame = gpd.GeoDataFrame(
        {
            "id": ["M-1", "M-2"],
            "meter_no": ["X1", "X2"],
            "account_no": ["A-NEW", taken],
            "customer_name": ["张三", "李四"],
            "phone": ["13800000001", "13800000002"],
            "address": ["Kaivokatu 1", "Kaivokatu 2"],
            "category": ["hospital", "residential"],
        },
        geometry=[shapely.Point(24.94, 60.17), shapely.Point(24.941, 60.17)],
        crs="EPSG:4326",
    )
    path = tmp_path / "meters.gpkg"
    frame.to_file(path, driver="GPKG")

    report = import_file(fresh_demo_dsn, path, "meters")

    assert report.imported == 1 and report.rejected[0]["id"] == "M-2"
    assert (
        fetch_value(
            fresh_demo_dsn, "SELECT category FROM customer_meters WHERE account_no = 'A-NEW'"
        )
        == "hospital"
    )


def test_a_toml_mapping_file_is_read(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text('[fields]\nid = "ASSET"\n[values.pressure_class]\nLP = "low"\n')

    assert load_mapping(path) == {
        "fields": {"id": "ASSET"},
        "values": {"pressure_class": {"LP": "low"}},
    }
    with pytest.raises(ImportRefused, match="`--mapping`: file not found"):
        load_mapping(tmp_path / "none.toml")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ImportRefused, match="is not valid TOML/JSON"):
        load_mapping(bad)
    assert json.loads(json.dumps(MAPPING))  # the mapping used above is plain JSON
