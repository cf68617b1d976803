"""`dispatch route nearest` on a real extract: the output and the bad-input exits."""

import json

import pytest

from dispatch.cli import main
from gis.osm_source import default_extract_path

# Two crews on Helsinki streets near Kluuvi, one in the sea.
CREWS = """id,lon,lat,skills,status,fix_age_s
E-01,24.9460,60.1700,emergency,available,30
E-02,24.9380,60.1650,emergency;meter,available,30
M-01,24.9500,60.1600,meter,available,30
FERRY,25.1000,60.1000,emergency,available,30
"""


@pytest.fixture
def crews_csv(tmp_path):
    path = tmp_path / "crews.csv"
    path.write_text(CREWS)
    return path


def _run(capsys, *args):
    code = main(["route", "nearest", "--osm", str(default_extract_path()), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_lists_the_ranked_crews_with_time_and_distance(crews_csv, tmp_path, capsys):
    code, out, _ = _run(
        capsys,
        "--crews",
        str(crews_csv),
        "--at",
        "24.9440,60.1690",
        "--k",
        "2",
        "--skill",
        "emergency",
        "--json",
        "--cache-dir",
        str(tmp_path),
    )

    result = json.loads(out)
    assert code == 0
    assert [c["id"] for c in result["crews"]] == ["E-01", "E-02"]
    assert all(c["travel_time_s"] > 0 and c["distance_m"] > 0 for c in result["crews"])
    assert result["crews"][0]["travel_time_s"] < result["crews"][1]["travel_time_s"]
    reasons = {e["id"]: e["reason"] for e in result["excluded"]}
    assert reasons["M-01"] == "lacks the required skill"
    assert reasons["FERRY"].startswith("off the road network")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "24.94"], "`--at` must be LON,LAT"),
        (["--at", "24.94,nan"], "`--at`: '24.94,nan' is not a longitude,latitude pair"),
        (["--at", "24.94,60.16", "--k", "0"], "`--k` must be a positive integer"),
        (["--at", "24.94,60.16", "--skill", "welding"], "`skill`: unknown skill 'welding'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_naming_the_argument(
    crews_csv, tmp_path, capsys, args, message
):
    code, _, err = _run(capsys, "--crews", str(crews_csv), "--cache-dir", str(tmp_path), *args)

    assert code == 2
    assert err.strip().splitlines() == [f"error: {err.strip().removeprefix('error: ')}"]
    assert message in err


def test_a_bad_crews_file_names_the_line_and_column(tmp_path, capsys):
    bad = tmp_path / "crews.csv"
    bad.write_text("id,lon,lat\nA,24.94,60.17\nB,east,60.17\n")

    code, _, err = _run(capsys, "--crews", str(bad), "--at", "24.94,60.17")

    assert code == 2
    assert "`--crews`: crews.csv line 3: `lon` must be a number" in err


def test_a_crews_file_without_coordinates_is_refused(tmp_path, capsys):
    bad = tmp_path / "crews.csv"
    bad.write_text("id,x,y\nA,1,2\n")

    code, _, err = _run(capsys, "--crews", str(bad), "--at", "24.94,60.17")

    assert code == 2 and "missing column(s) lon, lat" in err


def test_a_point_west_of_greenwich_is_accepted_in_the_plain_form(crews_csv, tmp_path, capsys):
    code, out, err = _run(
        capsys, "--crews", str(crews_csv), "--cache-dir", str(tmp_path), "--at", "-76.6,39.3"
    )

    # Baltimore is far from Helsinki's roads, but the point was read: no argparse refusal.
    assert "expected one argument" not in err
    assert code == 0
    assert out.startswith("incident at -76.600000,39.300000")
