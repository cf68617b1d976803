"""A short storm (``dispatch.storm``) against ``dispatch serve`` with two web processes: many
clients opening, assigning, reading and posting GPS at once get no 5xx, every acknowledged
ticket is stored, a replayed Idempotency-Key gives the first ticket, no ticket gets two crews."""

from __future__ import annotations

from dispatch.storm import storm
from tests.e2e.test_serve_command import serve


def test_a_short_storm_on_two_web_processes_gets_no_server_error_and_loses_nothing(
    fresh_demo_dsn, tmp_path
):
    with serve(fresh_demo_dsn, tmp_path, "--workers", "2", "--no-worker") as base:
        summary = storm(base, fresh_demo_dsn, seconds=8, clients=12)

    kinds = summary["by_kind"]
    assert summary["server_errors"] == 0, summary["status"]
    assert summary["acknowledged"] > 0 and summary["lost"] == 0
    assert summary["replay_mismatches"] == 0 and summary["double_bookings"] == 0
    assert set(kinds) >= {"create", "queue", "kpis", "gps"}
    assert kinds["gps"]["status"] == {"201": kinds["gps"]["n"]}, "every plausible fix is stored"
