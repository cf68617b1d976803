"""Which valves isolate a leak, and who loses gas: the isolation trace on the pipe network.

Pure numpy/scipy on a :class:`PipeNetwork` (load one from PostGIS with
:func:`gis.leak_analysis.load_network`, or build one in memory). The valves split the mains
into *pieces*; pieces joined other than through a closable valve form *segments*. A leak's
segment is cut from every source by closing the valves between it and segments that are still
fed from a regulator station; segments fed only through the leak's segment lose gas too.
Inoperable or stuck valves cannot be closed, so the trace widens to the next ring by itself;
closed valves already separate segments and are honoured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

CRITICAL_CATEGORIES = ("hospital", "life_support", "care_home", "school")


@dataclass(eq=False)
class PipeNetwork:
    """Mains between nodes, valves on mains, and sources (regulator station nodes).

    Indices are positions in these arrays; ``*_id`` arrays hold the database ids. A valve lies
    at ``valve_fraction`` of its main's length from the main's ``from`` node."""

    main_id: np.ndarray
    main_from: np.ndarray  # node index
    main_to: np.ndarray
    valve_id: np.ndarray
    valve_main: np.ndarray  # main index
    valve_fraction: np.ndarray
    valve_operable: np.ndarray  # bool
    valve_open: np.ndarray  # bool
    source_nodes: np.ndarray  # node indices
    n_nodes: int
    # Customers: meter counts per main and, for notification, their ids grouped by main.
    meters_on_main: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    meter_ptr: np.ndarray | None = None  # CSR over mains into meter_ids
    meter_ids: np.ndarray | None = None
    meter_critical: np.ndarray | None = None  # bool, aligned with meter_ids

    @property
    def n_mains(self) -> int:
        return len(self.main_id)

    @cached_property
    def valve_index(self) -> dict[int, int]:
        return {int(v): i for i, v in enumerate(self.valve_id.tolist())}

    @cached_property
    def pieces(self) -> Pieces:
        return _pieces(self)

    def segments(self, stuck: frozenset[int] = frozenset()) -> Segments:
        """Segments with the valves in ``stuck`` (indices) treated as not closable."""
        if not stuck:
            return self._base_segments
        return _segments(self, self.pieces, stuck)

    @cached_property
    def _base_segments(self) -> Segments:
        return _segments(self, self.pieces, frozenset())


@dataclass(frozen=True)
class Pieces:
    """Each main cut at its valves. Piece k runs along ``piece_main[k]`` from fraction
    ``piece_start[k]``; the vertices it joins are pipe nodes (< n_nodes) or valves
    (n_nodes + valve index)."""

    piece_main: np.ndarray
    piece_start: np.ndarray
    piece_a: np.ndarray
    piece_b: np.ndarray
    main_first_piece: np.ndarray  # CSR over mains into pieces (pieces of a main are contiguous)


@dataclass(frozen=True)
class Segments:
    label: np.ndarray  # segment of each piece
    count: int
    closable: np.ndarray  # valve indices that can be closed now
    valve_sides: np.ndarray  # (n_valves, 2) segments on each side of a valve (-1: none)
    fed: np.ndarray  # bool per segment: reaches a source with every valve as it is
    source_segments: np.ndarray


@dataclass(frozen=True)
class IsolationPlan:
    """What closing the plan's valves does. Indices refer to the network's arrays."""

    leak_main: int
    valves_to_close: np.ndarray  # valve indices
    mains_out: np.ndarray  # main indices losing supply (the leaking segment and downstream)
    leak_segment_mains: np.ndarray
    meters_affected: int
    stations_to_shut: np.ndarray  # source node indices inside the leaking segment
    skipped_valves: np.ndarray  # stuck / inoperable valves on the ring that were passed over


def trace(
    network: PipeNetwork,
    leak_main: int,
    fraction: float = 0.5,
    *,
    stuck: frozenset[int] = frozenset(),
) -> IsolationPlan:
    """The isolation plan for a leak at ``fraction`` along main index ``leak_main``. Valves in
    ``stuck`` (indices) cannot be closed (found stuck, or not found in the field)."""
    if not 0 <= leak_main < network.n_mains:
        raise ValueError(f"`leak_main` must be a main index below {network.n_mains}")
    pieces = network.pieces
    segs = network.segments(frozenset(stuck))
    first, last = pieces.main_first_piece[leak_main], pieces.main_first_piece[leak_main + 1]
    within = pieces.piece_start[first:last]
    piece = first + max(0, int(np.searchsorted(within, fraction, side="right")) - 1)
    s = int(segs.label[piece])

    # Segments joined by closable valves, leaving the leak's segment out.
    a, b = segs.valve_sides[segs.closable, 0], segs.valve_sides[segs.closable, 1]
    keep = (a != s) & (b != s) & (a >= 0) & (b >= 0)
    n = segs.count
    graph = coo_matrix((np.ones(keep.sum()), (a[keep], b[keep])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    sources = segs.source_segments[segs.source_segments != s]
    fed_comps = np.zeros(comp.max() + 1 if n else 0, dtype=bool)
    fed_comps[comp[sources]] = True
    fed = fed_comps[comp]
    fed[s] = False

    touching = segs.closable[(a == s) | (b == s)]
    other = np.where(
        segs.valve_sides[touching, 0] == s,
        segs.valve_sides[touching, 1],
        segs.valve_sides[touching, 0],
    )
    to_close = touching[(other >= 0) & (other != s) & fed[np.maximum(other, 0)]]
    # Out: the leak's segment and every segment that was fed before and is not now.
    out_segments = np.flatnonzero(segs.fed & ~fed)
    out_segments = np.union1d(out_segments, [s])
    mains_out = np.unique(pieces.piece_main[np.isin(segs.label, out_segments)])
    leak_mains = np.unique(pieces.piece_main[segs.label == s])
    meters = int(network.meters_on_main[mains_out].sum()) if len(network.meters_on_main) else 0
    piece_nodes = np.concatenate([pieces.piece_a[segs.label == s], pieces.piece_b[segs.label == s]])
    stations = np.intersect1d(network.source_nodes, piece_nodes)
    ring_stuck = np.array(sorted(v for v in stuck if s in segs.valve_sides[v]), dtype=np.int64)
    return IsolationPlan(
        leak_main, np.sort(to_close), mains_out, leak_mains, meters, stations, ring_stuck
    )


def affected_meters(network: PipeNetwork, mains: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Meter ids on ``mains`` and whether each is a critical customer (critical first)."""
    if network.meter_ptr is None:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    parts = [np.arange(network.meter_ptr[m], network.meter_ptr[m + 1]) for m in mains]
    idx = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    ids, critical = network.meter_ids[idx], network.meter_critical[idx]
    order = np.lexsort((ids, ~critical))
    return ids[order], critical[order]


