"""The road-routing port of the ticket use cases: crews given as rows, routed on the road graph.

No database here: the caller hands in the crews it read in its own transaction, and the graph
is loaded once at start-up (:func:`road_router_for_source`) from the extract the territory was
built from. Coordinates EPSG:4326; times seconds; distances metres.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path

from dispatch.settings import current
from routing.build import load_road_graph
from routing.crews import prepare_crews
from routing.errors import RoutingError
from routing.graph import RoadGraph
from routing.nearest import Router

log = logging.getLogger(__name__)


class RoadCrewRouter:
    """Implements :class:`dispatch.ports.CrewRouter`. One :class:`routing.nearest.Router` per
    instance, guarded by a lock: safe to share between threads."""

    def __init__(self, graph: RoadGraph, *, k: int = 3, max_fix_age_s: float | None = None) -> None:
        """Crews whose last fix is older than ``max_fix_age_s`` seconds are not recommended
        (default: the settings' ``dispatch.stale_gps_after_s``)."""
        if max_fix_age_s is None:
            max_fix_age_s = current().dispatch.stale_gps_after_s
        self.graph, self.k, self.max_fix_age_s = graph, k, max_fix_age_s
        self.router = Router(graph)
        self._lock = threading.Lock()

    def recommend(
        self, lon: float, lat: float, skill: str | None, crews: list[dict], now: datetime
    ) -> list[dict]:
        usable = [c for c in crews if c["lon"] is not None]
        if not usable:
            return []
        fix_age = [
            1e12 if c["recorded_at"] is None else (now - c["recorded_at"]).total_seconds()
            for c in usable
        ]
        return self._rank(lon, lat, skill, usable, fix_age, k=self.k, status=None)

    def route_crew(self, lon: float, lat: float, crew: dict) -> dict | None:
        if crew["lon"] is None:
            return None
        # The dispatcher chose this crew: route it whatever its status or fix age.
        ranked = self._rank(lon, lat, None, [crew], [0.0], k=1, status="available")
        return ranked[0] if ranked else None

    def valve_crews(self, valves: list[dict], crews: list[dict]) -> dict:
        """Each valve's nearest available crew by road and, sending a different crew to each
        valve where there are enough (batch assignment), the expected time until the last
        valve is reached — shown next to the ETA at the leak."""
        from routing.matrix import assign_batch, travel_time_matrix

        if not valves:
            return {"valves": [], "expected_isolation_s": 0.0}
        ready = [c for c in crews if c["lon"] is not None and c["status"] == "available"]
        if not ready:
            return {
                "valves": [{"valve_id": v["id"], "crew_id": None, "eta_s": None} for v in valves],
                "expected_isolation_s": None,
            }
        with self._lock:
            snaps = self.router.edge_index.snap(
                [c["lon"] for c in ready], [c["lat"] for c in ready]
            )
            crew_set = prepare_crews(
                self.graph,
                snaps,
                ids=[c["id"] for c in ready],
                lon=[c["lon"] for c in ready],
                lat=[c["lat"] for c in ready],
            )
            targets = self.router.edge_index.snap(
                [v["lon"] for v in valves], [v["lat"] for v in valves]
            )
            matrix = travel_time_matrix(self.graph, crew_set, targets)
        plan = assign_batch(matrix, [1] * len(valves))
        chosen = {col: (row, seconds) for row, col, seconds in plan.pairs}
        rows = []
        for j, valve in enumerate(valves):
            nearest = int(matrix[:, j].argmin())
            row, seconds = chosen.get(j, (nearest, float(matrix[nearest, j])))
            finite = seconds != float("inf")
            rows.append(
                {
                    "valve_id": valve["id"],
                    "crew_id": ready[row]["id"] if finite else None,
                    "crew_code": ready[row]["code"] if finite else None,
                    "eta_s": round(seconds, 1) if finite else None,
                    "own_crew": j in chosen,
                }
            )
        etas = [r["eta_s"] for r in rows]
        return {"valves": rows, "expected_isolation_s": None if None in etas else max(etas)}

    def uncovered_km(self, crews: list[dict], *, target_s: float = 30 * 60) -> float:
        """Kilometres of street no available, fresh crew reaches within ``target_s`` seconds
        (``crews`` as the wall shows them, with ``stale``)."""
        from routing.coverage import uncovered_streets

        ready = [c for c in crews if c["status"] == "available" and not c["stale"] and c["lon"]]
        graph = self.graph
        if not ready:
            one_way = graph.edge_length_m[graph.edge_twin < 0].sum()
            both_ways = graph.edge_length_m[graph.edge_twin >= 0].sum() / 2
            return round(float(one_way + both_ways) / 1000, 1)
        with self._lock:
            positions = self._snap(ready)
        return round(uncovered_streets(graph, positions, target_s=target_s).length_m / 1000, 1)

    def _snap(self, crews: list[dict]):
        return self.router.edge_index.snap([c["lon"] for c in crews], [c["lat"] for c in crews])

    def _rank(
        self,
        lon: float,
        lat: float,
        skill: str | None,
        crews: list[dict],
        fix_age_s: list[float],
        *,
        k: int,
        status: str | None,
    ) -> list[dict]:
        with self._lock:
            snaps = self.router.edge_index.snap(
                [c["lon"] for c in crews], [c["lat"] for c in crews]
            )
            crew_set = prepare_crews(
                self.graph,
                snaps,
                ids=[c["id"] for c in crews],
                lon=[c["lon"] for c in crews],
                lat=[c["lat"] for c in crews],
                status=[status or c["status"] for c in crews],
                skills=[c["skills"] for c in crews],
                fix_age_s=fix_age_s,
            )
            ranking = self.router.nearest_crews(
                self.router.snap_incident(lon, lat),
                crew_set,
                k=k,
                skill=skill,
                max_fix_age_s=self.max_fix_age_s if status is None else None,
            )
            routes = [[list(p) for p in r.route(self.graph).coords] for r in ranking.crews]
        by_id = {c["id"]: c for c in crews}
        return [
            {
                "crew_id": r.crew_id,
                "code": by_id[r.crew_id]["code"],
                "eta_s": round(r.eta_s, 1),
                "travel_time_s": round(r.travel_time_s, 1),
                "distance_m": round(r.distance_m, 1),
                "finishes_first": r.finishes_first,
                "route": route,
                "crew_lon": by_id[r.crew_id]["lon"],
                "crew_lat": by_id[r.crew_id]["lat"],
            }
            for r, route in zip(ranking.crews, routes, strict=True)
        ]

    def travel_times_from(
        self, origins: list[dict], targets: list[tuple[float, float]]
    ) -> list[dict]:
        """Seconds by road from each origin (``{"id", "lon", "lat"}``: depots, or crews at a
        known place) to each target ``(lon, lat)``, in one batch (one search per origin): per
        target, ``{origin id: seconds}`` for the origins that reach it. For generating past
        work, where thousands of jobs are routed at once."""
        from routing.matrix import travel_time_matrix

        if not origins or not targets:
            return [{} for _ in targets]
        with self._lock:
            crew_set = prepare_crews(
                self.graph,
                self._snap(origins),
                ids=[o["id"] for o in origins],
                lon=[o["lon"] for o in origins],
                lat=[o["lat"] for o in origins],
            )
            snaps = self.router.edge_index.snap([t[0] for t in targets], [t[1] for t in targets])
            matrix = travel_time_matrix(self.graph, crew_set, snaps)
        ids = [o["id"] for o in origins]
        return [
            {ids[r]: round(float(matrix[r, j]), 1) for r in range(len(ids)) if matrix[r, j] < 1e18}
            for j in range(len(targets))
        ]

    def route_from(self, origin: dict, lon: float, lat: float) -> dict | None:
        """The road route from ``origin`` (``{"id", "lon", "lat"}``) to a point:
        ``{"travel_time_s", "distance_m", "route"}`` (route as [[lon, lat], ...]), or None
        when the point cannot be reached. The origin is prepared once and kept."""
        key = (origin["id"], origin["lon"], origin["lat"])
        with self._lock:
            cache = self.__dict__.setdefault("_origins", {})
            if key not in cache:
                cache[key] = prepare_crews(
                    self.graph,
                    self._snap([origin]),
                    ids=[origin["id"]],
                    lon=[origin["lon"]],
                    lat=[origin["lat"]],
                    status=["available"],
                )
            ranking = self.router.nearest_crews(
                self.router.snap_incident(lon, lat), cache[key], k=1, max_fix_age_s=None
            )
            if not ranking.crews:
                return None
            best = ranking.crews[0]
            route = [list(p) for p in best.route(self.graph).coords]
        return {
            "travel_time_s": round(best.travel_time_s, 1),
            "distance_m": round(best.distance_m, 1),
            "route": route,
        }


def road_router_for_source(source: str | None, **options) -> RoadCrewRouter | None:
    """A router on the road graph of the extract at ``source`` (the territory's), or None with
    a logged reason when it is not at hand."""
    if source is None or not Path(source).is_file():
        log.warning("no crew recommendations: the territory's extract %r is not at hand", source)
        return None
    try:
        return RoadCrewRouter(load_road_graph(source), **options)
    except RoutingError as exc:
        log.warning("no road graph: %s", exc)
        return None
