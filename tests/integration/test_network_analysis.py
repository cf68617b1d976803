"""Isolation, warning zone and cameras on the Helsinki demo network in PostGIS."""

import pytest

from gis.cameras import cameras_for, covers
from gis.database import connect
from gis.leak_analysis import NetworkAnalyst, warning_zone

LEAK = (24.9466, 60.1712)  # on a medium-pressure main in Kluuvi


@pytest.fixture(scope="module")
def cur(demo_dsn):
    conn = connect(demo_dsn)
    yield conn.cursor()
    conn.close()


@pytest.fixture(scope="module")
def analyst(demo_dsn):
    return NetworkAnalyst(demo_dsn)


def test_the_trace_closes_valves_on_the_ring_and_takes_the_leaking_main_out(analyst, cur):
    plan = analyst.isolation(cur, *LEAK)

    assert plan["leak"]["snap_distance_m"] < 30
    assert plan["leak"]["main_id"] in plan["pipes_out"]
    assert 1 <= len(plan["valves"]) <= 6
    assert plan["affected_meters"] == len(plan["affected_meter_ids"]) > 0
    assert all(v["lon"] and v["lat"] for v in plan["valves"])


def test_closing_the_plans_valves_really_cuts_the_leak_from_every_station(analyst, cur):
    import networkx as nx

    plan = analyst.isolation(cur, *LEAK)
    network, lookup = analyst.network()
    closed = {v["id"] for v in plan["valves"]}
    # Rebuild connectivity with the valves as graph vertices, skipping the closed ones.
    graph = nx.Graph()
    graph.add_nodes_from(("valve", v) for v in range(len(network.valve_id)))
    pieces = network.pieces
    for k in range(len(pieces.piece_main)):
        a, b = int(pieces.piece_a[k]), int(pieces.piece_b[k])
        ends = [
            ("node", x) if x < network.n_nodes else ("valve", x - network.n_nodes) for x in (a, b)
        ]
        graph.add_edge(("piece", k), ends[0])
        graph.add_edge(("piece", k), ends[1])
    for v in range(len(network.valve_id)):
        if int(network.valve_id[v]) in closed or not network.valve_open[v]:
            graph.remove_node(("valve", v))
    leak_main = lookup["main_index"][plan["leak"]["main_id"]]
    first = pieces.main_first_piece[leak_main]
    leak_piece = max(
        k
        for k in range(first, pieces.main_first_piece[leak_main + 1])
        if pieces.piece_start[k] <= plan["leak"]["fraction"]
    )
    reachable = nx.node_connected_component(graph, ("piece", leak_piece))
    assert not any(("node", int(s)) in reachable for s in network.source_nodes)


def test_a_stuck_valve_widens_the_plan_and_is_reported(analyst, cur):
    plan = analyst.isolation(cur, *LEAK)
    stuck = plan["valves"][0]["id"]

    wider = analyst.isolation(cur, *LEAK, stuck_valve_ids=(stuck,))

    assert stuck not in {v["id"] for v in wider["valves"]}
    assert wider["skipped_valves"] == [stuck]
    assert wider["affected_meters"] >= plan["affected_meters"]
    assert set(plan["pipes_out"]) <= set(wider["pipes_out"])


def test_an_unknown_stuck_valve_names_the_argument(analyst, cur):
    with pytest.raises(ValueError, match="`stuck`: no valve 999999"):
        analyst.isolation(cur, *LEAK, stuck_valve_ids=(999999,))


def test_the_warning_zone_grows_with_pressure_and_counts_what_is_inside(cur):
    low = warning_zone(cur, *LEAK, "low")
    medium = warning_zone(cur, *LEAK, "medium_a")
    fire = warning_zone(cur, *LEAK, "medium_a", situation="fire_explosion")

    assert low["radius_m"] < medium["radius_m"] < fire["radius_m"]
    assert low["meters"] <= medium["meters"] <= fire["meters"]
    assert fire["buildings"] > 0 and fire["geometry"]["type"] == "Polygon"
    with pytest.raises(ValueError, match="`pressure_class`"):
        warning_zone(cur, *LEAK, "extreme")


def test_a_camera_looking_at_a_station_is_ranked_first_for_it(cur):
    cur.execute(
        "SELECT ST_X(s.geom), ST_Y(s.geom), c.id FROM regulator_stations s"
        " JOIN cameras c ON c.regulator_station_id = s.id ORDER BY s.id LIMIT 1"
    )
    lon, lat, camera = cur.fetchone()

    ranked = cameras_for(cur, lon, lat)

    assert ranked[0]["id"] == camera and ranked[0]["covers"]
    assert [c["distance_m"] for c in ranked if not c["covers"]] == sorted(
        c["distance_m"] for c in ranked if not c["covers"]
    )


@pytest.mark.parametrize(
    ("bearing", "fov", "azimuth", "distance", "expected"),
    [
        (0, 60, 20, 50, True),
        (0, 60, 40, 50, False),
        (350, 60, 15, 50, True),
        (90, 90, 90, 150, False),
        (180, 360, 0, 10, True),
    ],
)
def test_field_of_view_logic(bearing, fov, azimuth, distance, expected):
    assert covers(bearing, fov, 120, azimuth, distance) is expected
