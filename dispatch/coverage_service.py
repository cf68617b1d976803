"""Coverage for the manager and the dispatcher: the areas reachable within the response target
from the depots and from the crews available now, the street length no available crew reaches
in time, and a suggested move of idle crews that shrinks it most (greedy over the depots and
road nodes of the uncovered streets, :mod:`routing.coverage_moves`), with the figures before
and after; a dispatcher applies a move, which is recorded (``crew_moves``) and announced.

The roads and the computing are :mod:`routing`'s (no database); the rows come from
:mod:`dispatch.manager_repository`; the road graph from the router port."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import shapely

from dispatch import manager_repository as mr
from dispatch import repository as repo
from dispatch.actor import Actor
from dispatch.errors import InvalidInput, NotFound
from dispatch.json_shapes import crew_view
from dispatch.settings import current
from dispatch.unit_of_work import UnitOfWork

#: Road nodes of uncovered streets tried as places to move a crew to, besides the depots.
NODE_CANDIDATES = 12


def _ready(crews: list[dict]) -> list[dict]:
    """Crews available now with a fresh fix (the ones a dispatcher could send)."""
    return [c for c in crews if c["status"] == "available" and not c["stale"] and c["lon"]]


def coverage(
    uow: UnitOfWork, router, now: datetime, *, target_min: float = 30.0, max_moves: int = 3
) -> dict:
    """The coverage figures and the suggested moves (JSON-ready)."""
    from routing.coverage import isochrone, uncovered_streets
    from routing.coverage_moves import suggest_moves

    if not 0 < target_min <= 240:
        raise InvalidInput("`target_min` must be minutes from 1 to 240", "target_min")
    if router is None:
        raise InvalidInput("no road graph for this territory", "territory")
    graph, index = router.graph, router.router.edge_index
    target_s = target_min * 60
    stale_s = current().dispatch.stale_gps_after_s
    crews = [crew_view(r, now, stale_s) for r in repo.list_crews(uow.cur)]
    ready = [c for c in crews if c["status"] in ("available", "busy") and not c["stale"]]
    ready = [c for c in ready if c["lon"] is not None]
    available = _ready(crews)
    depots = mr.depots(uow.cur)

    def area(points):
        if not points:
            return {"type": "MultiPolygon", "coordinates": []}
        snaps = index.snap([p["lon"] for p in points], [p["lat"] for p in points])
        return shapely.geometry.mapping(isochrone(graph, index, snaps, target_s))

    uncovered = (
        uncovered_streets(
            graph,
            index.snap([c["lon"] for c in available], [c["lat"] for c in available]),
            target_s=target_s,
        )
        if available
        else None
    )
    # Candidates: the depots, and road nodes at the start of uncovered streets (evenly drawn).
    candidates = [
        {"lon": d["lon"], "lat": d["lat"], "depot_id": d["id"], "label": d["name"]} for d in depots
    ]
    if uncovered is not None and len(uncovered.edges):
        tails = np.unique(graph.edge_u[uncovered.edges])
        for node in tails[
            np.linspace(0, len(tails) - 1, min(NODE_CANDIDATES, len(tails))).astype(int)
        ]:
            candidates.append(
                {
                    "lon": float(graph.node_lon[node]),
                    "lat": float(graph.node_lat[node]),
                    "depot_id": None,
                    "label": f"node {int(node)}",
                }
            )
    # Busy crews stay where they are (they cover their surroundings after the job); only
    # available ones are moved.
    plan = suggest_moves(
        graph,
        index,
        np.array([[c["lon"], c["lat"]] for c in ready]).reshape(-1, 2),
        np.array([c["status"] == "available" for c in ready]),
        np.array([[p["lon"], p["lat"]] for p in candidates]).reshape(-1, 2),
        target_s=target_s,
        max_moves=max_moves,
    )
    km = lambda m: round(m / 1000, 2)  # noqa: E731
    before = km(plan.uncovered_before_m)
    moves, previous = [], before
    for m in plan.moves:
        crew, to = ready[m.crew], candidates[m.candidate]
        moves.append(
            {
                "crew_id": crew["id"],
                "crew_code": crew["code"],
                "from": {"lon": crew["lon"], "lat": crew["lat"]},
                "to": to,
                "uncovered_before_km": previous,
                "uncovered_after_km": km(m.uncovered_after_m),
            }
        )
        previous = km(m.uncovered_after_m)
    return {
        "target_min": target_min,
        "crews_available": len(available),
        "reach_from_depots": area(depots),
        "reach_from_available_crews": area(available),
        "uncovered_km_available": None if uncovered is None else km(uncovered.length_m),
        "suggestion": {
            "uncovered_before_km": before,
            "uncovered_after_km": km(plan.uncovered_after_m),
            "moves": moves,
        },
    }


def apply_move(uow: UnitOfWork, actor: Actor, body: dict, now: datetime) -> dict:
    """Record the move of an available crew a dispatcher applies (fields as a suggested
    move gives them: ``crew_id``, ``to`` {lon, lat, depot_id}, the km before and after)."""
    crews = repo.list_crews(uow.cur, ids=[int(body["crew_id"])])
    if not crews:
        raise NotFound(f"no crew {body['crew_id']}", "crew_id")
    crew = crews[0]
    if crew["status"] != "available":
        raise InvalidInput(f"`crew_id`: crew {crew['code']} is {crew['status']}", "crew_id")
    to = body["to"]
    move = {
        "crew_id": crew["id"],
        "from_lon": crew["lon"],
        "from_lat": crew["lat"],
        "to_lon": to["lon"],
        "to_lat": to["lat"],
        "to_depot_id": to.get("depot_id"),
        "before_km": body["uncovered_before_km"],
        "after_km": body["uncovered_after_km"],
    }
    move_id = mr.record_crew_move(uow.cur, move, by=actor.username, at=now)
    return {
        "id": move_id,
        "crew_id": crew["id"],
        "crew_code": crew["code"],
        "to": {"lon": to["lon"], "lat": to["lat"], "depot_id": to.get("depot_id")},
        "uncovered_before_km": body["uncovered_before_km"],
        "uncovered_after_km": body["uncovered_after_km"],
        "moved_by": actor.username,
        "moved_at": now.isoformat(),
    }
