"""What the ticket use cases need from outside dispatch, as ports that take data.

The services never open a connection or load a graph: the composition root builds the adapters
once at start (:class:`dispatch.crew_recommender.RoadCrewRouter` on the territory's road graph,
:class:`dispatch.isolation_plan.NetworkIsolationPlanner` on the loaded gas network) and hands
them in as :class:`Ports`. Unit tests hand in small fakes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class CrewRouter(Protocol):
    """Road routing over crews given as rows (id, code, lon, lat, status, skills,
    recorded_at); every answer in seconds, metres and [[lon, lat], ...] (EPSG:4326)."""

    def recommend(
        self, lon: float, lat: float, skill: str | None, crews: list[dict], now: datetime
    ) -> list[dict]:
        """The crews that reach the point first, best first: dicts with ``crew_id``, ``code``,
        ``eta_s``, ``travel_time_s``, ``distance_m``, ``finishes_first``, ``route``."""
        ...

    def route_crew(self, lon: float, lat: float, crew: dict) -> dict | None:
        """One crew's road route to the point (whatever its status), or None off the roads."""
        ...

    def valve_crews(self, valves: list[dict], crews: list[dict]) -> dict:
        """For an isolation plan's valves: who reaches each, and the time to isolation."""
        ...


class IsolationPlanner(Protocol):
    def plan(
        self,
        uow: Any,
        ticket: dict,
        crews: list[dict],
        router: CrewRouter | None,
        *,
        stuck: tuple[int, ...] = (),
    ) -> dict | None:
        """The isolation plan of an emergency ticket (``ticket`` has ``ticket_type``,
        ``category``, ``lon``, ``lat``), valves in ``stuck`` treated as not closable; None
        for other tickets. Spatial lookups go through the caller's unit of work."""
        ...


@dataclass(frozen=True)
class Ports:
    """The adapters a use case may call; a missing one means "not available here" (no road
    graph: no recommendations; no network: no isolation plan), never an error."""

    router: CrewRouter | None = None
    isolation: IsolationPlanner | None = None
