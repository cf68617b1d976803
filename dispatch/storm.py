"""A storm against a served control room: ``python -m dispatch.storm [--quick] [--workers N]
[--seconds S] [--clients C]``.

It makes a throw-away database on the server the product would use, loads the Helsinki demo
with its users (and 50 crews), starts ``dispatch serve --workers N`` (web processes and one
background worker) on a free port, and lets ``C`` concurrent clients hammer it for ``S``
seconds through the JSON API, as the people of a busy control room would at once:

- hotline agents open P1 leak tickets (a few replay their Idempotency-Key);
- dispatchers assign a recommended crew to the newest unassigned tickets (several race for
  the same ticket: one wins, the others get 409);
- managers and dispatchers read the key figures, the queue and single tickets;
- crews post GPS fixes.

Then it checks the database: every ticket the server acknowledged (201) is stored, a replayed
key gave the first ticket (no duplicates), no ticket has two active crews (no double booking).
Progress goes to stderr; the last line is JSON: ``{"workers", "clients", "seconds",
"requests", "per_s", "status", "server_errors", "by_kind": {kind: {"n", "p50_ms", "p95_ms",
"p99_ms"}}, "acknowledged", "stored", "lost", "replays", "replay_mismatches",
"double_bookings"}``. ``server_errors`` must be 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from dispatch import storm_repository

CREWS = 50
DEMO_PASSWORD = "control-room"
#: Leaks are opened around the centre of the Helsinki demo (inside its territory).
CENTRE = (24.9466, 60.1712)
SPREAD_DEG = 0.004


class Client:
    """One HTTP client with a bearer token; every call is recorded (kind, status, seconds)."""

    def __init__(self, base: str, token: str, record) -> None:
        self.base, self.token, self.record = base, token, record

    def call(self, kind: str, method: str, path: str, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + "/api/v1" + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                **(headers or {}),
            },
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, exc.read()
        except OSError:  # no answer at all counts as a server failure
            status, payload = 599, b""
        self.record(kind, status, time.perf_counter() - started, payload)
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, None


def token(base: str, username: str) -> str:
    request = urllib.request.Request(
        base + "/api/v1/auth/token",
        data=json.dumps({"username": username, "password": DEMO_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["token"]


def storm(base: str, dsn: str, *, seconds: float, clients: int, seed: int = 1) -> dict:
    """Run the storm against the server at ``base`` (its database at ``dsn``); the summary."""
    lock = threading.Lock()
    calls: list[tuple[str, int, float]] = []
    created: dict[int, str] = {}  # ticket id → Idempotency-Key
    replays: list[tuple[int, int]] = []  # (first ticket, ticket the replay answered)

    samples: dict[tuple[str, int], bytes] = {}

    def record(kind, status, took, payload=b""):
        with lock:
            calls.append((kind, status, took))
            if status >= 400 and (kind, status) not in samples:
                samples[kind, status] = payload[:300]
                _say(f"first {status} for {kind}: {payload[:300].decode(errors='replace')}")

    tokens = {user: token(base, user) for user in ("hotline", "dispatcher", "manager")}
    quiet = Client(base, tokens["dispatcher"], lambda *_: None)
    crews = quiet.call("crews", "GET", "/crews")[1]
    crew_ids = [c["id"] for c in crews["crews"]]
    deadline = time.monotonic() + seconds

    def hotline(rng: random.Random) -> None:
        client = Client(base, tokens["hotline"], record)
        while time.monotonic() < deadline:
            key = uuid.uuid4().hex
            body = {
                "type": "gas_leak",
                "lon": CENTRE[0] + rng.uniform(-SPREAD_DEG, SPREAD_DEG),
                "lat": CENTRE[1] + rng.uniform(-SPREAD_DEG / 2, SPREAD_DEG / 2),
            }
            status, answer = client.call(
                "create", "POST", "/tickets", body, {"Idempotency-Key": key}
            )
            if status != 201:
                continue
            first = answer["ticket"]["id"]
            with lock:
                created[first] = key
            if rng.random() < 0.2:  # the agent's screen retries the same call
                status, again = client.call(
                    "create_replay", "POST", "/tickets", body, {"Idempotency-Key": key}
                )
                if status == 200:
                    with lock:
                        replays.append((first, again["ticket"]["id"]))

    def dispatcher(rng: random.Random) -> None:
        client = Client(base, tokens["dispatcher"], record)
        while time.monotonic() < deadline:
            status, answer = client.call("queue", "GET", "/tickets?status=new&limit=5")
            waiting = (answer or {}).get("tickets") or []
            if status != 200 or not waiting:
                time.sleep(0.05)
                continue
            ticket = waiting[0]["id"]  # every dispatcher goes for the newest: they race
            client.call(
                "assign", "POST", f"/tickets/{ticket}/assign", {"crew_id": rng.choice(crew_ids)}
            )

    def reader(rng: random.Random) -> None:
        client = Client(base, tokens["manager"], record)
        while time.monotonic() < deadline:
            client.call("kpis", "GET", "/kpis")
            with lock:
                some = rng.choice(list(created)) if created else None
            if some is not None:
                client.call("ticket", "GET", f"/tickets/{some}")

    def crew(rng: random.Random, share: int, shares: int) -> None:
        """Drives its own share of the crews a few metres per fix, as phones would."""
        client = Client(base, tokens["dispatcher"], record)
        mine = [c for i, c in enumerate(crews["crews"]) if i % shares == share and c["lon"]]
        where = {c["id"]: (c["lon"], c["lat"]) for c in mine}
        while where and time.monotonic() < deadline:
            crew_id = rng.choice(list(where))
            lon, lat = where[crew_id]
            lon, lat = lon + rng.uniform(-3e-5, 3e-5), lat + rng.uniform(-1.5e-5, 1.5e-5)
            where[crew_id] = lon, lat
            fix = {"lon": lon, "lat": lat, "time": datetime.now(UTC).isoformat()}
            client.call("gps", "POST", f"/crews/{crew_id}/positions", fix)

    roles = (hotline, dispatcher, reader, crew)
    drivers = len(range(3, clients, len(roles)))
    threads = [
        threading.Thread(
            target=roles[i % len(roles)],
            args=(random.Random(seed + i), *((i // len(roles), drivers) if i % 4 == 3 else ())),
        )
        for i in range(clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    return _summary(dsn, calls, created, replays, took, clients)


def _summary(dsn, calls, created, replays, took, clients) -> dict:
    from gis.database import connect

    by_kind: dict[str, list[float]] = defaultdict(list)
    kind_status: dict[str, Counter] = defaultdict(Counter)
    for kind, code, seconds in calls:
        by_kind[kind].append(seconds)
        kind_status[kind][str(code)] += 1
    status = Counter(str(code) for _, code, _ in calls)
    conn = connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            stored = storm_repository.tickets_stored(cur, list(created))
            double_bookings = storm_repository.double_bookings(cur)
    finally:
        conn.close()
    return {
        "clients": clients,
        "seconds": round(took, 1),
        "requests": len(calls),
        "per_s": round(len(calls) / took, 1),
        "status": dict(sorted(status.items())),
        "server_errors": sum(n for code, n in status.items() if int(code) >= 500),
        "by_kind": {
            kind: {**_latencies(values), "status": dict(sorted(kind_status[kind].items()))}
            for kind, values in sorted(by_kind.items())
        },
        "acknowledged": len(created),
        "stored": stored,
        "lost": len(created) - stored,
        "replays": len(replays),
        "replay_mismatches": sum(first != again for first, again in replays),
        "double_bookings": double_bookings,
    }


def _latencies(values: list[float]) -> dict:
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"n": len(ordered), "p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99)}


# ---------------------------------------------------------------------------------------------
# The served app


def serve(
    dsn: str, workers: int, log_path: Path, mqtt_url: str = "mqtt://127.0.0.1:1"
) -> tuple[subprocess.Popen, str]:
    """``dispatch serve --workers N`` on a free port (MQTT pointed at nothing unless
    ``mqtt_url``); its URL once it answers."""
    exe = shutil.which("dispatch") or str(Path(sys.executable).with_name("dispatch"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": dsn, "MQTT_URL": mqtt_url}
    env.setdefault("DISPATCH_SECRET_KEY", uuid.uuid4().hex)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [exe, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return process, base
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"dispatch serve exited:\n{log_path.read_text()}") from None
            time.sleep(0.25)
    process.terminate()
    raise SystemExit("dispatch serve did not answer within 60 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dispatch.storm", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 s with 16 clients")
    parser.add_argument("--workers", type=int, default=4, help="web processes (default 4)")
    parser.add_argument("--seconds", type=float, default=None, help="default 60 (10 quick)")
    parser.add_argument("--clients", type=int, default=None, help="default 48 (16 quick)")
    parser.add_argument(
        "--faults",
        action="store_true",
        help="end the database's connections, kill a web process and the worker, restart a "
        "private Mosquitto during the run (dispatch.storm_faults)",
    )
    args = parser.parse_args(argv)
    if args.faults:  # fewer clients: the faults, not the load, are the point
        seconds = args.seconds or (20.0 if args.quick else 60.0)
        clients = args.clients or (8 if args.quick else 24)
    else:
        seconds = args.seconds or (10.0 if args.quick else 60.0)
        clients = args.clients or (16 if args.quick else 48)

    from dispatch.simulation import bench_repository
    from dispatch.unit_of_work import UnitOfWork
    from gis.database import drop_database, ensure_database, resolve_server
    from gis.osm_source import default_extract_path

    server = resolve_server()
    name = f"gd_storm_{uuid.uuid4().hex[:10]}"
    _say(f"server: {server.description}; database {name}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    process = broker = None
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"{name}-serve.log"
    try:
        dsn = ensure_database(server, name)
        from dispatch.cli import main as dispatch_cli

        os.environ["DATABASE_URL"] = dsn
        # Helsinki, as the tests: CENTRE and the figures are made for it (not the default
        # demo city).
        if dispatch_cli(["demo", "load", "--osm", str(default_extract_path())]) != 0:
            raise SystemExit("could not load the demo territory")
        with UnitOfWork(dsn) as uow:
            bench_repository.add_crews(
                uow.cur, total=CREWS, now=datetime.now(UTC), rng=random.Random(1)
            )
            bench_repository.freshen_crew_fixes(uow.cur)
        if args.faults:
            from dispatch.storm_faults import PrivateBroker

            broker = PrivateBroker(log_path.with_suffix(".broker"))
            broker.start()
            process, base = serve(dsn, args.workers, log_path, broker.url)
        else:
            process, base = serve(dsn, args.workers, log_path)
        _say(f"serving {base} with {args.workers} web processes; {clients} clients, {seconds:g} s")
        if args.faults:
            summary = {
                "workers": args.workers,
                **_fault_storm(base, dsn, process, broker, seconds, clients),
            }
        else:
            summary = {
                "workers": args.workers,
                **storm(base, dsn, seconds=seconds, clients=clients),
            }
        summary["load_average_1min"] = round(os.getloadavg()[0], 2)
    finally:
        if process is not None:
            stop(process)
        if broker is not None:
            broker.stop()
        drop_database(server, name)
        _say(f"dropped database {name}; server log {log_path}")
    print(json.dumps(summary))
    if args.faults:
        creates, gps = summary["creates"], summary["gps"] or {}
        clean = creates["lost"] == 0 and creates["stored_twice_or_more"] == 0
        clean = clean and gps.get("lost", 0) == 0 and summary["double_bookings"] == 0
        return 0 if clean and summary["server_errors"] == 0 else 1
    return 0 if summary["server_errors"] == 0 and summary["lost"] == 0 else 1


def _fault_storm(base, dsn, process, broker, seconds, clients) -> dict:
    from dispatch.storm_faults import fault_storm

    tokens = {user: token(base, user) for user in ("hotline", "dispatcher", "manager")}
    return fault_storm(
        base, dsn, process.pid, seconds=seconds, clients=clients, broker=broker, tokens=tokens
    )


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
