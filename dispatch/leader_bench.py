"""Leader takeover benchmark: ``python -m dispatch.leader_bench [--rounds N]``.

The target: when the leading ``dispatch worker`` dies, a standby holds the leader lock and its
ticker has beaten within 10 s. This makes a throw-away database on the server the product would
use, loads the Helsinki demo territory (so a worker loads a real road graph and gas network),
starts one worker and waits until it leads and its ticker has beaten, starts a second and waits
until it says it stands by (everything loaded), then ``kill -9`` the leader and times:

- ``lock_s``: from the kill until the standby's connection holds the advisory lock;
- ``ticker_s``: from the kill until the standby's ticker has finished its first beat.

Then the killed worker is started again (the new standby, as ``dispatch serve``'s supervisor
does) and the next round kills the new leader. ``cold_start_s`` is how long a worker takes from
its start to standing by (loading the road graph and the rest): what a takeover would wait
without a warm standby. Progress goes to stderr; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from dispatch.storm_faults import leader_pid

STANDING_BY = "leader: standing by"
FIRST_BEAT = "ticker: first beat done"
POLL_S = 0.05


class Worker:
    """One ``dispatch worker`` process, its output in a file."""

    def __init__(self, dsn: str, log: Path) -> None:
        self.log = log
        env = {**os.environ, "DATABASE_URL": dsn, "MQTT_URL": "mqtt://127.0.0.1:1"}
        env.pop("DISPATCH_MQTT_CLIENT_ID", None)
        self.started = time.monotonic()
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "dispatch.cli", "worker"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def said(self, line: str) -> bool:
        return line in self.log.read_text()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _until(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(POLL_S)
    raise SystemExit(f"not within {timeout:g} s: {what}")


def measure(dsn: str, rounds: int, scratch: Path) -> dict:
    """Start two workers, then ``rounds`` times kill the leader and time the takeover."""
    workers: list[Worker] = []
    try:
        leader = Worker(dsn, scratch / "worker-0.log")
        workers.append(leader)
        _until(lambda: leader_pid(dsn) == leader.pid, 120, "the first worker leads")
        _until(lambda: leader.said(FIRST_BEAT), 60, "the first worker's ticker beats")
        cold: list[float] = []
        takeovers: list[dict] = []
        for n in range(1, rounds + 1):
            standby = Worker(dsn, scratch / f"worker-{n}.log")
            workers.append(standby)
            cold.append(_until(lambda s=standby: s.said(STANDING_BY), 120, "standing by"))
            _say(f"round {n}: standby {standby.pid} ready in {cold[-1]:.1f} s")
            time.sleep(1.0)  # a standby that has stood by a while, as in production
            killed_at = time.monotonic()
            leader.kill()
            _until(lambda s=standby: leader_pid(dsn) == s.pid, 60, "the standby leads")
            lock_s = time.monotonic() - killed_at
            _until(lambda s=standby: s.said(FIRST_BEAT), 60, "the standby beats")
            ticker_s = time.monotonic() - killed_at
            takeovers.append(
                {
                    "killed_pid": leader.pid,
                    "lock_s": round(lock_s, 2),
                    "ticker_s": round(ticker_s, 2),
                }
            )
            _say(f"round {n}: lock after {lock_s:.2f} s, first beat after {ticker_s:.2f} s")
            leader = standby
    finally:
        for worker in workers:
            worker.stop()
    locks = [t["lock_s"] for t in takeovers]
    beats = [t["ticker_s"] for t in takeovers]
    return {
        "rounds": rounds,
        "takeovers": takeovers,
        "lock_s_median": round(statistics.median(locks), 2),
        "lock_s_max": max(locks),
        "ticker_s_median": round(statistics.median(beats), 2),
        "ticker_s_max": max(beats),
        "cold_start_s_median": round(statistics.median(cold), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dispatch.leader_bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="takeovers to time (default 3)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    from dispatch.cli import main as dispatch_cli
    from gis.database import drop_database, ensure_database, resolve_server

    server = resolve_server()
    name = f"gd_leader_{uuid.uuid4().hex[:10]}"
    _say(f"server: {server.description}; database {name}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        dsn = ensure_database(server, name)
        os.environ["DATABASE_URL"] = dsn
        if dispatch_cli(["demo", "load"]) != 0:
            raise SystemExit("could not load the demo territory")
        with tempfile.TemporaryDirectory() as scratch:
            summary = measure(dsn, args.rounds, Path(scratch))
    finally:
        drop_database(server, name)
        _say(f"dropped database {name}")
    summary["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(summary))
    return 0 if summary["ticker_s_max"] <= 10.0 else 1


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
