"""`dispatch route nearest --at -76.6,39.3`: a point west of Greenwich in the plain form."""

from __future__ import annotations

from dispatch.route_command import join_point_options


def test_a_negative_point_after_at_is_joined_to_the_option():
    argv = ["route", "nearest", "--at", "-76.6,39.3", "--k", "3"]

    assert join_point_options(argv) == ["route", "nearest", "--at=-76.6,39.3", "--k", "3"]


def test_south_of_the_equator_and_positive_points_and_other_options_are_left_alone():
    assert join_point_options(["--at", "-58.4,-34.6"]) == ["--at=-58.4,-34.6"]
    assert join_point_options(["--at", "24.9,60.1"]) == ["--at", "24.9,60.1"]
    assert join_point_options(["--at", "--json"]) == ["--at", "--json"]  # argparse complains
    assert join_point_options(["--k", "-3"]) == ["--k", "-3"]
