"""The storm with faults: ``python -m dispatch.storm --faults``.

While clients open tickets (retrying an unanswered or 5xx create with the same
Idempotency-Key, as the hotline's screen does), race to assign crews and read the key figures,
and 50 crews publish GPS fixes over MQTT (QoS 1) to a private Mosquitto the storm starts on a
free port (never the system broker), :func:`fault_storm` does, one after another:

1. ``db``: ends every connection to the storm's database (``pg_terminate_backend``; the
   PostgreSQL server itself is shared and is not restarted);
2. ``web``: ``kill -9`` one gunicorn web process;
3. ``worker``: ``kill -9`` the leading ``dispatch worker`` child (its warm standby takes over,
   ``serve`` starts a new standby);
4. ``broker``: stops the private Mosquitto (gracefully: it saves its queues) and starts it again.

A probe reads one ticket list every 0.1 s; a fault's recovery time is from the fault to the end
of the first probe answered 200 after it (for ``worker``: until a new process holds the leader
lock; for ``broker``: until a fix published after the restart is stored). The summary counts
503s with ``Retry-After`` apart from other 5xx, requests left without any answer, creates
acknowledged vs stored (each exactly once, matched by the key written into the description),
fixes acknowledged by the broker vs stored, and tickets with two active crews.

The worker's consumer is named (``serve`` gives it a client id) and subscribes with an
ordinary subscription, which a persistent Mosquitto restores after its restart (2.0.11 restores
no shared ``$share/...`` one): the fixes published before the consumer is back are queued for
it, not lost (``gps.lost_sent_at_s`` would show when any were).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from dispatch import storm_repository
from gis.database import connect

CENTRE = (24.9466, 60.1712)
SPREAD_DEG = 0.004
FAULTS = ("db", "web", "worker", "broker")
CREATE_TRIES = 8
PROBE_EVERY_S = 0.1


def _http(base, method, path, token, body=None, headers=None, timeout=30.0):
    """(status, Retry-After present, payload); 599 when no answer came at all."""
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, False, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Retry-After") is not None, exc.read()
    except OSError:
        return 599, False, b""


class Record:
    """Every call: (kind, status, started at, seconds, had Retry-After), thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, int, float, float, bool]] = []

    def call(self, kind, base, method, path, token, body=None, headers=None):
        started = time.monotonic()
        status, retry_after, payload = _http(base, method, path, token, body, headers)
        with self.lock:
            self.calls.append((kind, status, started, time.monotonic() - started, retry_after))
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, None


# ---------------------------------------------------------------------------------------------
# A private broker and the crews' phones


class PrivateBroker:
    """Mosquitto on 127.0.0.1:<free port>, anonymous, persistent in ``directory`` (a graceful
    stop saves the queued fixes, the restart delivers them)."""

    def __init__(self, directory: Path) -> None:
        exe = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")
        if exe is None:
            raise SystemExit("the storm needs the mosquitto binary (apt-get install mosquitto)")
        self.exe, self.port = exe, _free_port()
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o777)  # started as root, mosquitto saves its queues as "mosquitto"
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {directory}/\n"
            "max_queued_messages 100000\nmax_inflight_messages 0\n"
        )
        self.log = directory / "mosquitto.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [self.exe, "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 10
        while not _accepts(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"mosquitto did not start: {self.log.read_text()[-500:]}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class Phones:
    """The crews' phones: one MQTT client publishing each crew's fix every ``every_s`` seconds
    with QoS 1; a fix counts as acknowledged when the broker's PUBACK arrives. Each fix has a
    time of its own, so the stored history can be matched one by one."""

    def __init__(self, port: int, crews: list[dict], every_s: float, rng: random.Random):
        import paho.mqtt.client as mqtt

        self.crews, self.every_s, self.rng = crews, every_s, rng
        self.pending: dict[int, tuple[int, datetime]] = {}  # mid → (crew, fix time)
        self.acked_mids: list[int] = []
        self.acknowledged: list[tuple[int, datetime]] = []
        self.sent = 0
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"storm-phones-{uuid.uuid4().hex[:8]}",
        )
        self.client.max_queued_messages_set(0)  # keep everything while the broker is away
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_publish = self._on_publish
        self.client.connect_async("127.0.0.1", port, keepalive=10)
        self.client.loop_start()

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        # Called by paho's network thread holding paho's own lock: never wait here for a lock
        # the publishing thread may hold while inside publish() (a deadlock).
        if not reason_code.is_failure:
            self.acked_mids.append(mid)  # list.append is atomic

    def run(self, until: float, faults_done: threading.Event) -> None:
        self.started = datetime.now(UTC)
        """Publish until ``until`` and until the last fault is over (its recovery is timed by
        fixes published after it)."""
        where = {c["id"]: (c["lon"], c["lat"]) for c in self.crews if c.get("lon")}
        while where and (time.monotonic() < until or not faults_done.is_set()):
            for crew_id, (lon, lat) in list(where.items()):
                lon, lat = lon + self.rng.uniform(-3e-5, 3e-5), lat + self.rng.uniform(-1e-5, 1e-5)
                where[crew_id] = lon, lat
                at = datetime.now(UTC)
                payload = json.dumps({"lon": lon, "lat": lat, "time": at.isoformat()})
                info = self.client.publish(f"crews/{crew_id}/position", payload, qos=1)
                self.pending[info.mid] = (crew_id, at)
                self.sent += 1
            time.sleep(self.every_s)

    def close(self, wait_s: float = 15.0) -> None:
        """Wait (a while) for the broker to acknowledge what was sent; then match the
        acknowledgements to the fixes (a storm sends fewer than 65,535, so mids are unique)."""
        deadline = time.monotonic() + wait_s
        while len(self.acked_mids) < self.sent and time.monotonic() < deadline:
            time.sleep(0.1)
        self.client.disconnect()
        self.client.loop_stop()
        acked = set(self.acked_mids)
        self.acknowledged = [fix for mid, fix in self.pending.items() if mid in acked]


