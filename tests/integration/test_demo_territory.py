"""Building a territory from OSM: deterministic for a seed, and on the real streets."""

import pandas as pd
import pytest

from gis.demo.territory import build_territory
from gis.errors import OsmDataError
from gis.osm_source import read_pbf, read_place


def _same(a, b) -> bool:
    for name in a.tables:
        try:
            pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
        except AssertionError:
            return False
    return True


def test_same_seed_gives_the_same_territory(helsinki_extract, helsinki_territory):
    again = build_territory(helsinki_extract, seed=7)

    assert _same(again, helsinki_territory)


def test_another_seed_gives_other_customers_on_the_same_streets(
    helsinki_extract, helsinki_territory
):
    other = build_territory(helsinki_extract, seed=8)

    pd.testing.assert_frame_equal(other.tables["streets"], helsinki_territory.tables["streets"])
    assert not other.tables["customer_meters"]["customer_name"].equals(
        helsinki_territory.tables["customer_meters"]["customer_name"]
    )


def test_progress_is_reported_for_each_step(helsinki_extract):
    lines: list[str] = []
    build_territory(helsinki_extract, seed=1, progress=lines.append)

    assert [line.split("]")[0] for line in lines] == [f"[{i}/6" for i in range(1, 7)]


def test_an_extract_with_no_drivable_roads_is_refused(no_roads_pbf):
    with pytest.raises(OsmDataError, match="has no drivable roads"):
        read_pbf(no_roads_pbf)


def test_a_missing_file_is_refused_naming_the_argument(tmp_path):
    with pytest.raises(OsmDataError, match="`--osm`: file not found"):
        read_pbf(tmp_path / "nowhere.osm.pbf")


def test_a_corrupt_file_is_refused(tmp_path):
    corrupt = tmp_path / "corrupt.osm.pbf"
    corrupt.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all" * 10)

    with pytest.raises(OsmDataError, match="not a readable OSM PBF extract"):
        read_pbf(corrupt)


def test_a_place_that_cannot_be_fetched_is_refused_naming_the_argument():
    # Offline (as CI is) the fetch fails; online the name does not geocode. Either way: one error.
    with pytest.raises(OsmDataError, match="`--place`: could not fetch 'Nowhere Xyzzy 0000'"):
        read_place("Nowhere Xyzzy 0000")
