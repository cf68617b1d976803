"""`dispatch worker` as an operator runs it: several real processes, one leader.

Only the leader runs the ticker (and the simulator); a second worker stands by, warm, with its
own connection, and takes over when the leader is killed outright (how fast: `python -m
dispatch.leader_bench`)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gis.database import connect

#: Generous bounds for a loaded machine: the test asserts who leads, not how fast.
WAIT_S = 60.0
STANDING_BY = "leader: standing by"
LEADS = "runs the background jobs"
FIRST_BEAT = "ticker: first beat done"


def _exe() -> str:
    return shutil.which("dispatch") or str(Path(sys.executable).with_name("dispatch"))


def _leader_pid(dsn: str) -> int | None:
    """The process whose connection holds the database's advisory lock, by the name its
    connection gives itself ("dispatch-leader <pid>")."""
    conn = connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                """SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                   WHERE l.locktype = 'advisory' AND l.granted
                     AND l.database = (SELECT oid FROM pg_database
                                       WHERE datname = current_database())"""
            )
            rows = cur.fetchall()
    finally:
        conn.close()
    assert len(rows) <= 1, f"more than one lock holder: {rows}"
    return int(rows[0][0].split()[-1]) if rows else None


def _wait_for(predicate, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(f"not within {timeout} s")


@pytest.fixture
def start_worker(migrated_dsn, tmp_path):
    started: list[subprocess.Popen] = []
    env = {**os.environ, "DATABASE_URL": migrated_dsn, "MQTT_URL": "mqtt://127.0.0.1:1"}

    def start(name: str) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{name}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [_exe(), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        started.append(process)
        return process, log

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def test_one_worker_leads_and_a_warm_standby_takes_over_when_the_first_is_killed(
    migrated_dsn, start_worker
):
    first, first_log = start_worker("first")
    _wait_for(lambda: _leader_pid(migrated_dsn) == first.pid, timeout=WAIT_S)
    _wait_for(lambda: FIRST_BEAT in first_log.read_text(), timeout=WAIT_S)
    second, second_log = start_worker("second")
    # The second worker has loaded everything and tries for the lock, but does not lead.
    _wait_for(lambda: STANDING_BY in second_log.read_text(), timeout=WAIT_S)
    time.sleep(2)  # it has tried (every second) and failed a few times
    assert first.poll() is None and second.poll() is None
    assert _leader_pid(migrated_dsn) == first.pid
    assert LEADS in first_log.read_text()
    assert LEADS not in second_log.read_text()
    assert FIRST_BEAT not in second_log.read_text()

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    _wait_for(lambda: _leader_pid(migrated_dsn) == second.pid, timeout=WAIT_S)
    _wait_for(lambda: FIRST_BEAT in second_log.read_text(), timeout=WAIT_S)

    took_over = second_log.read_text()
    # In this order: ready, standing by, leading, the ticker's first beat.
    assert took_over.index(STANDING_BY) < took_over.index(LEADS) < took_over.index(FIRST_BEAT)
    assert took_over.count(LEADS) == 1


def test_a_worker_stopped_with_sigterm_lets_go_of_the_lock(migrated_dsn, start_worker):
    worker, _ = start_worker("only")
    _wait_for(lambda: _leader_pid(migrated_dsn) == worker.pid, timeout=WAIT_S)

    worker.terminate()

    assert worker.wait(timeout=20) == 0
    assert _leader_pid(migrated_dsn) is None