# ---------------------------------------------------------------------------------------------
# The faults


def terminate_backends(dsn: str) -> int:
    """End every other connection to this database; how many."""
    conn = connect(dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            return storm_repository.terminate_other_backends(cur)
    finally:
        conn.close()


def children(pid: int) -> set[int]:
    """Every child of ``pid``, whichever of its threads started it."""
    tasks = Path(f"/proc/{pid}/task")
    found: set[int] = set()
    for task in tasks.iterdir():
        try:
            found |= {int(p) for p in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def _is_background_worker(pid: int) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"worker" in argv and any(a.endswith(b"dispatch.cli") for a in argv)


def web_workers(serve_pid: int) -> set[int]:
    return {p for p in children(serve_pid) if not _is_background_worker(p)}


def background_workers(serve_pid: int) -> set[int]:
    return {p for p in children(serve_pid) if _is_background_worker(p)}


def leader_pid(dsn: str) -> int | None:
    try:
        conn = connect(dsn)
    except Exception:  # asked again at the next poll
        return None
    try:
        with conn, conn.cursor() as cur:
            name = storm_repository.leader_application_name(cur)
    finally:
        conn.close()
    return int(name.split()[-1]) if name else None


def _wait(predicate, timeout: float, every: float = 0.1) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return round(time.monotonic() - started, 2)
        time.sleep(every)
    return None


# ---------------------------------------------------------------------------------------------
# The storm


def fault_storm(
    base: str,
    dsn: str,
    serve_pid: int,
    *,
    seconds: float,
    clients: int,
    faults: tuple[str, ...] = FAULTS,
    broker: PrivateBroker | None = None,
    tokens: dict[str, str],
    seed: int = 1,
) -> dict:
    """Run the storm against ``dispatch serve`` (pid ``serve_pid``) with ``faults`` spread over
    ``seconds``; the summary (see the module's docstring)."""
    record = Record()
    created: dict[str, int] = {}  # Idempotency-Key → ticket acknowledged
    given_up: list[str] = []
    recoveries: dict[str, dict] = {}
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    _, _, payload = _http(base, "GET", "/api/v1/crews", tokens["dispatcher"])
    crews = json.loads(payload)["crews"]
    crew_ids = [c["id"] for c in crews]

    def hotline(rng: random.Random) -> None:
        while time.monotonic() < deadline:
            key = uuid.uuid4().hex
            body = {
                "type": "gas_leak",
                "lon": CENTRE[0] + rng.uniform(-SPREAD_DEG, SPREAD_DEG),
                "lat": CENTRE[1] + rng.uniform(-SPREAD_DEG / 2, SPREAD_DEG / 2),
                "description": f"storm {key}",
            }
            for attempt in range(CREATE_TRIES):
                status, answer = record.call(
                    "create" if attempt == 0 else "create_retry",
                    base,
                    "POST",
                    "/api/v1/tickets",
                    tokens["hotline"],
                    body,
                    {"Idempotency-Key": key},
                )
                if status in (200, 201):
                    with lock:
                        created[key] = answer["ticket"]["id"]
                    break
                if status < 500:
                    break  # refused for a reason of its own: not retried
                time.sleep(min(2.0, 0.2 * 2**attempt))
            else:
                with lock:
                    given_up.append(key)

    def dispatcher(rng: random.Random) -> None:
        while time.monotonic() < deadline:
            status, answer = record.call(
                "queue", base, "GET", "/api/v1/tickets?status=new&limit=5", tokens["dispatcher"]
            )
            waiting = (answer or {}).get("tickets") or []
            if status != 200 or not waiting:
                time.sleep(0.1)
                continue
            record.call(
                "assign",
                base,
                "POST",
                f"/api/v1/tickets/{waiting[0]['id']}/assign",
                tokens["dispatcher"],
                {"crew_id": rng.choice(crew_ids)},
            )

    def reader(rng: random.Random) -> None:
        while time.monotonic() < deadline:
            record.call("kpis", base, "GET", "/api/v1/kpis", tokens["manager"])

    probes: list[tuple[float, float, int]] = []  # (started, ended, status)

    def probe() -> None:
        while time.monotonic() < deadline + 5:
            started = time.monotonic()
            status = _http(base, "GET", "/api/v1/tickets?limit=1", tokens["dispatcher"])[0]
            with lock:
                probes.append((started, time.monotonic(), status))
            time.sleep(PROBE_EVERY_S)

    def recovered_after(at: float, timeout: float = 30.0) -> float | None:
        """Seconds from ``at`` to the end of the first probe started after it answered 200."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with lock:
                ok = [e for s, e, code in probes if s >= at and code == 200]
            if ok:
                return round(ok[0] - at, 2)
            time.sleep(0.05)
        return None

    def window(at: float, until: float) -> dict:
        with record.lock:
            codes = Counter(str(c[1]) for c in record.calls if at <= c[2] < until)
        return dict(sorted(codes.items()))

    faults_done = threading.Event()
    fault_times: dict[str, float] = {}
    phones = None
    if broker is not None:
        if not _consumer_listening(broker.port, dsn, crews):
            raise SystemExit("the worker's GPS consumer never stored a fix")
        phones = Phones(broker.port, crews, every_s=2.0, rng=random.Random(seed))
        deadline = time.monotonic() + seconds

    def inject() -> None:
        step = seconds / (len(faults) + 1)
        for i, fault in enumerate(faults, start=1):
            time.sleep(max(0.0, deadline - seconds + i * step - time.monotonic()))
            at = time.monotonic()
            if fault == "db":
                ended = terminate_backends(dsn)
                recoveries["db"] = {"connections_ended": ended, "recovery_s": recovered_after(at)}
            elif fault == "web":
                recoveries["web"] = _kill_web_worker(serve_pid, lambda at=at: recovered_after(at))
            elif fault == "worker":
                recoveries["worker"] = _kill_background_worker(serve_pid, dsn)
            elif fault == "broker" and broker is not None:
                recoveries["broker"] = _restart_broker(broker, dsn)
            fault_times[fault] = at
        faults_done.set()

    rngs = [random.Random(seed + i) for i in range(clients)]
    roles = (hotline, hotline, dispatcher, reader)
    threads = [
        threading.Thread(target=roles[i % len(roles)], args=(rngs[i],)) for i in range(clients)
    ]
    threads.append(threading.Thread(target=probe))
    threads.append(threading.Thread(target=inject))
    if phones is not None:
        threads.append(threading.Thread(target=phones.run, args=(deadline, faults_done)))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    for fault, at in fault_times.items():  # what the clients got in the 10 s after each
        recoveries.setdefault(fault, {})["status_in_10s"] = window(at, at + 10)
    if phones is not None:
        phones.close()
        # The last fixes acknowledged by the broker may still be on their way to the database.
        _wait(lambda: _fixes_missing(dsn, phones.acknowledged) == 0, timeout=20, every=0.5)
    return _summary(dsn, record, created, given_up, recoveries, phones, took, clients)


def _kill_web_worker(serve_pid: int, recovered) -> dict:
    before = web_workers(serve_pid)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    # gunicorn's master forks a new one
    replaced = _wait(lambda: bool(web_workers(serve_pid) - before), timeout=30)
    return {"killed_pid": victim, "recovery_s": recovered(), "replaced_s": replaced}


def _kill_background_worker(serve_pid: int, dsn: str) -> dict:
    """``kill -9`` the leading worker (every worker when none holds the lock); the seconds
    until another process holds the lock (a warm standby, or one ``serve`` starts again)."""
    workers = background_workers(serve_pid)
    leader = leader_pid(dsn)
    victims = {leader} if leader in workers else workers
    for victim in victims:
        os.kill(victim, signal.SIGKILL)

    def new_leader() -> bool:
        pid = leader_pid(dsn)
        return pid is not None and pid not in victims

    took = _wait(new_leader, timeout=60, every=0.2)
    return {"killed_pids": sorted(victims), "new_leader_s": took}


def _restart_broker(broker: PrivateBroker, dsn: str, down_s: float = 2.0) -> dict:
    broker.stop()
    time.sleep(down_s)
    broker.start()
    restarted = datetime.now(UTC)
    took = _wait(lambda: _fix_stored_after(dsn, restarted), timeout=60, every=0.2)
    return {"down_s": down_s, "fixes_stored_again_s": None if took is None else round(took, 2)}


def _fixes_missing(dsn: str, fixes: list[tuple[int, datetime]]) -> int:
    if not fixes:
        return 0
    conn = connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            stored = set(storm_repository.fixes_since(cur, min(at for _, at in fixes)))
    finally:
        conn.close()
    return sum(1 for fix in fixes if fix not in stored)


def _consumer_listening(port: int, dsn: str, crews: list[dict], timeout: float = 60) -> bool:
    """Wait until the worker's consumer stores a fix: one published before any subscription
    exists is acknowledged by the broker and goes to nobody (not a loss the storm measures)."""
    from dispatch.mqtt_consumer import publish_fix

    crew = next(c for c in crews if c.get("lon"))
    since = datetime.now(UTC)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fix = {"lon": crew["lon"], "lat": crew["lat"], "time": datetime.now(UTC).isoformat()}
        with contextlib.suppress(OSError):
            publish_fix("127.0.0.1", port, crew["id"], fix)
        if _wait(lambda: _fix_stored_after(dsn, since), timeout=1.0, every=0.2) is not None:
            return True
    return False


def _fix_stored_after(dsn: str, at: datetime) -> bool:
    try:
        conn = connect(dsn)
    except Exception:  # asked again at the next poll
        return False
    try:
        with conn, conn.cursor() as cur:
            return storm_repository.fix_stored_after(cur, at)
    finally:
        conn.close()


def _summary(dsn, record, created, given_up, recoveries, phones, took, clients) -> dict:
    with record.lock:
        calls = list(record.calls)
    status = Counter(str(c[1]) for c in calls)
    retry_503 = sum(1 for c in calls if c[1] == 503 and c[4])
    other_5xx = sum(1 for c in calls if 500 <= c[1] < 599 and not (c[1] == 503 and c[4]))
    conn = connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            stored = storm_repository.storm_tickets_per_key(cur)
            double_bookings = storm_repository.double_bookings(cur)
            gps = None
            if phones is not None:
                acked = set(phones.acknowledged)
                rows = storm_repository.fixes_since(
                    cur, min((at for _, at in acked), default=datetime.now(UTC))
                )
                kept = Counter(rows)
                gps = {
                    "published": phones.sent,
                    "acknowledged": len(acked),
                    "stored": sum(1 for fix in acked if fix in kept),
                    "lost": sum(1 for fix in acked if fix not in kept),
                    "stored_twice": sum(1 for fix in acked if kept.get(fix, 0) > 1),
                    "lost_sent_at_s": sorted(
                        Counter(
                            round((at - phones.started).total_seconds())
                            for fix in acked
                            if fix not in kept
                            for at in (fix[1],)
                        ).items()
                    ),
                    "unacknowledged": phones.sent - len(acked),
                }
    finally:
        conn.close()
    acknowledged = set(created)
    return {
        "clients": clients,
        "seconds": round(took, 1),
        "requests": len(calls),
        "status": dict(sorted(status.items())),
        "server_errors": other_5xx,
        "retry_after_503": retry_503,
        "unanswered": status.get("599", 0),
        "creates": {
            "acknowledged": len(acknowledged),
            "stored_once": sum(1 for key in acknowledged if stored.get(key) == 1),
            "stored_twice_or_more": sum(1 for key in stored if stored[key] > 1),
            "lost": sum(1 for key in acknowledged if key not in stored),
            "given_up_unanswered": len(given_up),
            "stored_without_acknowledgement": sum(1 for key in stored if key not in created),
        },
        "gps": gps,
        "double_bookings": double_bookings,
        "faults": recoveries,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False
