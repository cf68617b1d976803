"""The ports of the loaded territory: a road router on the graph of the extract it was built
from, and an isolation planner on its gas network. Built once, at start-up, by the
composition root (and by tests); the use cases receive them as :class:`dispatch.ports.Ports`."""

from __future__ import annotations

from dispatch import repository
from dispatch.crew_recommender import road_router_for_source
from dispatch.isolation_plan import NetworkIsolationPlanner
from dispatch.ports import Ports
from dispatch.unit_of_work import UnitOfWork
from gis.leak_analysis import NetworkAnalyst


def ports_for_territory(dsn: str, **router_options) -> Ports:
    """Ports for the territory in the database at ``dsn``. The road graph is loaded now (when
    the extract is at hand; otherwise there are no recommendations, with a logged reason); the
    gas network on first use, then refreshed in the background by the ticker."""
    with UnitOfWork(dsn) as uow:
        source = repository.territory_source(uow.cur)
    return Ports(
        router=road_router_for_source(source, **router_options),
        isolation=NetworkIsolationPlanner(NetworkAnalyst(dsn)),
    )
