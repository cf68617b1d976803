"""Gas-network analysis benchmark: ``python -m gis.bench [--quick]``.

Isolation traces on the demo network (from the product's database, when a territory is
loaded: snapping in PostGIS included) and on a generated network of about 100,000 pipes (in
memory). Prints progress, then one JSON object on its last line:
``{"results": [{"network", "pipes", "valves", "p50_ms", "p95_ms"}...]}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from gis.demo.grid_network import grid_network
from gis.isolation import affected_meters, trace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gis.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    args = parser.parse_args(argv)
    runs = 100 if args.quick else 500
    rng = np.random.default_rng(1)
    results = []

    side = 224  # 2·224·223 = 99,904 mains
    started = time.perf_counter()
    net = grid_network(side)
    net.segments()  # segmentation happens once per valve state, as the server does
    _say(
        f"generated {net.n_mains} mains, {len(net.valve_id)} valves "
        f"in {time.perf_counter() - started:.1f} s"
    )
    times, stuck_times = [], []
    for main in rng.integers(0, net.n_mains, runs):
        t = time.perf_counter()
        plan = trace(net, int(main), 0.5)
        affected_meters(net, plan.mains_out)
        times.append((time.perf_counter() - t) * 1e3)
    for main in rng.integers(0, net.n_mains, max(20, runs // 10)):
        plan = trace(net, int(main), 0.5)
        stuck = frozenset(plan.valves_to_close[:1].tolist())
        t = time.perf_counter()
        trace(net, int(main), 0.5, stuck=stuck)
        stuck_times.append((time.perf_counter() - t) * 1e3)
    results.append(_row("generated_grid", net, "isolation_trace", times))
    results.append(_row("generated_grid", net, "isolation_retrace_one_valve_stuck", stuck_times))
    results += _demo(runs, rng)
    print(json.dumps({"results": results, "quick": args.quick}))
    return 0


def _demo(runs: int, rng) -> list[dict]:
    from gis.cameras import cameras_for
    from gis.database import connect, resolve_database
    from gis.errors import GisError
    from gis.leak_analysis import NetworkAnalyst, warning_zone

    try:
        database = resolve_database()
        conn = connect(database.dsn)
    except GisError as exc:
        _say(f"demo network skipped: {exc}")
        return []
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('gas_mains') IS NOT NULL")
        if not cur.fetchone()[0]:  # a database that was never migrated: say what to run
            conn.close()
            _say(
                f"demo network skipped: {database.description} has no tables;"
                " run `dispatch db migrate && dispatch demo load` first"
            )
            return []
        cur.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM"
            " (SELECT ST_Extent(geom) AS e FROM gas_mains) q"
        )
        box = cur.fetchone()
        if box[0] is None:
            _say("demo network skipped: no territory loaded (dispatch demo load)")
            return []
        analyst = NetworkAnalyst(database.dsn)
        network, _ = analyst.network()
        lon = rng.uniform(box[0], box[2], runs)
        lat = rng.uniform(box[1], box[3], runs)
        iso, zone, cams = [], [], []
        for x, y in zip(lon, lat, strict=True):
            t = time.perf_counter()
            plan = analyst.isolation(cur, float(x), float(y))
            iso.append((time.perf_counter() - t) * 1e3)
            t = time.perf_counter()
            warning_zone(cur, float(x), float(y), plan["leak"]["pressure_class"])
            zone.append((time.perf_counter() - t) * 1e3)
            t = time.perf_counter()
            cameras_for(cur, float(x), float(y))
            cams.append((time.perf_counter() - t) * 1e3)
    conn.close()
    name = f"demo ({database.description})"
    return [
        _row(name, network, "isolation_trace_with_postgis_snap", iso),
        _row(name, network, "warning_zone_query", zone),
        _row(name, network, "cameras_query", cams),
    ]


def _row(name, net, method, times) -> dict:
    t = np.asarray(times)
    row = {
        "network": name,
        "pipes": int(net.n_mains),
        "valves": len(net.valve_id),
        "method": method,
        "p50_ms": round(float(np.percentile(t, 50)), 3),
        "p95_ms": round(float(np.percentile(t, 95)), 3),
        "runs": len(t),
    }
    _say(f"{name[:40]:>40} {method:<36} p50 {row['p50_ms']:>8} ms  p95 {row['p95_ms']:>8} ms")
    return row


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
