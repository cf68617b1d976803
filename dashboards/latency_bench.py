"""Ticket-to-wall latency benchmark: ``python -m dashboards.latency_bench [--quick]``.

The target: a ticket created through the API is visible on an open wall within 1 s p95. This
makes a throw-away database on the server the product would use, loads the Helsinki demo
territory, serves the control room (API and wall, as ``dispatch serve`` builds them, with its
event feed) on a free local port, opens the wall in headless Chromium logged in as the
dispatcher, and then, one at a time, creates a P1 gas-leak ticket with ``POST /api/v1/tickets``
(as the hotline would) and waits until its row is in the wall's queue. The latency is from just
before the POST is sent to the moment the row is in the page (the intake itself included).
Each ticket is cancelled afterwards (not timed), so the queue stays short and the next leak is
not linked to it as a duplicate. Prints progress on stderr and one JSON object on its last
line: ``{"tickets", "p50_ms", "p95_ms", "max_ms", "intake_p50_ms"}``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import threading
import time
import urllib.request
import uuid

import numpy as np

CHROMIUM = "/usr/bin/chromium"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards.latency_bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="15 tickets instead of 50")
    parser.add_argument("--tickets", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    count = 15 if args.quick else args.tickets

    from gis.database import drop_database, ensure_database, resolve_server

    server = resolve_server()
    name = f"gd_bench_{uuid.uuid4().hex[:10]}"
    _say(f"server: {server.description}; database {name}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        dsn = ensure_database(server, name)
        os.environ["DATABASE_URL"] = dsn
        from dispatch.cli import main as dispatch_cli

        if dispatch_cli(["demo", "load"]) != 0:
            raise SystemExit("could not load the demo territory")
        summary = _measure(dsn, count, random.Random(args.seed))
    finally:
        drop_database(server, name)
        _say(f"dropped database {name}")
    summary["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(summary))
    return 0


def _measure(dsn: str, count: int, rng: random.Random) -> dict:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from dashboards.composition_root import build_control_room
    from dispatch.cli import DEMO_PASSWORD
    from dispatch.settings import current

    room = build_control_room(dsn, current())
    room.feed.start()
    httpd = make_server("127.0.0.1", 0, room.app.server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    points = _leak_points(dsn, count, rng)
    hotline = _token(base, "hotline", DEMO_PASSWORD)
    dispatcher = _token(base, "dispatcher", DEMO_PASSWORD)
    latencies, intakes = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"{base}/login")
            page.fill("#username", "dispatcher")
            page.fill("#password", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("#wall-queue", timeout=60_000)
            page.wait_for_timeout(3000)  # the first refreshes and the event stream settle
            for i, (lon, lat) in enumerate(points):
                started = time.perf_counter()
                created = _post(
                    base, "/api/v1/tickets", hotline, {"type": "gas_leak", "lon": lon, "lat": lat}
                )
                intakes.append((time.perf_counter() - started) * 1e3)
                row_id = json.dumps({"index": created["ticket"]["id"], "type": "queue-row"})
                page.wait_for_function(
                    "id => document.getElementById(id) !== null",
                    arg=row_id.replace(" ", ""),
                    polling="raf",
                    timeout=30_000,
                )
                latencies.append((time.perf_counter() - started) * 1e3)
                _say(f"ticket {i + 1}/{count}: on the wall after {latencies[-1]:.0f} ms")
                _post(
                    base,
                    f"/api/v1/tickets/{created['ticket']['id']}/transition",
                    dispatcher,
                    {"status": "cancelled", "reason": "benchmark"},
                )
                page.wait_for_timeout(200)
            browser.close()
    finally:
        httpd.shutdown()
        room.feed.stop()
    return {
        "tickets": count,
        "p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "p95_ms": round(float(np.percentile(latencies, 95)), 1),
        "max_ms": round(max(latencies), 1),
        "intake_p50_ms": round(float(np.percentile(intakes, 50)), 1),
    }


def _leak_points(dsn: str, count: int, rng: random.Random) -> list[tuple[float, float]]:
    from dispatch.simulation import bench_repository
    from dispatch.simulation import simulation_repository as sites
    from dispatch.unit_of_work import UnitOfWork

    with UnitOfWork(dsn) as uow:
        bench_repository.freshen_crew_fixes(uow.cur)
        mains = sites.gas_main_lengths(uow.cur)
        chosen = [
            sites.point_along_main(uow.cur, rng.choice(mains)[0], rng.random())
            for _ in range(count)
        ]
    return [(p["lon"], p["lat"]) for p in chosen]


def _token(base: str, username: str, password: str) -> str:
    return _post(base, "/api/v1/auth/token", None, {"username": username, "password": password})[
        "token"
    ]


def _post(base: str, path: str, token: str | None, body: dict) -> dict:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
