"""Greedy moves of idle crews that shrink the uncovered street length (routing.coverage_moves),
on a hand-built street whose figures are worked out in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from routing.coverage_moves import suggest_moves
from routing.errors import InvalidArgument
from routing.graph import from_edges
from routing.snap import EdgeIndex

M = 1 / 111_195.0  # metres to degrees near the equator


def _street():
    """Nodes 0-1-2-3-4 on a two-way street, 100 m and 100 s between neighbours."""
    coords = {i: (i * 100 * M, 0.0) for i in range(5)}
    edges = [(i, i + 1, 100.0, 100.0) for i in range(4)]
    edges += [(i + 1, i, 100.0, 100.0) for i in range(4)]
    graph = from_edges(coords, edges)
    return graph, EdgeIndex(graph)


def at(node: int) -> list[float]:
    return [node * 100 * M, 0.0]


def test_the_idle_crew_moves_to_the_far_end_and_the_busy_one_stays():
    graph, index = _street()
    crews = np.array([at(0), at(0)])  # crew 0 busy, crew 1 idle, both at node 0
    candidates = np.array([at(1), at(4)])
    plan = suggest_moves(
        graph, index, crews, np.array([False, True]), candidates, target_s=150, max_moves=2
    )
    # Before: arrival 0, 100, 200, 300, 400 s; a street is late when its middle is past
    # 150 s: 2-3 (250) and 3-4 (350): 200 m. At node 1: 3-4 still late (250): 100 m.
    # At node 4: every middle within 150 s: 0 m. So the move is crew 1 to node 4.
    assert plan.uncovered_before_m == pytest.approx(200.0)
    assert plan.uncovered_after_m == pytest.approx(0.0)
    assert [(m.crew, m.candidate) for m in plan.moves] == [(1, 1)]


def test_no_move_is_suggested_when_none_helps():
    graph, index = _street()
    crews = np.array([at(0), at(4)])
    plan = suggest_moves(
        graph, index, crews, np.array([True, True]), np.array([at(2)]), target_s=150
    )
    assert (plan.uncovered_before_m, plan.moves) == (0.0, [])


def test_bad_arguments_are_refused():
    graph, index = _street()
    with pytest.raises(InvalidArgument, match="idle"):
        suggest_moves(graph, index, np.array([at(0)]), np.array([]), np.array([at(1)]), target_s=1)
    with pytest.raises(InvalidArgument, match="target_s"):
        suggest_moves(
            graph, index, np.array([at(0)]), np.array([True]), np.array([at(1)]), target_s=0
        )
