"""Travel-time matrices (crews x incidents) and batch assignment ("storm mode")."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from routing import _kernels
from routing.crews import CrewSet, exits
from routing.errors import InvalidArgument
from routing.graph import RoadGraph
from routing.snap import Snaps

#: Default weight of an incident's arrival time by priority (P1 counts four times P4).
PRIORITY_WEIGHTS = {1: 4.0, 2: 3.0, 3: 2.0, 4: 1.0}


def travel_time_matrix(
    graph: RoadGraph, crews: CrewSet, incidents: Snaps, crew_rows: np.ndarray | None = None
) -> np.ndarray:
    """Seconds from each crew (rows: ``crew_rows`` of ``crews``, default all) to each incident
    (columns), by road on the directed graph; ``inf`` where unreachable or off-network.
    One forward Dijkstra per crew from its position."""
    rows = np.arange(len(crews)) if crew_rows is None else np.asarray(crew_rows, dtype=np.int64)
    n_inc = len(incidents.edge)
    out = np.full((len(rows), n_inc), np.inf)
    row_on = np.flatnonzero(crews.snaps.edge[rows] >= 0)
    on_crews = rows[row_on]
    on_inc = np.flatnonzero(incidents.edge >= 0)
    if len(on_crews) == 0 or len(on_inc) == 0:
        return out

    # Sources: each crew's entry nodes with their partial-edge costs, grouped per crew.
    src_nodes, src_costs, src_ptr = _group(
        crews.entry_crew, crews.entry_node, crews.entry_cost, on_crews
    )
    # Destinations: the nodes each incident is reached from, with the time from there.
    point, node, cost = exits(graph, incidents)
    order = np.argsort(point, kind="stable")
    dst_nodes, dst_costs = node[order], cost[order]
    dst_ptr = np.zeros(len(on_inc) + 1, dtype=np.int64)
    np.cumsum(
        np.bincount(np.searchsorted(on_inc, point[order]), minlength=len(on_inc)), out=dst_ptr[1:]
    )
    e = incidents.edge[on_inc]
    s = incidents.fraction[on_inc]
    twin = graph.edge_twin[e]

    fwd_ptr, fwd_edge = graph.fwd
    block = np.full((len(on_crews), len(on_inc)), np.inf)
    dist = np.full(graph.n_nodes, np.inf)
    heap_keys = np.empty(graph.n_edges + len(src_nodes) + 1)
    heap_vals = np.empty(graph.n_edges + len(src_nodes) + 1, dtype=np.int64)
    _kernels.many_to_many(
        fwd_ptr,
        fwd_edge,
        graph.edge_v,
        graph.edge_time_s,
        src_ptr,
        src_nodes,
        src_costs,
        dst_ptr,
        dst_nodes,
        dst_costs,
        dist,
        heap_keys,
        heap_vals,
        block,
    )
    # Crew and incident on one street (either carriageway): drive straight there. A crew at
    # position p along the incident's edge goes forward if p <= s, back along the twin if not.
    ce = crews.snaps.edge[on_crews][:, None]
    ct = crews.snaps.fraction[on_crews][:, None]
    on_e = ce == e[None, :]
    on_twin = (twin[None, :] >= 0) & (ce == twin[None, :])
    pos = np.where(on_e, ct, 1 - ct)
    tt_e = graph.edge_time_s[e][None, :]
    tt_twin = graph.edge_time_s[np.maximum(twin, 0)][None, :]
    forward = (on_e | on_twin) & (pos <= s[None, :])
    backward = (on_e | on_twin) & (pos > s[None, :]) & (twin[None, :] >= 0)
    block = np.where(forward, np.minimum(block, (s[None, :] - pos) * tt_e), block)
    block = np.where(backward, np.minimum(block, (pos - s[None, :]) * tt_twin), block)
    out[np.ix_(row_on, on_inc)] = block
    return out


def _group(entry_crew, entry_node, entry_cost, crews_wanted):
    order = np.argsort(entry_crew, kind="stable")
    crew_sorted = entry_crew[order]
    starts = np.searchsorted(crew_sorted, crews_wanted, side="left")
    ends = np.searchsorted(crew_sorted, crews_wanted, side="right")
    idx = np.concatenate([order[a:b] for a, b in zip(starts, ends, strict=True)])
    ptr = np.zeros(len(crews_wanted) + 1, dtype=np.int64)
    np.cumsum(ends - starts, out=ptr[1:])
    return entry_node[idx].astype(np.int64), entry_cost[idx], ptr


@dataclass(frozen=True)
class Assignment:
    """``pairs``: (crew row, incident column, seconds) chosen; ``unassigned``: incident columns
    left for later (more incidents than crews, or no crew can reach them)."""

    pairs: list[tuple[int, int, float]]
    unassigned: list[int]
    weighted_total_s: float


def assign_batch(
    matrix: np.ndarray, priorities, *, weights: dict[int, float] | None = None
) -> Assignment:
    """Assign at most one incident per crew and one crew per incident, minimising the
    priority-weighted total arrival time (seconds) over ``matrix`` (crews x incidents)."""
    matrix = np.asarray(matrix, dtype=float)
    priorities = np.asarray(priorities)
    if matrix.ndim != 2 or matrix.shape[1] != len(priorities):
        raise InvalidArgument("`priorities` must give one priority per matrix column")
    weights = weights or PRIORITY_WEIGHTS
    unknown = set(priorities.tolist()) - set(weights)
    if unknown:
        raise InvalidArgument(f"`priorities`: no weight for priority {sorted(unknown)}")
    w = np.array([weights[p] for p in priorities.tolist()])
    cost = matrix * w[None, :]
    finite = np.isfinite(cost)
    big = (cost[finite].max() + 1) * (matrix.shape[0] + matrix.shape[1] + 1) if finite.any() else 1
    # Incidents no crew can reach take a prohibitive cost so they are the ones left over.
    rows, cols = linear_sum_assignment(np.where(finite, cost, big))
    pairs = [
        (int(r), int(c), float(matrix[r, c]))
        for r, c in zip(rows, cols, strict=True)
        if finite[r, c]
    ]
    chosen = {c for _, c, _ in pairs}
    return Assignment(
        pairs,
        [c for c in range(matrix.shape[1]) if c not in chosen],
        float(sum(matrix[r, c] * w[c] for r, c, _ in pairs)),
    )
