"""A whole country's extract, end to end (needs ../shared; skipped with a reason otherwise)."""

import networkx as nx
import pytest

from gis.demo.store import store_territory
from gis.demo.territory import build_territory
from gis.osm_source import read_pbf
from tests.dbutil import fetch_all, fetch_value

pytestmark = pytest.mark.shared


def test_liechtenstein_loads_as_one_fed_network_with_its_villages_as_districts(
    liechtenstein_pbf, migrated_dsn
):
    territory = build_territory(read_pbf(liechtenstein_pbf), seed=7)
    store_territory(migrated_dsn, territory)

    counts = territory.counts()
    assert counts["gas_mains"] > 2000 and counts["customer_meters"] > 20000
    assert counts["crews"] >= 10 and counts["depots"] >= 2
    districts = {r[0] for r in fetch_all(migrated_dsn, "SELECT name FROM districts")}
    assert {"Vaduz", "Schaan", "Balzers", "Triesen"} <= districts
    graph = nx.Graph(fetch_all(migrated_dsn, "SELECT from_node, to_node FROM gas_mains"))
    sources = [r[0] for r in fetch_all(migrated_dsn, "SELECT node_id FROM regulator_stations")]
    assert set().union(*(nx.node_connected_component(graph, s) for s in sources)) == set(graph)
    assert (
        fetch_value(migrated_dsn, "SELECT count(*) FROM gas_mains WHERE NOT ST_IsValid(geom)") == 0
    )
