"""Intake benchmark: ``python -m dispatch.bench [--quick]``.

The target: opening a P1 gas-leak ticket — locate, deadlines, duplicate check, the crews
recommended by road, the isolation plan (valves, pipes out, meters, warning zone, cameras,
crews to valves), all stored in one transaction — takes at most 150 ms p95 on the demo
territory. This makes a throw-away database on the server the product itself would use,
migrates it, loads the Helsinki demo territory (crews reporting fresh fixes), builds the ports
as ``dispatch serve`` does, and times, for leaks at random points on the mains:

* ``open_ticket``: :func:`dispatch.ticket_service.open_ticket` in its own unit of work from a
  connection pool, commit included (the use case alone);
* ``post_tickets``: ``POST /api/v1/tickets`` through the Flask app (validation, the use case,
  rendering the JSON answer), as a hotline agent's browser or the CAD link would call it.

Each ticket is cancelled after it is timed (not timed), so the next leak is not linked to it as
a duplicate. Prints progress on stderr and one JSON object on its last line:
``{"results": [{"case", "runs", "p50_ms", "p95_ms", "max_ms", "recommended_mean",
"with_plan"}...]}``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
import uuid
from datetime import UTC, datetime

import numpy as np

WARM_UP = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dispatch.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="30 tickets per case, not 200")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    runs = 30 if args.quick else 200

    from gis.database import drop_database, ensure_database, resolve_server

    server = resolve_server()
    name = f"gd_bench_{uuid.uuid4().hex[:10]}"
    _say(f"server: {server.description}; database {name}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    load_at_start = round(os.getloadavg()[0], 2)
    try:
        dsn = ensure_database(server, name)
        _prepare(dsn)
        results = _measure(dsn, runs, random.Random(args.seed))
    finally:
        drop_database(server, name)
        _say(f"dropped database {name}")
    print(
        json.dumps(
            {
                "results": results,
                "runs": runs,
                "server": server.description,
                "cpus": os.cpu_count(),
                "load_average_1min": {"start": load_at_start, "end": round(os.getloadavg()[0], 2)},
            }
        )
    )
    return 0


def _prepare(dsn: str) -> None:
    from dispatch.cli import main as dispatch_cli

    started = time.perf_counter()
    os.environ["DATABASE_URL"] = dsn
    if dispatch_cli(["demo", "load"]) != 0:
        raise SystemExit("could not load the demo territory")
    _say(f"demo territory loaded in {time.perf_counter() - started:.1f} s")


def _measure(dsn: str, runs: int, rng: random.Random) -> list[dict]:
    from psycopg2.pool import ThreadedConnectionPool

    from dispatch.actor import Actor
    from dispatch.simulation import bench_repository
    from dispatch.simulation import simulation_repository as sites
    from dispatch.territory_ports import ports_for_territory
    from dispatch.ticket_service import open_ticket, transition_ticket
    from dispatch.unit_of_work import UnitOfWork

    ports = ports_for_territory(dsn)
    if ports.router is None:
        raise SystemExit("no road graph for the demo territory: nothing to measure")
    pool = ThreadedConnectionPool(1, 4, dsn)
    hotline, dispatcher = Actor("hotline", "hotline_agent"), Actor("dispatcher", "dispatcher")
    with UnitOfWork(pool) as uow:
        # The crews report in now, as they do all day.
        bench_repository.freshen_crew_fixes(uow.cur)
        mains = sites.gas_main_lengths(uow.cur)
        points = [
            sites.point_along_main(uow.cur, rng.choice(mains)[0], rng.random())
            for _ in range(2 * (runs + WARM_UP))
        ]
    ports.isolation.refresh()  # the gas network, loaded at start-up as the ticker does
    leaks = iter(points)

    def leak() -> dict:
        point = next(leaks)
        return {"type": "gas_leak", "lon": point["lon"], "lat": point["lat"]}

    def cancel(ticket_id: int) -> None:
        with UnitOfWork(pool) as uow:
            transition_ticket(uow, ticket_id, "cancelled", dispatcher, _now(), reason="bench")

    def use_case() -> dict:
        with UnitOfWork(pool) as uow:
            return open_ticket(uow, leak(), hotline, _now(), ports=ports)

    client, token = _api_client(dsn, ports)

    def http() -> dict:
        response = client.post(
            "/api/v1/tickets", json=leak(), headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code != 201:
            raise SystemExit(f"POST /tickets answered {response.status_code}: {response.json}")
        return response.json

    results = [
        _time("open_ticket", use_case, runs, cancel),
        _time("post_tickets", http, runs, cancel),
    ]
    pool.closeall()
    return results


def _api_client(dsn: str, ports):
    import flask

    from dispatch.api import Api, create_blueprint
    from dispatch.cli import DEMO_PASSWORD

    app = flask.Flask(__name__)
    app.register_blueprint(create_blueprint(Api(dsn, ports=ports)))
    client = app.test_client()
    login = {"username": "hotline", "password": DEMO_PASSWORD}
    token = client.post("/api/v1/auth/token", json=login).json["token"]
    return client, token


def _time(case: str, call, runs: int, cancel) -> dict:
    times, recommended, planned = [], [], 0
    for i in range(WARM_UP + runs):
        started = time.perf_counter()
        answer = call()
        elapsed = (time.perf_counter() - started) * 1e3
        cancel(answer["ticket"]["id"])
        if i < WARM_UP:
            continue
        times.append(elapsed)
        recommended.append(len(answer["recommendations"]))
        planned += answer["isolation"] is not None
    row = {
        "case": case,
        "runs": runs,
        "p50_ms": round(float(np.percentile(times, 50)), 1),
        "p95_ms": round(float(np.percentile(times, 95)), 1),
        "max_ms": round(max(times), 1),
        "recommended_mean": round(float(np.mean(recommended)), 2),
        "with_plan": planned,
    }
    _say(json.dumps(row))
    return row


def _now() -> datetime:
    return datetime.now(UTC)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
