"""The isolation plan attached to an emergency ticket, in the API's shape.

``isolation``: ``valves`` (id, lon, lat, access note), ``pipes_out`` (main ids),
``affected_meters`` (count), ``critical_customers`` (list), ``warning_zone`` (GeoJSON and
counts), ``cameras`` (ranked ids, those covering the place first) and, when crews can be
routed, who reaches each valve and the expected time to isolation.
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


def isolation_for_ticket(
    cur, analyst: NetworkAnalyst, row: dict, *, stuck: tuple[int, ...] = (), recommender=None
) -> dict | None:
    """The plan for an emergency ticket with a location; None for other tickets."""
    if row["category"] != "emergency" or row["lon"] is None:
        return None
    lon, lat = float(row["lon"]), float(row["lat"])
    try:
        plan = analyst.isolation(cur, lon, lat, stuck_valve_ids=stuck)
    except ValueError as exc:  # an unknown stuck valve id
        raise InvalidInput(str(exc), "stuck") from None
    if "error" in plan:
        return None
    zone = warning_zone(
        cur,
        lon,
        lat,
        plan["leak"]["pressure_class"],
        situation=SITUATION_BY_TYPE.get(row["ticket_type"], "leak"),
    )
    cameras = cameras_for(cur, lon, lat)
    result = {
        "leak": plan["leak"],
        "valves": plan["valves"],
        "skipped_valves": plan["skipped_valves"],
        "stations_to_shut": plan["stations_to_shut"],
        "pipes_out": plan["pipes_out"],
        "affected_meters": plan["affected_meters"],
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
    if recommender is not None:
        from dispatch.crew_recommender import isolation_dispatch

        result["valve_crews"] = isolation_dispatch(recommender, plan["valves"])
    return result


def parse_stuck(text: str | None) -> tuple[int, ...]:
    """``?stuck=12,15`` as valve ids; a bad value names the parameter."""
    if not text:
        return ()
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise InvalidInput("`stuck` must be valve ids separated by commas", "stuck") from None
