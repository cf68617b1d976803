"""GPS ingest benchmark: ``python -m dispatch.gps_bench [--quick] [--rate N] [--seconds S]
[--backlog N]``.

The target: at least 5,000 fixes a second, sustained, stored in PostGIS with none lost (every
fix the broker acknowledged to a publisher is in ``crew_positions``), and every crew's latest
position right at the end. This makes a throw-away database on the server the product would
use, loads the Helsinki demo territory with 500 crews, starts a private Mosquitto on a free
port, starts the product's :class:`dispatch.mqtt_consumer.PositionConsumer`, and publishes
from separate processes (QoS 1, each crew moving a few metres per fix) at ``--rate`` fixes a
second for ``--seconds``. Prints progress on stderr and one JSON object on its last line:
``{"rate_target", "seconds", "published", "acknowledged", "stored", "lost",
"ingest_per_s", "drain_s", "latest_right"}``.

Live, the figure is capped by what the publishers manage on the same 2 cores. ``--backlog N``
measures the consumer alone: a named consumer (persistent session, the ordinary subscription
of :mod:`dispatch.mqtt_consumer`) subscribes and goes away, ``N`` fixes (e.g. 300,000: a
minute at 5,000/s) are published and acknowledged while the broker queues them for it (no
queue limit in the bench's broker), then the consumer starts again and the time until all are
stored is its ingest capacity: ``{"backlog", "published", "acknowledged", "stored", "lost",
"publish_s", "ingest_s", "ingest_per_s", "latest_right"}``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

CREWS = 500
PUBLISHERS = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dispatch.gps_bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 s instead of 60 s")
    parser.add_argument("--rate", type=int, default=5000, help="fixes a second (default 5000)")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument(
        "--backlog",
        type=int,
        default=None,
        metavar="N",
        help="publish N fixes while the consumer is away, then time storing them all",
    )
    args = parser.parse_args(argv)
    if args.backlog is not None and args.backlog < 1:
        parser.error("--backlog must be at least 1")
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    mosquitto = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")
    if mosquitto is None:
        raise SystemExit("needs mosquitto (apt install mosquitto; ./run test installs it)")

    from gis.database import drop_database, ensure_database, resolve_server

    server = resolve_server()
    name = f"gd_bench_{uuid.uuid4().hex[:10]}"
    _say(f"server: {server.description}; database {name}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    broker = None
    try:
        dsn = ensure_database(server, name)
        crews = _prepare(dsn)
        with tempfile.TemporaryDirectory() as scratch:
            broker, port = _start_broker(mosquitto, Path(scratch))
            if args.backlog is not None:
                summary = _measure_backlog(dsn, port, crews, args.backlog)
            else:
                summary = _measure(dsn, port, crews, args.rate, seconds)
    finally:
        if broker is not None:
            broker.terminate()
            broker.wait(10)
        drop_database(server, name)
        _say(f"dropped database {name}")
    summary["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(summary))
    return 0


def _prepare(dsn: str) -> list[tuple[int, float, float]]:
    import random

    from dispatch.cli import main as dispatch_cli
    from dispatch.simulation import bench_repository
    from dispatch.unit_of_work import UnitOfWork
    from gis.osm_source import default_extract_path

    os.environ["DATABASE_URL"] = dsn
    # Helsinki, as the tests: the points and figures here are made for it (not the default
    # demo city).
    if dispatch_cli(["demo", "load", "--osm", str(default_extract_path())]) != 0:
        raise SystemExit("could not load the demo territory")
    with UnitOfWork(dsn) as uow:
        bench_repository.add_crews(
            uow.cur, total=CREWS, now=datetime.now(UTC), rng=random.Random(1)
        )
        bench_repository.freshen_crew_fixes(uow.cur)
        crews = [(c["id"], c["lon"], c["lat"]) for c in uow.crews.all()]
    _say(f"{len(crews)} crews")
    return crews


def _start_broker(mosquitto: str, scratch: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = scratch / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        # No queue limit: a backlog waits at the broker for the consumer, all of it.
        "max_queued_messages 0\nmax_queued_bytes 0\nmax_inflight_messages 0\n"
    )
    process = subprocess.Popen(
        [mosquitto, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("mosquitto did not start")


def _measure(dsn: str, port: int, crews, rate: int, seconds: float) -> dict:
    from dispatch.mqtt_consumer import PositionConsumer
    from dispatch.simulation import bench_repository
    from dispatch.unit_of_work import UnitOfWork

    with UnitOfWork(dsn) as uow:
        before = bench_repository.count_positions(uow.cur)
    consumer = PositionConsumer(dsn, host="127.0.0.1", port=port)
    consumer.start()
    if not consumer.wait_subscribed(10):
        raise SystemExit("the consumer did not subscribe")
    started = time.monotonic()
    sent, acked = _publish_in_processes(
        port, crews, [(rate / PUBLISHERS, seconds, 0)] * PUBLISHERS, timeout=seconds + 120
    )
    published_s = time.monotonic() - started
    _say(f"published {sent} fixes in {published_s:.1f} s, {acked} acknowledged by the broker")
    consumer.wait_for(acked, timeout=120)
    drained_s = time.monotonic() - started
    consumer.stop()
    stored, wrong_latest = _stored_since(dsn, before)
    return {
        "rate_target": rate,
        "seconds": seconds,
        "published": sent,
        "acknowledged": acked,
        "stored": stored,
        "rejected": consumer.rejected,
        "failed": consumer.failed,
        "lost": acked - stored,
        "ingest_per_s": round(stored / drained_s, 1),
        "drain_s": round(drained_s - published_s, 2),
        "latest_right": wrong_latest == 0,
    }


BACKLOG_CLIENT_ID = "gps-bench-backlog"


def _measure_backlog(dsn: str, port: int, crews, backlog: int) -> dict:
    from dispatch.mqtt_consumer import PositionConsumer
    from dispatch.simulation import bench_repository
    from dispatch.unit_of_work import UnitOfWork

    def consumer() -> PositionConsumer:
        return PositionConsumer(dsn, host="127.0.0.1", port=port, client_id=BACKLOG_CLIENT_ID)

    with UnitOfWork(dsn) as uow:
        before = bench_repository.count_positions(uow.cur)
    away = consumer()
    away.start()
    if not away.wait_subscribed(10):
        raise SystemExit("the consumer did not subscribe")
    away.stop()  # its session (and subscription) stays at the broker, which queues for it
    counts = [backlog // PUBLISHERS + (i < backlog % PUBLISHERS) for i in range(PUBLISHERS)]
    started = time.monotonic()
    sent, acked = _publish_in_processes(
        port, crews, [(None, None, count) for count in counts], timeout=600
    )
    publish_s = time.monotonic() - started
    _say(f"published {sent} fixes in {publish_s:.1f} s, {acked} acknowledged; consumer away")
    back = consumer()
    started = time.monotonic()
    back.start()
    if not back.wait_for(acked, timeout=600):
        _say(f"only {back.handled} of {acked} handled within 600 s")
    ingest_s = time.monotonic() - started
    back.stop()
    _say(f"stored the backlog in {ingest_s:.1f} s")
    stored, wrong_latest = _stored_since(dsn, before)
    return {
        "backlog": backlog,
        "published": sent,
        "acknowledged": acked,
        "stored": stored,
        "rejected": back.rejected,
        "failed": back.failed,
        "lost": acked - stored,
        "publish_s": round(publish_s, 2),
        "ingest_s": round(ingest_s, 2),
        "ingest_per_s": round(stored / ingest_s, 1),
        "latest_right": wrong_latest == 0,
    }


def _publish_in_processes(port: int, crews, plans, *, timeout: float) -> tuple[int, int]:
    """One publisher process per ``(rate, seconds, count)`` plan, each over its share of the
    crews (see :func:`_publish`); the fixes sent and acknowledged, summed."""
    results: multiprocessing.Queue = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(
            target=_publish, args=(port, crews[i :: len(plans)], rate, seconds, results, count)
        )
        for i, (rate, seconds, count) in enumerate(plans)
    ]
    for worker in workers:
        worker.start()
    sent = acked = 0
    for _ in workers:
        s, a = results.get(timeout=timeout)
        sent, acked = sent + s, acked + a
    for worker in workers:
        worker.join(10)
    return sent, acked


def _stored_since(dsn: str, before: int) -> tuple[int, int]:
    """Fixes stored since ``before`` was counted, and crews whose latest fix is not their last."""
    from dispatch.simulation import bench_repository
    from dispatch.unit_of_work import UnitOfWork

    with UnitOfWork(dsn) as uow:
        stored = bench_repository.count_positions(uow.cur) - before
        return stored, bench_repository.crews_with_a_wrong_latest_fix(uow.cur)


def _publish(
    port: int, crews, rate: float | None, seconds: float | None, results, count: int = 0
) -> None:
    """One publisher process: ``rate`` fixes a second for ``seconds``, round-robin over
    ``crews``; or, when ``rate`` is None, ``count`` fixes as fast as the broker takes them."""
    import paho.mqtt.client as mqtt

    from dispatch.mqtt_consumer import encode_fix, position_topic

    acked = 0

    def on_publish(client, userdata, mid, reason_code, properties) -> None:
        nonlocal acked
        acked += 1

    client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
    client.max_inflight_messages_set(2000)
    client.max_queued_messages_set(0)
    client.on_publish = on_publish
    client.connect("127.0.0.1", port, keepalive=60)
    client.loop_start()
    sent, started = 0, time.monotonic()
    step = 0
    while (sent < count) if rate is None else (time.monotonic() - started < seconds):
        due = count if rate is None else int((time.monotonic() - started) * rate)
        while sent < due:
            if rate is None and sent - acked >= 20_000:
                break  # a backlog: keep paho's own queue short, let the acknowledgements come
            crew_id, lon, lat = crews[sent % len(crews)]
            step = sent // len(crews)
            fix = {
                "lon": lon + 0.00001 * step,  # about half a metre a step
                "lat": lat,
                "time": datetime.now(UTC).isoformat(),
                "speed": 5.0,
                "heading": 90.0,
            }
            client.publish(position_topic(crew_id), encode_fix(fix), qos=1)
            sent += 1
        time.sleep(0.002)
    deadline = time.monotonic() + 120
    while acked < sent and time.monotonic() < deadline:
        time.sleep(0.05)
    client.loop_stop()
    client.disconnect()
    results.put((sent, acked))


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
