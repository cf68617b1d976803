"""Isolation plans joined to the crews: who reaches each valve, and when isolation is expected."""

from dispatch import repository
from dispatch.territory_ports import ports_for_territory
from gis.database import connect
from gis.leak_analysis import NetworkAnalyst, plan_geojson, warning_zone

LEAK = (24.9466, 60.1712)


def test_each_valve_gets_a_crew_and_isolation_is_expected_when_the_last_is_reached(demo_dsn):
    router = ports_for_territory(demo_dsn).router
    conn = connect(demo_dsn)
    try:
        with conn.cursor() as cur:
            plan = NetworkAnalyst(demo_dsn).isolation(cur, *LEAK)
        crews = repository.list_crews(repository.dict_cursor(conn))
    finally:
        conn.close()

    result = router.valve_crews(plan["valves"], crews)

    assert [r["valve_id"] for r in result["valves"]] == [v["id"] for v in plan["valves"]]
    etas = [r["eta_s"] for r in result["valves"]]
    assert all(e is not None and e >= 0 for e in etas)
    assert result["expected_isolation_s"] == max(etas)
    own = [r["crew_id"] for r in result["valves"] if r["own_crew"]]
    assert len(own) == len(set(own))  # one crew per valve where there are enough crews


def test_the_plan_exports_as_geojson_with_valves_mains_and_zone(demo_dsn):
    conn = connect(demo_dsn)
    try:
        with conn.cursor() as cur:
            plan = NetworkAnalyst(demo_dsn).isolation(cur, *LEAK)
            zone = warning_zone(cur, *LEAK, plan["leak"]["pressure_class"])
            collection = plan_geojson(cur, plan, zone)
    finally:
        conn.close()

    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert kinds.count("valve_to_close") == len(plan["valves"])
    assert kinds.count("main_out_of_supply") == len(plan["pipes_out"])
    assert kinds.count("warning_zone") == 1
    assert collection["properties"]["affected_meters"] == plan["affected_meters"]
