"""Merging OSM road segments into street chains between junctions (pure, no I/O)."""

import geopandas as gpd
import numpy as np
import shapely

from gis.demo.streets import largest_component, merge_segments


def _roads(segments, highway=None):
    """segments: [(u, v, (x1, y1), (x2, y2))]"""
    return gpd.GeoDataFrame(
        {
            "u": [s[0] for s in segments],
            "v": [s[1] for s in segments],
            "way_id": range(len(segments)),
            "highway": highway or ["residential"] * len(segments),
            "name": ["Street"] * len(segments),
            "oneway": [False] * len(segments),
        },
        geometry=[shapely.LineString([s[2], s[3]]) for s in segments],
    )


def test_a_t_junction_gives_three_chains_whatever_the_segment_directions():
    # 1-2-3 west to east through junction 3, 3-4-5 further east, 6-3 from the north,
    # with segment 4->3 drawn against the flow.
    roads = _roads(
        [
            (1, 2, (0, 0), (1, 0)),
            (2, 3, (1, 0), (2, 0)),
            (4, 3, (3, 0), (2, 0)),
            (4, 5, (3, 0), (4, 0)),
            (6, 3, (2, 2), (2, 0)),
        ]
    )

    chains = merge_segments(roads)

    lengths = sorted(np.round(chains.frame.geometry.length, 6))
    assert lengths == [2.0, 2.0, 2.0]
    for chain in chains.frame.itertuples():
        start_xy, end_xy = chains.node_xy[chain.start], chains.node_xy[chain.end]
        coords = shapely.get_coordinates(chain.geometry)
        assert tuple(coords[0]) == tuple(start_xy) and tuple(coords[-1]) == tuple(end_xy)


def test_a_change_of_street_class_ends_a_chain():
    roads = _roads(
        [(1, 2, (0, 0), (1, 0)), (2, 3, (1, 0), (2, 0))], highway=["primary", "residential"]
    )

    assert sorted(merge_segments(roads).frame["highway"]) == ["primary", "residential"]


def test_a_closed_ring_with_no_junction_is_one_chain():
    roads = _roads(
        [
            (1, 2, (0, 0), (1, 0)),
            (2, 3, (1, 0), (1, 1)),
            (3, 1, (1, 1), (0, 0)),
        ]
    )

    chains = merge_segments(roads)

    assert len(chains.frame) == 1
    assert chains.frame.geometry.iloc[0].is_ring


def test_largest_component_keeps_only_the_biggest_connected_piece():
    start, end = np.array([0, 1, 2, 4]), np.array([1, 2, 3, 5])

    assert largest_component(start, end, 6).tolist() == [True, True, True, False]
