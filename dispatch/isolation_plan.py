"""The isolation plan of an emergency ticket: the isolation port of the ticket use cases.

A plan holds ``leak`` (main, snapping), ``valves`` (id, lon, lat, access note), ``pipes_out``
(main ids), ``affected_meters`` (count), ``affected_meter_ids`` (the households fed by the
isolated section), ``critical_customers``, ``warning_zone`` (GeoJSON and counts),
``cameras`` (ranked ids, those covering the place first) and, when crews can be routed,
``valve_crews``: who reaches each valve and the expected time to isolation.
"""

from __future__ import annotations

from dispatch.errors import InvalidInput
from gis.cameras import cameras_for
from gis.leak_analysis import NetworkAnalyst, warning_zone

#: The warning-zone situation each emergency type implies.
SITUATION_BY_TYPE = {
    "gas_leak": "leak",
    "third_party_damage": "third_party_damage",
    "fire_explosion": "fire_explosion",
    "no_gas_area": "no_gas",
}


class NetworkIsolationPlanner:
    """Implements :class:`dispatch.ports.IsolationPlanner` on the gas network the analyst
    holds in memory (loaded once, refreshed in the background); snapping the leak, the
    critical customers, the warning zone and the cameras are read in the caller's
    transaction."""

    def __init__(self, analyst: NetworkAnalyst) -> None:
        self.analyst = analyst

    def refresh(self) -> None:
        """Re-read the gas network (valve states may have changed)."""
        self.analyst.refresh()

    def plan(self, uow, ticket: dict, crews: list[dict], router, *, stuck=()) -> dict | None:
        if ticket["category"] != "emergency" or ticket["lon"] is None:
            return None
        cur = uow.cur
        lon, lat = float(ticket["lon"]), float(ticket["lat"])
        try:
            plan = self.analyst.isolation(cur, lon, lat, stuck_valve_ids=tuple(stuck))
        except ValueError as exc:  # an unknown stuck valve id
            raise InvalidInput(str(exc), "stuck") from None
        if "error" in plan:
            return None
        zone = warning_zone(
            cur,
            lon,
            lat,
            plan["leak"]["pressure_class"],
            situation=SITUATION_BY_TYPE.get(ticket["ticket_type"], "leak"),
        )
        cameras = cameras_for(cur, lon, lat)
        result = {
            "leak": plan["leak"],
            "valves": plan["valves"],
            "skipped_valves": plan["skipped_valves"],
            "stations_to_shut": plan["stations_to_shut"],
            "pipes_out": plan["pipes_out"],
            "affected_meters": plan["affected_meters"],
            # The households the two-valve rule asks about before gas-on (dispatch.site_rules).
            "affected_meter_ids": [int(m) for m in plan["affected_meter_ids"]],
            "critical_customers": plan["critical_customers"],
            "warning_zone": {
                "radius_m": zone["radius_m"],
                "geometry": zone["geometry"],
                "buildings": zone["buildings"],
                "meters": zone["meters"],
            },
            "cameras": [c["id"] for c in cameras],
            "cameras_covering": [c["id"] for c in cameras if c["covers"]],
        }
        if router is not None:
            result["valve_crews"] = router.valve_crews(plan["valves"], crews)
        return result
