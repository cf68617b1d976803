"""Nearest crews on hand-built graphs with known answers (pure: no files, no database)."""

import math

import numpy as np
import pytest

from routing.crews import prepare_crews
from routing.errors import InvalidArgument, UnknownSkill
from routing.graph import from_edges
from routing.matrix import assign_batch, travel_time_matrix
from routing.nearest import Router

# Metres to degrees near the equator, where 1e-5 degrees is about 1.11 m.
M = 1 / 111_195.0


def _graph_with_a_one_way_street():
    """Incident at node 0. Node 1 is 100 m east of it, but the street 0 -> 1 is one-way
    AWAY from the incident; from node 1 the only way back goes round a 2 km loop
    1 -> 2 -> 0. Node 3 is 300 m west, on a two-way street."""
    coords = {0: (0.0, 0.0), 1: (100 * M, 0.0), 2: (100 * M, 1000 * M), 3: (-300 * M, 0.0)}
    edges = [
        (0, 1, 10.0, 100.0),  # one-way, away from the incident
        (1, 2, 90.0, 1000.0),
        (2, 0, 100.0, 1005.0),
        (3, 0, 30.0, 300.0),
        (0, 3, 30.0, 300.0),
    ]
    return from_edges(coords, edges)


def _crews(graph, router, points, **kwargs):
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    snaps = router.edge_index.snap(lon, lat)
    return prepare_crews(
        graph, snaps, ids=kwargs.pop("ids", list(range(len(points)))), lon=lon, lat=lat, **kwargs
    )


def test_leak_goes_to_the_crew_that_arrives_first_not_the_closest_in_a_straight_line():
    graph = _graph_with_a_one_way_street()
    router = Router(graph)
    crews = _crews(graph, router, [(99 * M, 0.0), (-299 * M, 0.0)], ids=["behind-one-way", "west"])

    ranking = router.nearest_crews(router.snap_incident(0.0, 0.0), crews, k=2)

    assert [c.crew_id for c in ranking.crews] == ["west", "behind-one-way"]
    west, behind = ranking.crews
    assert west.travel_time_s == pytest.approx(29.9, abs=0.05)
    # The crew 1 m short of node 1 must drive on to node 1 and round the loop.
    assert behind.travel_time_s == pytest.approx(0.1 + 90 + 100, abs=0.05)
    assert behind.distance_m == pytest.approx(1 + 1000 + 1005, abs=0.5)


def test_a_crew_on_the_incidents_own_street_drives_straight_to_it():
    graph = _graph_with_a_one_way_street()
    router = Router(graph)
    crews = _crews(graph, router, [(-250 * M, 0.0)])

    incident = router.snap_incident(-100 * M, 0.0)
    (crew,) = router.nearest_crews(incident, crews, k=1).crews

    assert crew.travel_time_s == pytest.approx(15.0, abs=0.05)
    assert crew.distance_m == pytest.approx(150.0, abs=0.5)
    assert crew.route(graph).length == pytest.approx(150 * M, rel=0.01)


def test_the_route_runs_from_the_crew_to_the_incident():
    graph = _graph_with_a_one_way_street()
    router = Router(graph)
    crews = _crews(graph, router, [(99 * M, 0.0)])

    (crew,) = router.nearest_crews(router.snap_incident(0.0, 0.0), crews, k=1).crews
    route = crew.route(graph)

    start, end = route.coords[0], route.coords[-1]
    assert math.dist(start, (99 * M, 0.0)) < 2 * M
    assert math.dist(end, (0.0, 0.0)) < 2 * M
    assert route.length > 2000 * M  # round the loop, not straight back


def test_off_network_stale_and_unskilled_crews_are_listed_with_their_reason():
    graph = _graph_with_a_one_way_street()
    router = Router(graph)
    crews = _crews(
        graph,
        router,
        [(-299 * M, 0.0), (-1500 * M, 900 * M), (-200 * M, 0.0), (-150 * M, 0.0), (-100 * M, 0.0)],
        ids=["ok", "in-a-field", "stale", "meter-only", "off-duty"],
        fix_age_s=[10, 10, 900, 10, 10],
        skills=[["emergency"], ["emergency"], ["emergency"], ["meter"], ["emergency"]],
        status=["available", "available", "available", "available", "off_duty"],
    )

    ranking = router.nearest_crews(router.snap_incident(0, 0), crews, k=3, skill="emergency")

    assert [c.crew_id for c in ranking.crews] == ["ok"]
    reasons = {e.crew_id: e.reason for e in ranking.excluded}
    assert reasons["in-a-field"] == "off the road network (1500 m from a road)"
    assert reasons["stale"] == "stale position (fix 900 s old)"
    assert reasons["meter-only"] == "lacks the required skill"
    assert reasons["off-duty"] == "status off_duty"


