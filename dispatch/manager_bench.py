"""The manager's reports at scale: ``python -m dispatch.manager_bench [--tickets N] [--quick]``.

Makes a throw-away database, loads the Helsinki demo territory, adds ``--tickets`` closed
tickets (default 1,000,000) spread over the last year in one SQL statement
(:func:`dispatch.simulation.bench_repository.add_closed_tickets`, ``generate_series``), lets
the triggers queue their cells and computes them once (:func:`sync_cells`, COPY; the
triggers of migration 0022 add each ticket to the daily response histograms as its cells are
stored), times a full rebuild of those histograms (:func:`rebuild_histograms`), then times,
for the last month and the last year:

* ``map``: the response-time map of H3 hexagons (level 8) read from the daily histograms
  (:func:`dispatch.manager_service.hexagon_map`, cell outlines included); ``map_r9`` the same
  at level 9 (more cells, more rows);
* ``map_exact``: the same map grouped ticket by ticket over the stored cells (exact
  percentiles, the path before the histograms; 3 runs), for comparison;
* ``trend``: the weekly median and 90th percentile, from the same histograms; ``trend_exact``
  grouped ticket by ticket (3 runs);
* ``summary``: the period's jobs, median and 90th percentile (the line above the map), from
  the histograms; ``summary_exact`` from every ticket of the period read into Python (the
  path before; 3 runs);
* ``compliance``: the share within target against every clock policy, counted by the
  database (:func:`dispatch.manager_repository.compliance_counts`), overall and per week;
* ``leak_log``: the daily leak log of yesterday (month only).

Prints progress on stderr and one JSON object on its last line with p50 / p95 / max in ms per
case. The target: the map of a year at most 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dispatch.manager_bench", description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="3 runs per case, not 10")
    args = parser.parse_args(argv)
    runs = 3 if args.quick else 10

    from gis.database import drop_database, ensure_database, resolve_server

    server = resolve_server()
    name = f"gd_mgrbench_{uuid.uuid4().hex[:10]}"
    _say(f"server: {server.description}; database {name}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    load = round(os.getloadavg()[0], 2)
    try:
        dsn = ensure_database(server, name)
        loading = _prepare(dsn, args.tickets)
        results = _measure(dsn, runs)
    finally:
        drop_database(server, name)
        _say(f"dropped database {name}")
    print(
        json.dumps(
            {
                "tickets": args.tickets,
                "loading_s": loading,
                "results": results,
                "runs": runs,
                "cpus": os.cpu_count(),
                "load_average_1min": {"start": load, "end": round(os.getloadavg()[0], 2)},
            }
        )
    )
    return 0


def _prepare(dsn: str, tickets: int) -> dict:
    from dispatch.cli import main as dispatch_cli
    from dispatch.manager_repository import rebuild_histograms, sync_cells
    from dispatch.simulation import bench_repository
    from dispatch.unit_of_work import UnitOfWork

    figures = {}
    started = time.perf_counter()
    os.environ["DATABASE_URL"] = dsn
    if dispatch_cli(["demo", "load"]) != 0:
        raise SystemExit("could not load the demo territory")
    figures["demo_load"] = round(time.perf_counter() - started, 1)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with UnitOfWork(dsn) as uow:
        added = bench_repository.add_closed_tickets(
            uow.cur, count=tickets, since=now - timedelta(days=365), now=now
        )
    figures["tickets"] = round(time.perf_counter() - started, 1)
    _say(f"{added} tickets added in {figures['tickets']} s")
    started = time.perf_counter()
    with UnitOfWork(dsn) as uow:
        cells = sync_cells(uow.cur)
    figures["cells"] = round(time.perf_counter() - started, 1)
    _say(f"cells of {cells} tickets computed and stored in {figures['cells']} s")
    started = time.perf_counter()
    with UnitOfWork(dsn) as uow:
        rows = rebuild_histograms(uow.cur)
    figures["histograms_rebuild"] = round(time.perf_counter() - started, 1)
    _say(f"{rows} histogram rows rebuilt in {figures['histograms_rebuild']} s")
    started = time.perf_counter()
    _vacuum_analyze(dsn)  # what autovacuum does in time: statistics, the visibility map
    figures["vacuum_analyze"] = round(time.perf_counter() - started, 1)
    return figures


def _vacuum_analyze(dsn: str) -> None:
    import psycopg2

    conn = psycopg2.connect(dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE tickets, ticket_h3_cells, response_histograms, assignments")
    finally:
        conn.close()


def _measure(dsn: str, runs: int) -> list[dict]:
    from dispatch import kpis, manager_service, report_service
    from dispatch.actor import Actor
    from dispatch.unit_of_work import UnitOfWork

    now = datetime.now(UTC)
    manager = Actor("manager", "manager")
    with UnitOfWork(dsn) as uow:
        today, _ = report_service.territory_today(uow, now)
    spans = {"month": today - timedelta(days=30), "year": today - timedelta(days=365)}
    yesterday = today - timedelta(days=1)

    def period(uow, span):
        return manager_service.Period(uow, spans[span], yesterday)

    def the_map(span, resolution=8, exact=False):
        with UnitOfWork(dsn) as uow:
            fc = manager_service.hexagon_map(uow, period(uow, span), now, resolution, exact=exact)
            return len(fc["features"])

    def trend(span, exact=False):
        with UnitOfWork(dsn) as uow:
            return len(manager_service.weekly_trend(uow, period(uow, span), now, exact=exact))

    def summary(span):
        with UnitOfWork(dsn) as uow:
            return manager_service.response_summary(uow, period(uow, span), now)["jobs"]

    def summary_exact(span):
        with UnitOfWork(dsn) as uow:
            p = period(uow, span)
            rows = report_service.period_rows(uow, p.first, p.last)
            return kpis.response_summary(rows, now)["jobs"]

    def compliance(span):
        with UnitOfWork(dsn) as uow:
            return manager_service.compliance_overall(uow, period(uow, span), now)[0]["decided"]

    def compliance_by_week(span):
        with UnitOfWork(dsn) as uow:
            return len(manager_service.compliance_breakdown(uow, period(uow, span), now, "week"))

    def leak_log(_span):
        with UnitOfWork(dsn) as uow:
            return len(report_service.leak_log(uow, manager, yesterday, now)["rows"])

    results = []
    for case, call, span_names, n in (
        ("map", the_map, ("month", "year"), runs),
        ("map_r9", lambda s: the_map(s, 9), ("month", "year"), runs),
        ("map_exact", lambda s: the_map(s, exact=True), ("month", "year"), min(runs, 3)),
        ("trend", trend, ("month", "year"), runs),
        ("trend_exact", lambda s: trend(s, exact=True), ("month", "year"), min(runs, 3)),
        ("summary", summary, ("month", "year"), runs),
        ("summary_exact", summary_exact, ("month", "year"), min(runs, 3)),
        ("compliance", compliance, ("month", "year"), runs),
        ("compliance_by_week", compliance_by_week, ("month", "year"), runs),
        ("leak_log", leak_log, ("day",), runs),
    ):
        for span in span_names:
            results.append(_time(f"{case}_{span}", lambda s=span, c=call: c(s), n))
    return results


def _time(case: str, call, runs: int) -> dict:
    call()  # warm-up: caches, plans
    times, size = [], None
    for _ in range(runs):
        started = time.perf_counter()
        size = call()
        times.append((time.perf_counter() - started) * 1e3)
    row = {
        "case": case,
        "runs": runs,
        "size": size,
        "p50_ms": round(float(np.percentile(times, 50)), 1),
        "p95_ms": round(float(np.percentile(times, 95)), 1),
        "max_ms": round(max(times), 1),
    }
    _say(json.dumps(row))
    return row


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
