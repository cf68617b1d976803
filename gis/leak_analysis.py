"""The gas network as the analyses see it, read from PostGIS, and the questions asked of it for
a leak: isolation plan and warning zone (cameras: :mod:`gis.cameras`). Coordinates EPSG:4326;
distances metres."""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass

import numpy as np

from gis.database import transaction
from gis.isolation import CRITICAL_CATEGORIES, PipeNetwork, affected_meters, trace

#: Warning-zone radius by pressure class (metres), before the situation's factor. CJJ51 asks
#: for a zone "sized to the leak"; these are the control room's defaults, configurable.
WARNING_RADIUS_M = {
    "low": 30.0,
    "medium_b": 50.0,
    "medium_a": 80.0,
    "sub_high_b": 120.0,
    "sub_high_a": 150.0,
    "high_b": 250.0,
    "high_a": 300.0,
}
SITUATION_FACTOR = {
    "leak": 1.0,
    "indoor_leak": 0.6,
    "third_party_damage": 1.5,
    "fire_explosion": 2.0,
    "no_gas": 0.0,
}


def load_network(conn) -> tuple[PipeNetwork, dict]:
    """The pipe network and the lookup tables that turn indices back into ids and places."""
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM pipe_nodes ORDER BY id")
        node_ids = np.array([r[0] for r in cur.fetchall()], dtype=np.int64)
        cur.execute("SELECT id, from_node, to_node, pressure_class FROM gas_mains ORDER BY id")
        mains = cur.fetchall()
        cur.execute(
            "SELECT v.id, v.main_id, v.operable, v.currently_open, v.access_note,"
            " ST_X(v.geom), ST_Y(v.geom), ST_LineLocatePoint(m.geom, v.geom)"
            " FROM valves v JOIN gas_mains m ON m.id = v.main_id ORDER BY v.id"
        )
        valves = cur.fetchall()
        cur.execute("SELECT node_id FROM regulator_stations")
        sources = [r[0] for r in cur.fetchall()]
        cur.execute(
            "SELECT s.main_id, c.id, c.category FROM customer_meters c"
            " JOIN service_pipes s ON s.id = c.service_pipe_id ORDER BY s.main_id, c.id"
        )
        meters = cur.fetchall()
    node_index = {int(n): i for i, n in enumerate(node_ids.tolist())}
    main_ids = np.array([m[0] for m in mains], dtype=np.int64)
    main_index = {int(m): i for i, m in enumerate(main_ids.tolist())}
    meter_main = np.array([main_index[m[0]] for m in meters], dtype=np.int64)
    per_main = np.bincount(meter_main, minlength=len(mains))
    network = PipeNetwork(
        main_id=main_ids,
        main_from=np.array([node_index[m[1]] for m in mains], dtype=np.int64),
        main_to=np.array([node_index[m[2]] for m in mains], dtype=np.int64),
        valve_id=np.array([v[0] for v in valves], dtype=np.int64),
        valve_main=np.array([main_index[v[1]] for v in valves], dtype=np.int64),
        valve_fraction=np.array([v[7] for v in valves], dtype=float),
        valve_operable=np.array([v[2] for v in valves], dtype=bool),
        valve_open=np.array([v[3] for v in valves], dtype=bool),
        source_nodes=np.array([node_index[s] for s in sources], dtype=np.int64),
        n_nodes=len(node_ids),
        meters_on_main=per_main,
        meter_ptr=np.concatenate([[0], np.cumsum(per_main)]),
        meter_ids=np.array([m[1] for m in meters], dtype=np.int64),
        meter_critical=np.array([m[2] in CRITICAL_CATEGORIES for m in meters], dtype=bool),
    )
    lookup = {
        "main_pressure": [m[3] for m in mains],
        "valve_place": [(float(v[5]), float(v[6])) for v in valves],
        "valve_note": [v[4] for v in valves],
        "main_index": main_index,
    }
    return network, lookup


@dataclass(frozen=True)
class LeakSnap:
    main_id: int
    fraction: float
    distance_m: float
    pressure_class: str


