"""Which crews reach an incident first, by road: exact, and fast enough to ask on every call.

The search runs backwards from the incident over the reversed graph and stops as soon as
``k`` eligible crews are settled, so its cost depends on how far the k-th crew is, not on the
size of the graph or the number of crews.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import shapely

from routing import _kernels
from routing.crews import (
    DEFAULT_MAX_FIX_AGE_S,
    JUNCTION_RADIUS_M,
    STATUSES,
    CrewSet,
    skill_mask,
)
from routing.errors import InvalidArgument
from routing.graph import RoadGraph
from routing.snap import DEFAULT_MAX_SNAP_M, EdgeIndex, Snaps

log = logging.getLogger(__name__)

AVAILABLE, BUSY = STATUSES.index("available"), STATUSES.index("busy")


@dataclass(frozen=True)
class CrewETA:
    """One ranked crew. ``travel_time_s`` is seconds on the road; ``eta_s`` adds the time a
    busy crew still needs on its current job (``finishes_first``); ``distance_m`` metres."""

    crew_id: object
    travel_time_s: float
    eta_s: float
    distance_m: float
    finishes_first: bool
    route_edges: np.ndarray = field(repr=False)  # edge ids from the crew's entry node onwards
    # (edge, fraction): the crew drives from that fraction to the edge's head; None when it
    # stands at the junction the route starts from.
    route_start: tuple[int, float] | None = field(repr=False)
    # (edge, fraction): the route ends that far along the edge; None when the incident is at
    # the junction the route ends at.
    route_end: tuple[int, float] | None = field(repr=False)

    def route(self, graph: RoadGraph) -> shapely.LineString:
        """The route as an EPSG:4326 LineString from the crew to the incident."""
        return route_geometry(graph, self.route_start, self.route_edges, self.route_end)


@dataclass(frozen=True)
class Excluded:
    crew_id: object
    reason: str


@dataclass(frozen=True)
class Ranking:
    """The best crews, best first, and the crews left out with the reason why."""

    crews: list[CrewETA]
    excluded: list[Excluded]
    incident_snap_m: float


class Router:
    """Answers nearest-crew queries on one graph. Holds scratch arrays sized to the graph, so
    one instance serves one thread at a time; create one per worker thread."""

    def __init__(self, graph: RoadGraph, *, edge_index: EdgeIndex | None = None) -> None:
        self.graph = graph
        self._edge_index = edge_index
        self.rev_ptr, self.rev_edge = graph.rev
        n = graph.n_nodes
        self._dist = np.full(n, np.inf)
        self._pred = np.full(n, -1, dtype=np.int64)
        self._touched = np.zeros(n, dtype=np.int64)
        self._path = np.zeros(n, dtype=np.int64)
        self._eligibility_memo: tuple | None = None
        self._heap_keys = np.empty(0)
        self._heap_vals = np.empty(0, dtype=np.int64)

    @property
    def edge_index(self) -> EdgeIndex:
        if self._edge_index is None:
            self._edge_index = EdgeIndex(self.graph)
        return self._edge_index

    def snap_incident(
        self, lon: float, lat: float, *, max_distance_m: float = DEFAULT_MAX_SNAP_M
    ) -> Snaps:
        return self.edge_index.snap([lon], [lat], max_distance_m=max_distance_m)

    def nearest_crews(
        self,
        incident: Snaps,
        crews: CrewSet,
        *,
        k: int = 3,
        skill: str | None = None,
        max_fix_age_s: float | None = DEFAULT_MAX_FIX_AGE_S,
        include_busy: bool = False,
        max_travel_time_s: float = np.inf,
    ) -> Ranking:
        """The ``k`` crews that reach ``incident`` (a one-point :class:`Snaps`) first, travelling
        FROM the crew TO the incident on the directed graph, with the crews left out and why.

        Eligible: status available (and busy ones, flagged, when ``include_busy``), having
        ``skill``, with a fix no older than ``max_fix_age_s`` seconds (None: any age), on the
        network. An incident off the network gives an empty ranking, not an error."""
        if not isinstance(k, int | np.integer) or k <= 0:
            raise InvalidArgument(f"`k` must be a positive integer, got {k!r}")
        if max_fix_age_s is not None and not max_fix_age_s >= 0:
            raise InvalidArgument("`max_fix_age_s` must be a non-negative number of seconds")
        required = skill_mask([skill] if skill else None)
        eligible, excluded = self._eligible(crews, required, max_fix_age_s, include_busy)
        snap_m = float(incident.distance_m[0])
        if incident.edge[0] < 0:
            log.info("incident is %.0f m from the nearest road; no crew can be routed", snap_m)
            return Ranking([], excluded, snap_m)
        if not eligible.any():
            return Ranking([], excluded, snap_m)

        g = self.graph
        e, s = int(incident.edge[0]), float(incident.fraction[0])
        starts, start_costs, direct_crews, direct_costs = self._incident_terms(crews, e, s)
        k_eff = int(min(k, eligible.sum()))
        out_crew = np.zeros(k_eff, dtype=np.int64)
        out_cost = np.zeros(k_eff)
        out_node = np.zeros(k_eff, dtype=np.int64)
        crew_done = np.zeros(len(crews), dtype=np.bool_)
        heap_keys, heap_vals = self._heap(
            g.n_edges + len(crews.entry_crew) + len(direct_crews) + len(starts) + 1
        )
        direct_costs = direct_costs + crews.wait_s[direct_crews]
        found, n_touched = _kernels.nearest_k(
            self.rev_ptr,
            self.rev_edge,
            g.edge_u,
            g.edge_time_s,
            starts,
            start_costs,
            crews.entry_ptr,
            crews.entry_order,
            crews.entry_crew,
            crews.entry_node,
            crews.entry_eta_cost,
            direct_crews,
            direct_costs,
            eligible,
            k_eff,
            max_travel_time_s,
            self._dist,
            self._pred,
            crew_done,
            heap_keys,
            heap_vals,
            self._touched,
            out_crew,
            out_cost,
            out_node,
        )
        try:
            ranked = [
                self._describe(crews, int(out_crew[i]), float(out_cost[i]), int(out_node[i]), e, s)
                for i in range(found)
            ]
        finally:
            _kernels.reset(self._dist, self._pred, self._touched, n_touched)
        if found < k_eff:
            ranked_ids = set(out_crew[:found].tolist())
            for c in np.flatnonzero(eligible):
                if int(c) not in ranked_ids:
                    why = (
                        "unreachable from its position"
                        if np.isinf(max_travel_time_s)
                        else f"cannot arrive within {max_travel_time_s:.0f} s"
                    )
                    excluded.append(Excluded(crews.ids[c], why))
        return Ranking(ranked, excluded, snap_m)

    def _heap(self, capacity: int) -> tuple[np.ndarray, np.ndarray]:
        if self._heap_keys.shape[0] < capacity:
            self._heap_keys = np.empty(capacity)
            self._heap_vals = np.empty(capacity, dtype=np.int64)
        return self._heap_keys, self._heap_vals

    def _eligible(self, crews: CrewSet, required: int, max_fix_age_s, include_busy):
        """Eligibility is the same for every query on one crew snapshot with one filter, so the
        last answer is kept (a dispatcher's screen asks for many incidents in a row)."""
        memo = self._eligibility_memo
        key = (required, max_fix_age_s, include_busy)
        if memo is None or memo[0] is not crews or memo[1] != key:
            eligible, excluded = self._eligibility(crews, required, max_fix_age_s, include_busy)
            memo = self._eligibility_memo = (crews, key, eligible, tuple(excluded))
        return memo[2], list(memo[3])

    @staticmethod
    def _eligibility(crews: CrewSet, required: int, max_fix_age_s, include_busy):
        on_network = crews.snaps.edge >= 0
        status_ok = (crews.status == AVAILABLE) | (include_busy & (crews.status == BUSY))
        skilled = (crews.skills & required) == required
        fresh = (
            np.ones(len(crews), dtype=bool)
            if max_fix_age_s is None
            else (crews.fix_age_s <= max_fix_age_s)
        )
        eligible = on_network & status_ok & skilled & fresh
        excluded = []
        for c in np.flatnonzero(~eligible):
            if not on_network[c]:
                reason = f"off the road network ({crews.snaps.distance_m[c]:.0f} m from a road)"
            elif not status_ok[c]:
                reason = f"status {STATUSES[crews.status[c]]}"
            elif not skilled[c]:
                reason = "lacks the required skill"
            else:
                reason = f"stale position (fix {crews.fix_age_s[c]:.0f} s old)"
            excluded.append(Excluded(crews.ids[c], reason))
        return eligible, excluded

    def _incident_terms(self, crews: CrewSet, e: int, s: float):
        """Graph nodes from which the incident is reached (with the partial-edge time, as
        :func:`routing.crews.exits` defines them), and crews on the incident's own street who
        can drive straight to it. Scalar code: this runs once per query."""
        g = self.graph
        length = float(g.edge_length_m[e])
        twin = int(g.edge_twin[e])
        starts = [int(g.edge_u[e])]
        costs = [s * float(g.edge_time_s[e])]
        if twin >= 0:
            starts.append(int(g.edge_v[e]))
            costs.append((1 - s) * float(g.edge_time_s[twin]))
        if s * length <= JUNCTION_RADIUS_M:
            starts.append(int(g.edge_u[e]))
            costs.append(0.0)
        if (1 - s) * length <= JUNCTION_RADIUS_M:
            starts.append(int(g.edge_v[e]))
            costs.append(0.0)
        # A crew on this street (either carriageway) at position p along e drives straight
        # there: forward if p <= s, or back along the twin if p >= s.
        direct, direct_cost = [], []
        for crew in crews.on_street.get(min(e, twin) if twin >= 0 else e, ()):
            t = float(crews.snaps.fraction[crew])
            pos = t if crews.snaps.edge[crew] == e else 1.0 - t
            if pos <= s:
                direct.append(crew)
                direct_cost.append((s - pos) * float(g.edge_time_s[e]))
            elif twin >= 0:
                direct.append(crew)
                direct_cost.append((pos - s) * float(g.edge_time_s[twin]))
        return (
            np.array(starts, dtype=np.int64),
            np.array(costs),
            np.array(direct, dtype=np.int64),
            np.array(direct_cost, dtype=np.float64),
        )

    def _describe(self, crews: CrewSet, c: int, cost: float, via: int, e: int, s: float) -> CrewETA:
        g = self.graph
        wait = float(crews.wait_s[c])
        travel = cost - wait
        start_edge, start_frac, n_path, end_edge, end_frac, metres = _kernels.describe(
            g.edge_u,
            g.edge_v,
            g.edge_time_s,
            g.edge_length_m,
            g.edge_twin,
            self._dist,
            self._pred,
            self._path,
            int(crews.snaps.edge[c]),
            float(crews.snaps.fraction[c]),
            via,
            travel,
            e,
            s,
            JUNCTION_RADIUS_M,
        )
        return CrewETA(
            crews.ids[c],
            travel,
            cost,
            metres,
            wait > 0,
            self._path[:n_path].copy(),
            (start_edge, start_frac) if start_edge >= 0 else None,
            (end_edge, end_frac) if end_edge >= 0 else None,
        )


def route_geometry(
    graph: RoadGraph,
    start: tuple[int, float] | None,
    edges: np.ndarray,
    end: tuple[int, float] | None,
) -> shapely.LineString:
    """EPSG:4326 line: the rest of the start edge, whole edges, then the end edge up to the
    incident; or, when crew and incident share an edge, the piece between them."""
    if len(edges) == 0 and start is not None and end is not None and start[0] == end[0]:
        return shapely.LineString(_cut(graph.edge_coords(start[0]), start[1], end[1]))
    parts = []
    if start is not None:
        parts.append(_cut(graph.edge_coords(start[0]), start[1], 1.0))
    parts += [graph.edge_coords(int(e)) for e in edges]
    if end is not None:
        parts.append(_cut(graph.edge_coords(end[0]), 0.0, end[1]))
    if not parts:  # crew and incident at the same junction
        u = graph.edge_u[start[0]] if start else 0
        parts.append(np.array([[graph.node_lon[u], graph.node_lat[u]]]))
    coords = np.concatenate(parts)
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(np.diff(coords, axis=0) != 0, axis=1)
    coords = coords[keep]
    if len(coords) == 1:
        coords = np.vstack([coords, coords])
    return shapely.LineString(coords)


def _cut(coords: np.ndarray, a: float, b: float) -> np.ndarray:
    """The part of a polyline between fractions a <= b of its length (planar, in degrees
    scaled by latitude: good enough for drawing a route)."""
    scale = np.array([np.cos(np.radians(coords[:, 1].mean())), 1.0])
    seg = np.hypot(*((np.diff(coords, axis=0) * scale).T))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    total = cum[-1]
    if total == 0:
        return coords[:1]
    da, db = a * total, b * total
    inner = coords[(cum > da) & (cum < db)]
    return np.vstack([_at(coords, cum, da), inner, _at(coords, cum, db)])


def _at(coords, cum, d):
    i = int(np.clip(np.searchsorted(cum, d, side="right") - 1, 0, len(coords) - 2))
    span = cum[i + 1] - cum[i]
    f = 0.0 if span == 0 else (d - cum[i]) / span
    return coords[i] + f * (coords[i + 1] - coords[i])