def test_a_stale_crew_is_ranked_when_the_age_limit_is_lifted():
    graph = _graph_with_a_one_way_street()
    router = Router(graph)
    crews = _crews(graph, router, [(-200 * M, 0.0)], fix_age_s=[900])

    assert router.nearest_crews(router.snap_incident(0, 0), crews, max_fix_age_s=None).crews


def test_a_busy_crew_is_offered_with_its_remaining_job_time_and_flagged():
    graph = _graph_with_a_one_way_street()
    router = Router(graph)
    crews = _crews(
        graph,
        router,
        [(-10 * M, 0.0), (-299 * M, 0.0)],
        ids=["busy", "free"],
        status=["busy", "available"],
        remaining_job_s=[600, 0],
    )
    incident = router.snap_incident(0, 0)

    without = router.nearest_crews(incident, crews, k=2)
    with_busy = router.nearest_crews(incident, crews, k=2, include_busy=True)

    assert [c.crew_id for c in without.crews] == ["free"]
    assert [c.crew_id for c in with_busy.crews] == ["free", "busy"]
    busy = with_busy.crews[1]
    assert busy.finishes_first
    assert busy.eta_s == pytest.approx(600 + busy.travel_time_s)
    assert busy.travel_time_s == pytest.approx(1.0, abs=0.05)


def test_a_crew_that_cannot_reach_the_incident_is_excluded_as_unreachable():
    coords = {0: (0.0, 0.0), 1: (100 * M, 0.0), 2: (200 * M, 0.0)}
    graph = from_edges(coords, [(0, 1, 10, 100), (1, 0, 10, 100), (1, 2, 10, 100)])
    router = Router(graph)
    crews = _crews(graph, router, [(150 * M, 0.0001 * M)], ids=["stuck"])

    ranking = router.nearest_crews(router.snap_incident(0, 0), crews, k=1)

    assert ranking.crews == []
    assert [(e.crew_id, e.reason) for e in ranking.excluded] == [
        ("stuck", "unreachable from its position")
    ]


def test_an_empty_crew_list_gives_an_empty_ranking_not_an_error():
    graph = _graph_with_a_one_way_street()
    router = Router(graph)
    crews = _crews(graph, router, [])

    ranking = router.nearest_crews(router.snap_incident(0, 0), crews, k=3)

    assert ranking.crews == [] and ranking.excluded == []


def test_an_incident_off_the_network_gives_an_empty_ranking():
    graph = _graph_with_a_one_way_street()
    router = Router(graph)
    crews = _crews(graph, router, [(-299 * M, 0.0)])

    ranking = router.nearest_crews(router.snap_incident(0.0, 5000 * M), crews)

    assert ranking.crews == [] and ranking.incident_snap_m > 4000


@pytest.mark.parametrize("k", [0, -1, 2.5])
def test_k_must_be_a_positive_integer(k):
    graph = _graph_with_a_one_way_street()
    router = Router(graph)
    crews = _crews(graph, router, [(-299 * M, 0.0)])

    with pytest.raises(InvalidArgument, match="`k` must be a positive integer"):
        router.nearest_crews(router.snap_incident(0, 0), crews, k=k)


def test_nan_coordinates_are_refused_naming_the_arguments():
    router = Router(_graph_with_a_one_way_street())

    with pytest.raises(InvalidArgument, match="`lon` and `lat` must be finite"):
        router.snap_incident(float("nan"), 0.0)


def test_an_unknown_skill_is_refused_naming_the_argument():
    graph = _graph_with_a_one_way_street()
    router = Router(graph)
    crews = _crews(graph, router, [(-299 * M, 0.0)])

    with pytest.raises(UnknownSkill, match="`skill`: unknown skill 'welding'"):
        router.nearest_crews(router.snap_incident(0, 0), crews, skill="welding")


@pytest.mark.parametrize("crew_x", [-250, -50])
def test_on_a_two_way_street_a_crew_drives_straight_either_way(crew_x):
    graph = _graph_with_a_one_way_street()
    router = Router(graph)
    crews = _crews(graph, router, [(crew_x * M, 0.0)])
    incident = router.snap_incident(-150 * M, 0.0)

    (crew,) = router.nearest_crews(incident, crews, k=1).crews
    matrix = travel_time_matrix(graph, crews, incident)

    assert crew.travel_time_s == pytest.approx(10.0, abs=0.05)
    assert crew.distance_m == pytest.approx(100.0, abs=0.5)
    assert matrix[0, 0] == pytest.approx(crew.travel_time_s, abs=1e-9)


def test_batch_assignment_leaves_the_unreachable_incident_unassigned():
    matrix = np.array([[10.0, np.inf, 30.0], [20.0, np.inf, 5.0]])

    result = assign_batch(matrix, [1, 1, 2])

    assert sorted((r, c) for r, c, _ in result.pairs) == [(0, 0), (1, 2)]
    assert result.unassigned == [1]


def test_batch_assignment_needs_a_weight_for_every_priority():
    with pytest.raises(InvalidArgument, match="`priorities`: no weight for priority"):
        assign_batch(np.ones((1, 1)), [9])