class NetworkAnalyst:
    """Answers the leak questions for one database. The network is read on first use and kept
    in memory; :meth:`refresh` re-reads it (valve states change rarely), and is meant to be
    called in the background (the ticker does, every minute) so that no question waits for a
    reload."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._lock = threading.Lock()
        self._loaded: tuple[PipeNetwork, dict] | None = None

    def reload(self) -> None:
        """Forget the network: the next question reads it again."""
        with self._lock:
            self._loaded = None

    def refresh(self) -> None:
        """Read the network again now, replacing the one in memory only when the read is done."""
        with transaction(self.dsn) as conn:
            loaded = load_network(conn)
        with self._lock:
            self._loaded = loaded

    def network(self) -> tuple[PipeNetwork, dict]:
        with self._lock:
            if self._loaded is None:
                with transaction(self.dsn) as conn:
                    self._loaded = load_network(conn)
            return self._loaded

    @staticmethod
    def snap_leak(cur, lon: float, lat: float) -> LeakSnap | None:
        """The main nearest to the point (PostGIS KNN), how far along it and how far away."""
        cur.execute(
            "SELECT id, ST_LineLocatePoint(geom, p), ST_Distance(geom::geography,"
            " p::geography), pressure_class FROM gas_mains,"
            " (SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326) AS p) q"
            " ORDER BY geom <-> p LIMIT 1",
            (lon, lat),
        )
        row = _values(cur.fetchone())
        return None if row is None else LeakSnap(int(row[0]), float(row[1]), float(row[2]), row[3])

    def isolation(
        self, cur, lon: float, lat: float, *, stuck_valve_ids: tuple[int, ...] = ()
    ) -> dict:
        """The isolation plan for a leak at (lon, lat): valves to close, mains out of supply,
        affected meters (count and critical customers), with the snapping distance."""
        snap = self.snap_leak(cur, lon, lat)
        if snap is None:
            return {"error": "no gas mains in the database"}
        network, lookup = self.network()
        unknown = [v for v in stuck_valve_ids if v not in network.valve_index]
        if unknown:
            raise ValueError(f"`stuck`: no valve {unknown[0]}")
        stuck = frozenset(network.valve_index[v] for v in stuck_valve_ids)
        plan = trace(network, lookup["main_index"][snap.main_id], snap.fraction, stuck=stuck)
        meter_ids, critical = affected_meters(network, plan.mains_out)
        critical_ids = meter_ids[critical].tolist()
        return {
            "leak": {
                "main_id": snap.main_id,
                "fraction": round(snap.fraction, 4),
                "snap_distance_m": round(snap.distance_m, 1),
                "pressure_class": snap.pressure_class,
            },
            "valves": [
                {
                    "id": int(network.valve_id[v]),
                    "lon": lookup["valve_place"][v][0],
                    "lat": lookup["valve_place"][v][1],
                    "access_note": lookup["valve_note"][v],
                }
                for v in plan.valves_to_close.tolist()
            ],
            "skipped_valves": [int(network.valve_id[v]) for v in plan.skipped_valves.tolist()],
            "stations_to_shut": len(plan.stations_to_shut),
            "pipes_out": network.main_id[plan.mains_out].tolist(),
            "affected_meters": plan.meters_affected,
            "affected_meter_ids": meter_ids.tolist(),
            "critical_customers": _critical(cur, critical_ids),
        }


def _critical(cur, meter_ids: list[int]) -> list[dict]:
    if not meter_ids:
        return []
    cur.execute(
        "SELECT id, account_no, category, address FROM customer_meters"
        " WHERE id = ANY(%s) ORDER BY array_position(%s, category), id",
        (meter_ids, list(CRITICAL_CATEGORIES)),
    )
    names = ("meter_id", "account_no", "category", "address")
    return [dict(zip(names, _values(r), strict=True)) for r in cur.fetchall()]


def _values(row):
    """Row values whether the cursor returns tuples or dicts."""
    if row is None or not isinstance(row, dict):
        return row
    return tuple(row.values())


def warning_zone(
    cur, lon: float, lat: float, pressure_class: str, *, situation: str = "leak"
) -> dict:
    """The warning zone around a leak: its radius (by pressure class and situation), its
    polygon (GeoJSON) and the buildings, meters and cameras inside it."""
    if pressure_class not in WARNING_RADIUS_M:
        raise ValueError(f"`pressure_class`: unknown pressure class {pressure_class!r}")
    if situation not in SITUATION_FACTOR:
        raise ValueError(f"`situation` must be one of {', '.join(SITUATION_FACTOR)}")
    radius = WARNING_RADIUS_M[pressure_class] * SITUATION_FACTOR[situation]
    # The index finds candidates in a box (degrees) a little larger than the circle; the
    # exact test is on the spheroid.
    box = radius / (111_000.0 * max(math.cos(math.radians(lat)), 0.05)) * 1.1
    cur.execute(
        "WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)"
        " SELECT ST_AsGeoJSON(ST_Buffer(p.g::geography, %(r)s, 16)::geometry, 6) AS polygon,"
        " (SELECT count(*) FROM buildings b WHERE b.geom && ST_Expand(p.g, %(box)s)"
        "   AND ST_DWithin(b.geom::geography, p.g::geography, %(r)s)) AS buildings,"
        " (SELECT count(*) FROM customer_meters c WHERE c.geom && ST_Expand(p.g, %(box)s)"
        "   AND ST_DWithin(c.geom::geography, p.g::geography, %(r)s)) AS meters,"
        " (SELECT coalesce(array_agg(k.id ORDER BY k.id), '{}') FROM cameras k"
        "   WHERE k.geom && ST_Expand(p.g, %(box)s)"
        "   AND ST_DWithin(k.geom::geography, p.g::geography, %(r)s)) AS cameras"
        " FROM p",
        {"lon": lon, "lat": lat, "r": radius, "box": box},
    )
    polygon, buildings, meters, cameras = _values(cur.fetchone())

    return {
        "radius_m": radius,
        "situation": situation,
        "pressure_class": pressure_class,
        "geometry": json.loads(polygon) if radius > 0 else None,
        "buildings": int(buildings),
        "meters": int(meters),
        "cameras": list(cameras),
    }


def plan_geojson(cur, plan: dict, zone: dict | None = None) -> dict:
    """An isolation plan as a GeoJSON FeatureCollection (EPSG:4326): the valves to close, the
    mains out of supply and, when given, the warning zone. For export and for the map."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [v["lon"], v["lat"]]},
            "properties": {
                "kind": "valve_to_close",
                "id": v["id"],
                "access_note": v["access_note"],
            },
        }
        for v in plan.get("valves", [])
    ]
    if plan.get("pipes_out"):
        cur.execute(
            "SELECT id, ST_AsGeoJSON(geom, 6) FROM gas_mains WHERE id = ANY(%s) ORDER BY id",
            (plan["pipes_out"],),
        )
        for row in cur.fetchall():
            main_id, geometry = _values(row)
            features.append(
                {
                    "type": "Feature",
                    "geometry": json.loads(geometry),
                    "properties": {"kind": "main_out_of_supply", "id": main_id},
                }
            )
    if zone and zone.get("geometry"):
        features.append(
            {
                "type": "Feature",
                "geometry": zone["geometry"],
                "properties": {"kind": "warning_zone", "radius_m": zone["radius_m"]},
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {"leak": plan.get("leak"), "affected_meters": plan.get("affected_meters")},
    }