def _pieces(net: PipeNetwork) -> Pieces:
    order = np.lexsort((net.valve_fraction, net.valve_main))
    per_main = np.bincount(net.valve_main, minlength=net.n_mains)
    n_pieces = per_main + 1
    ptr = np.zeros(net.n_mains + 1, dtype=np.int64)
    np.cumsum(n_pieces, out=ptr[1:])
    total = int(ptr[-1])
    piece_main = np.repeat(np.arange(net.n_mains), n_pieces)
    piece_start = np.zeros(total)
    piece_a = np.empty(total, dtype=np.int64)
    piece_b = np.empty(total, dtype=np.int64)
    # Valve vertices follow the pipe nodes: vertex n_nodes + v.
    valve_vertex = net.n_nodes + order
    rank = np.arange(len(order)) - np.repeat(np.cumsum(per_main) - per_main, per_main)
    main_of_sorted = net.valve_main[order]
    slot = ptr[main_of_sorted] + rank  # the piece that ENDS at this valve
    piece_a[ptr[:-1]] = net.main_from
    piece_b[ptr[1:] - 1] = net.main_to
    piece_b[slot] = valve_vertex
    piece_a[slot + 1] = valve_vertex
    piece_start[slot + 1] = net.valve_fraction[order]
    return Pieces(piece_main, piece_start, piece_a, piece_b, ptr)


def _segments(net: PipeNetwork, pieces: Pieces, stuck: frozenset[int]) -> Segments:
    n_valves = len(net.valve_id)
    operable = np.array(net.valve_operable, dtype=bool)
    if stuck:
        operable[list(stuck)] = False
    is_open = np.asarray(net.valve_open, dtype=bool)
    closable = np.flatnonzero(operable & is_open)
    closed = ~is_open
    # Vertices that join the pieces meeting there: pipe nodes, and valves that can be neither
    # closed nor are closed (an open valve nobody can turn is just pipe).
    vertex_joins = np.ones(net.n_nodes + n_valves, dtype=bool)
    vertex_joins[net.n_nodes + closable] = False
    vertex_joins[net.n_nodes + np.flatnonzero(closed)] = False
    n_pieces = len(pieces.piece_main)
    rows, cols = [], []
    for ends in (pieces.piece_a, pieces.piece_b):
        join = vertex_joins[ends]
        rows.append(np.flatnonzero(join))
        cols.append(n_pieces + ends[join])
    rows_a, cols_a = np.concatenate(rows), np.concatenate(cols)
    size = n_pieces + net.n_nodes + n_valves
    graph = coo_matrix((np.ones(len(rows_a)), (rows_a, cols_a)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    piece_label = labels[:n_pieces]
    _, piece_label = np.unique(piece_label, return_inverse=True)
    count = int(piece_label.max()) + 1 if n_pieces else 0

    # The two pieces on each side of every valve.
    sides = np.full((n_valves, 2), -1, dtype=np.int64)
    valve_end = pieces.piece_b >= net.n_nodes
    sides[pieces.piece_b[valve_end] - net.n_nodes, 0] = piece_label[valve_end]
    valve_start = pieces.piece_a >= net.n_nodes
    sides[pieces.piece_a[valve_start] - net.n_nodes, 1] = piece_label[valve_start]

    source_pieces = np.flatnonzero(
        np.isin(pieces.piece_a, net.source_nodes) | np.isin(pieces.piece_b, net.source_nodes)
    )
    source_segments = np.unique(piece_label[source_pieces])
    a, b = sides[closable, 0], sides[closable, 1]
    ok = (a >= 0) & (b >= 0)
    graph = coo_matrix((np.ones(ok.sum()), (a[ok], b[ok])), shape=(count, count))
    _, comp = connected_components(graph, directed=False)
    fed_comp = np.zeros(comp.max() + 1 if count else 0, dtype=bool)
    fed_comp[comp[source_segments]] = True
    return Segments(piece_label, count, closable, sides, fed_comp[comp], source_segments)
