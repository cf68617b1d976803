"""Where to move idle crews so that fewer streets lie beyond the response target: a greedy
search over candidate places (depots, road nodes). Pure: positions in, metres out.

Each step tries every idle crew not moved yet at every candidate, keeping the others where
they are, and takes the single move that shrinks the uncovered street length most; it stops
when no move helps or after ``max_moves``. Arrival times come from one bounded Dijkstra per
crew and per candidate (:func:`routing.coverage.arrival_times`), then every combination is a
minimum of arrays, so a step costs no routing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from routing.coverage import arrival_times, uncovered_length_m
from routing.errors import InvalidArgument
from routing.graph import RoadGraph
from routing.snap import EdgeIndex, Snaps


@dataclass(frozen=True)
class Move:
    crew: int  # index into the crews given
    candidate: int  # index into the candidates given
    uncovered_after_m: float  # with this and the moves before it made


@dataclass(frozen=True)
class MovePlan:
    uncovered_before_m: float
    uncovered_after_m: float
    moves: list[Move] = field(default_factory=list)


def _one(snaps: Snaps, i: int) -> Snaps:
    return Snaps(snaps.edge[i : i + 1], snaps.fraction[i : i + 1], snaps.distance_m[i : i + 1])


def suggest_moves(
    graph: RoadGraph,
    index: EdgeIndex,
    crews: np.ndarray,
    idle: np.ndarray,
    candidates: np.ndarray,
    *,
    target_s: float,
    max_moves: int = 3,
) -> MovePlan:
    """``crews`` and ``candidates`` are (n, 2) arrays of lon, lat; ``idle`` marks the crews
    that may be moved (the others stay). Returns the uncovered length before and after."""
    crews = np.asarray(crews, dtype=float).reshape(-1, 2)
    candidates = np.asarray(candidates, dtype=float).reshape(-1, 2)
    idle = np.asarray(idle, dtype=bool)
    if len(idle) != len(crews):
        raise InvalidArgument("`idle` must mark each crew")
    if not target_s > 0:
        raise InvalidArgument("`target_s` must be a positive number of seconds")
    nowhere = np.full(graph.n_nodes, np.inf)
    crew_snaps = index.snap(crews[:, 0], crews[:, 1]) if len(crews) else None
    crew_dist = [
        arrival_times(graph, _one(crew_snaps, i), limit_s=target_s) for i in range(len(crews))
    ]
    cand_snaps = index.snap(candidates[:, 0], candidates[:, 1]) if len(candidates) else None
    cand_dist = [
        arrival_times(graph, _one(cand_snaps, j), limit_s=target_s) for j in range(len(candidates))
    ]

    def combined(dists):
        return np.minimum.reduce(dists) if dists else nowhere

    before = uncovered_length_m(graph, combined(crew_dist), target_s)
    current, plan, moved = before, [], set()
    for _ in range(max_moves):
        best = None
        for i in np.flatnonzero(idle):
            if i in moved:
                continue
            base = combined([d for k, d in enumerate(crew_dist) if k != i])
            for j, dist in enumerate(cand_dist):
                after = uncovered_length_m(graph, np.minimum(base, dist), target_s)
                if after < current - 1e-6 and (best is None or after < best[2]):
                    best = (int(i), j, after)
        if best is None:
            break
        i, j, after = best
        crew_dist[i] = cand_dist[j]
        moved.add(i)
        current = after
        plan.append(Move(i, j, after))
    return MovePlan(before, current, plan)
