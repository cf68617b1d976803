"""A short storm with faults (``dispatch.storm_faults``) against ``dispatch serve`` with two
web processes: every connection to its database is ended (``pg_terminate_backend``) and one
web process is killed outright while hotline clients open tickets (retrying with the same
Idempotency-Key), dispatchers assign and managers read. Every acknowledged create is stored
exactly once, nothing answers 5xx except 503 with Retry-After, no ticket gets two crews, and
the API answers again within seconds of each fault."""

from __future__ import annotations

from dispatch.storm import token
from dispatch.storm_faults import children, fault_storm
from tests.e2e.test_serve_command import serve

RECOVERY_LIMIT_S = 10.0


def test_ending_the_database_connections_and_killing_a_web_process_loses_no_ticket(
    fresh_demo_dsn, tmp_path
):
    with serve(fresh_demo_dsn, tmp_path, "--workers", "2", "--no-worker") as base:
        tokens = {user: token(base, user) for user in ("hotline", "dispatcher", "manager")}
        summary = fault_storm(
            base,
            fresh_demo_dsn,
            base.process.pid,
            seconds=15,
            clients=6,
            faults=("db", "web"),
            tokens=tokens,
        )
        web_processes = children(base.process.pid)

    creates, faults = summary["creates"], summary["faults"]
    assert creates["acknowledged"] > 10, summary
    assert creates["stored_once"] == creates["acknowledged"], creates
    assert creates["lost"] == 0 and creates["stored_twice_or_more"] == 0, creates
    assert summary["server_errors"] == 0, summary["status"]
    assert summary["double_bookings"] == 0
    assert faults["db"]["connections_ended"] >= 2, "both web processes' pools were cut"
    assert faults["web"]["killed_pid"] not in web_processes
    assert len(web_processes) == 2, "gunicorn started a new web process"
    for fault in ("db", "web"):
        took = faults[fault]["recovery_s"]
        assert took is not None and took <= RECOVERY_LIMIT_S, (fault, faults[fault])
