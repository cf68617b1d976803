"""Crew recommendations for a new ticket: the live crews from the database, routed by road.

Connects dispatch's data (crews and their latest fixes) to ``routing`` (pure): the road graph
is loaded once, at start-up, from the extract the territory was built from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from dispatch import repository as repo
from dispatch.settings import current
from dispatch.unit_of_work import UnitOfWork
from routing.build import load_road_graph
from routing.crews import prepare_crews
from routing.errors import RoutingError
from routing.graph import RoadGraph
from routing.nearest import Router

log = logging.getLogger(__name__)


class CrewRecommender:
    """Callable ``(lon, lat, skill) -> [crew dicts]``, best first, with the excluded crews'
    reasons. Crews whose last fix is older than ``max_fix_age_s`` are not recommended (default:
    the settings' ``dispatch.stale_gps_after_s``). One router per instance: call it from one
    thread at a time (a lock guards it)."""

    def __init__(
        self,
        dsn: str,
        graph: RoadGraph,
        *,
        k: int = 3,
        clock: Callable[[], datetime] | None = None,
        max_fix_age_s: float | None = None,
    ) -> None:
        import threading

        self.dsn, self.graph, self.k = dsn, graph, k
        if max_fix_age_s is None:
            max_fix_age_s = current().dispatch.stale_gps_after_s
        self.max_fix_age_s = max_fix_age_s
        self.router = Router(graph)
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()

    def __call__(self, lon: float, lat: float, skill: str | None) -> list[dict]:
        with UnitOfWork(self.dsn) as uow:
            crews = repo.list_crews(uow.cur)
        now = self.clock()
        usable = [c for c in crews if c["lon"] is not None]
        if not usable:
            return []
        with self._lock:
            snaps = self.router.edge_index.snap(
                [c["lon"] for c in usable], [c["lat"] for c in usable]
            )
            crew_set = prepare_crews(
                self.graph,
                snaps,
                ids=[c["id"] for c in usable],
                lon=[c["lon"] for c in usable],
                lat=[c["lat"] for c in usable],
                status=[c["status"] for c in usable],
                skills=[c["skills"] for c in usable],
                fix_age_s=[(now - c["recorded_at"]).total_seconds() for c in usable],
            )
            ranking = self.router.nearest_crews(
                self.router.snap_incident(lon, lat),
                crew_set,
                k=self.k,
                skill=skill,
                max_fix_age_s=self.max_fix_age_s,
            )
        codes = {c["id"]: c["code"] for c in usable}
        return [
            {
                "crew_id": r.crew_id,
                "code": codes[r.crew_id],
                "eta_s": round(r.eta_s, 1),
                "travel_time_s": round(r.travel_time_s, 1),
                "distance_m": round(r.distance_m, 1),
                "finishes_first": r.finishes_first,
                "route": [list(p) for p in r.route(self.graph).coords],
            }
            for r in ranking.crews
        ]


def recommender_for_territory(
    dsn: str, *, max_fix_age_s: float | None = None
) -> CrewRecommender | None:
    """A recommender on the road graph of the extract the territory was loaded from, or None
    (with a logged reason) when there is no territory or its extract is not at hand."""
    with UnitOfWork(dsn) as uow:
        source = repo.territory_source(uow.cur)
    if source is None or not Path(source).is_file():
        log.warning("no crew recommendations: the territory's extract %r is not at hand", source)
        return None
    try:
        return CrewRecommender(dsn, load_road_graph(source), max_fix_age_s=max_fix_age_s)
    except RoutingError as exc:
        log.warning("no road graph: %s", exc)
        return None


def isolation_dispatch(recommender: CrewRecommender, valves: list[dict]) -> dict:
    """For the valves of an isolation plan: each valve's nearest available crew by road and,
    sending a different crew to each valve where there are enough (batch assignment), the
    expected time until the last valve is reached — shown next to the ETA at the leak."""
    from routing.matrix import assign_batch, travel_time_matrix

    if not valves:
        return {"valves": [], "expected_isolation_s": 0.0}
    graph, router = recommender.graph, recommender.router
    with UnitOfWork(recommender.dsn) as uow:
        crews = [
            c
            for c in repo.list_crews(uow.cur)
            if c["lon"] is not None and c["status"] == "available"
        ]
    if not crews:
        return {
            "valves": [{"valve_id": v["id"], "crew_id": None, "eta_s": None} for v in valves],
            "expected_isolation_s": None,
        }
    with recommender._lock:
        snaps = router.edge_index.snap([c["lon"] for c in crews], [c["lat"] for c in crews])
        crew_set = prepare_crews(
            graph,
            snaps,
            ids=[c["id"] for c in crews],
            lon=[c["lon"] for c in crews],
            lat=[c["lat"] for c in crews],
        )
        targets = router.edge_index.snap([v["lon"] for v in valves], [v["lat"] for v in valves])
        matrix = travel_time_matrix(graph, crew_set, targets)
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
                "crew_id": crews[row]["id"] if finite else None,
                "crew_code": crews[row]["code"] if finite else None,
                "eta_s": round(seconds, 1) if finite else None,
                "own_crew": j in chosen,
            }
        )
    etas = [r["eta_s"] for r in rows]
    return {"valves": rows, "expected_isolation_s": None if None in etas else max(etas)}


def uncovered_km(
    recommender: CrewRecommender, crews: list[dict], *, target_s: float = 30 * 60
) -> float:
    """Kilometres of street no available, fresh crew reaches within ``target_s`` seconds."""
    from routing.coverage import uncovered_streets

    ready = [c for c in crews if c["status"] == "available" and not c["stale"] and c["lon"]]
    graph = recommender.graph
    with recommender._lock:
        positions = recommender.router.edge_index.snap(
            [c["lon"] for c in ready], [c["lat"] for c in ready]
        )
    if not ready:
        return round(
            float(
                graph.edge_length_m[graph.edge_twin < 0].sum()
                + graph.edge_length_m[graph.edge_twin >= 0].sum() / 2
            )
            / 1000,
            1,
        )
    return round(uncovered_streets(graph, positions, target_s=target_s).length_m / 1000, 1)
