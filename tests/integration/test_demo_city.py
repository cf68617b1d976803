"""The demo city shipped in data/osm (the whole of Monaco): the default of `dispatch demo load`,
a control room's worth of depots and crews, and routes across the city."""

import json

import pytest

from dispatch.cli import main
from gis.osm_source import default_extract_path, demo_city_path
from tests.dbutil import fetch_value

pytestmark = pytest.mark.skipif(
    demo_city_path() is None, reason="data/osm/monaco.osm.pbf is absent (see data/README.md)"
)

# Fontvieille, at the south-west end of the city, and Larvotto at the north-east end: 2.4 km
# apart as the crow flies, with the Rock and the harbour in between.
FONTVIEILLE = (7.4160, 43.7290)
LARVOTTO = (7.4340, 43.7460)


@pytest.fixture
def use_database(monkeypatch):
    def use(dsn: str) -> str:
        monkeypatch.setenv("DATABASE_URL", dsn)
        return dsn

    return use


def test_demo_load_without_a_file_loads_the_city_with_its_depots_and_crews(
    use_database, migrated_dsn, capsys
):
    use_database(migrated_dsn)

    assert main(["demo", "load"]) == 0

    assert "loaded 'Monaco'" in capsys.readouterr().err
    assert 25 <= fetch_value(migrated_dsn, "SELECT count(*) FROM crews") <= 40
    assert 3 <= fetch_value(migrated_dsn, "SELECT count(*) FROM depots") <= 5
    # Every depot has crews of its own, and at least two of them emergency crews.
    assert (
        fetch_value(
            migrated_dsn,
            "SELECT min(n) FROM (SELECT count(*) AS n FROM crews c "
            "WHERE c.code LIKE 'E-%%' GROUP BY c.depot_id) AS per_depot",
        )
        >= 2
    )
    assert fetch_value(
        migrated_dsn,
        "SELECT count(*) FROM depots d WHERE EXISTS "
        "(SELECT 1 FROM crews c WHERE c.depot_id = d.id)",
    ) == fetch_value(migrated_dsn, "SELECT count(*) FROM depots")
    # Central Helsinki has 231 street chains and 21 km of streets; the city is bigger.
    assert fetch_value(migrated_dsn, "SELECT count(*) FROM streets") > 400
    street_km = fetch_value(
        migrated_dsn, "SELECT sum(ST_Length(geom::geography)) / 1000 FROM streets"
    )
    assert 40 < street_km < 80
    assert fetch_value(migrated_dsn, "SELECT count(*) FROM customer_meters") > 10_000
    districts = fetch_value(migrated_dsn, "SELECT array_agg(name ORDER BY name) FROM districts")
    assert {"Fontvieille", "La Condamine", "Monaco-Ville", "Monte-Carlo"} <= set(districts)
    assert fetch_value(migrated_dsn, "SELECT timezone FROM territory") == "Europe/Monaco"


def test_a_crew_in_fontvieille_reaches_larvotto_by_road(tmp_path, capsys):
    crews = tmp_path / "crews.csv"
    crews.write_text(
        "id,lon,lat,skills,status,fix_age_s\n"
        f"E-01,{FONTVIEILLE[0]},{FONTVIEILLE[1]},emergency,available,30\n"
    )

    code = main(
        [
            "route",
            "nearest",
            "--osm",
            str(demo_city_path()),
            "--crews",
            str(crews),
            f"--at={LARVOTTO[0]},{LARVOTTO[1]}",
            "--json",
            "--cache-dir",
            str(tmp_path),
        ]
    )

    result = json.loads(capsys.readouterr().out)
    assert code == 0
    [crew] = result["crews"]
    assert crew["id"] == "E-01"
    # Longer than the 2.4 km straight line, but not a detour out of the city.
    assert 2_400 < crew["distance_m"] < 7_000
    assert 120 < crew["travel_time_s"] < 1_200


def test_the_city_road_graph_is_bigger_than_the_test_extract():
    from routing.build import build_road_graph

    city = build_road_graph(demo_city_path())
    small = build_road_graph(default_extract_path())

    assert city.n_nodes > 300 and city.n_edges > 550
    assert city.n_nodes > 2 * small.n_nodes


def test_depots_and_crews_can_be_chosen_for_any_extract(use_database, migrated_dsn):
    use_database(migrated_dsn)

    assert main(["demo", "load", "--osm", str(default_extract_path()), "--depots", "3"]) == 0
    helsinki = [
        fetch_value(migrated_dsn, f"SELECT {q}")
        for q in ("name FROM territory", "count(*) FROM depots", "count(*) FROM crews")
    ]
    assert main(["demo", "load", "--replace", "--depots", "3", "--crews", "12"]) == 0
    city = [
        fetch_value(migrated_dsn, f"SELECT {q}")
        for q in ("name FROM territory", "count(*) FROM depots", "count(*) FROM crews")
    ]

    assert helsinki == ["Helsinki", 3, 15]  # five crews a depot unless told
    assert city == ["Monaco", 3, 12]


@pytest.mark.parametrize(
    ("args", "field"),
    [(["--crews", "0"], "`--crews`"), (["--depots", "21"], "`--depots`")],
    ids=["no-crews", "too-many-depots"],
)
def test_impossible_counts_are_refused_naming_the_option(
    use_database, migrated_dsn, capsys, args, field
):
    use_database(migrated_dsn)

    code = main(["demo", "load", *args])

    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert code == 2
    assert len(errors) == 1 and field in errors[0]
    assert fetch_value(migrated_dsn, "SELECT count(*) FROM territory") == 0
