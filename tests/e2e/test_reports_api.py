"""The regulators' records over the JSON API: the daily leak log (JSON and CSV), the monthly
buckets, the supervisor's review; answers checked against the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dispatch.simulation.history import generate
from dispatch.territory_ports import ports_for_territory
from tests.e2e.api_client import ApiClient, MovableClock

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(fresh_demo_dsn):
    router = ports_for_territory(fresh_demo_dsn).router
    generate(fresh_demo_dsn, router, days=3, until=date(2026, 3, 10), calls_per_day=60, now=NOW)
    api = ApiClient(fresh_demo_dsn, clock=MovableClock(NOW))
    yield api
    api.close()


def test_the_manager_reads_the_daily_leak_log_as_json_and_the_same_rows_as_csv(client):
    r = client.call("manager", "GET", "/reports/leak-log?date=2026-03-09")
    assert r.status_code == 200
    log = r.json
    assert log["date"] == "2026-03-09" and log["timezone"] == "Europe/Helsinki"
    assert log["rows"] and all(
        row["type"] in ("gas_leak", "indoor_leak_repair") for row in log["rows"]
    )
    assert all(row["received_at"].startswith("2026-03-09T") for row in log["rows"])
    raw = client.http.get(
        "/api/v1/reports/leak-log?date=2026-03-09&format=csv",
        headers={"Authorization": f"Bearer {client.token('manager')}"},
    )
    assert raw.status_code == 200 and raw.mimetype == "text/csv"
    assert "leak-log-2026-03-09.csv" in raw.headers["Content-Disposition"]
    lines = raw.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("number,location,lon,lat,received_at,type,dispatched_at")
    assert [line.split(",")[0] for line in lines[1:]] == [row["number"] for row in log["rows"]]


def test_the_monthly_buckets_add_up_to_the_months_reports(client):
    r = client.call("manager", "GET", "/reports/leak-buckets?month=2026-03")
    summary = r.json
    assert summary["reports"] == sum(summary["buckets"].values()) > 0
    bad = client.call("manager", "GET", "/reports/leak-buckets?month=March")
    assert bad.status_code == 400 and bad.json["field"] == "month"


def test_a_supervisor_reviews_a_finished_day_once_and_a_dispatcher_may_not(client):
    refused = client.call("dispatcher", "POST", "/reports/leak-log/2026-03-09/review")
    assert refused.status_code == 403
    done = client.call("manager", "POST", "/reports/leak-log/2026-03-09/review")
    assert done.status_code == 201
    assert done.json == {
        "date": "2026-03-09",
        "reviewed_by": "manager",
        "role": "manager",
        "reviewed_at": "2026-03-10T14:00:00+02:00",
    }
    again = client.call("admin", "POST", "/reports/leak-log/2026-03-09/review")
    assert again.status_code == 409 and "manager" in again.json["detail"]
    today = client.call("admin", "POST", "/reports/leak-log/2026-03-10/review")
    assert today.status_code == 400 and today.json["field"] == "date"
    log = client.call("dispatcher", "GET", "/reports/leak-log?date=2026-03-09").json
    assert log["review"]["reviewed_by"] == "manager"


def test_a_hotline_agent_may_not_read_the_regulators_records(client):
    assert client.call("hotline", "GET", "/reports/leak-log?date=2026-03-09").status_code == 403
