"""What a client can send must never become a 5xx: text the database cannot store, the same
Idempotency-Key twice at once, a busy or absent database (answered 503 with Retry-After)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from dispatch import auth
from gis.database import WaitingConnectionPool
from gis.errors import DatabaseBusy
from tests.dbutil import fetch_value
from tests.e2e.api_client import ApiClient

LEAK = {"type": "gas_leak", "lon": 24.9466, "lat": 60.1712}


@pytest.fixture
def client(fresh_demo_dsn):
    return ApiClient(fresh_demo_dsn)


@pytest.mark.parametrize(
    ("raw", "field", "problem"),
    [
        (
            b'{"type": "gas_leak", "lon": 24.9466, "lat": 60.1712, "description": "a\\u0000b"}',
            "description",
            "NUL",
        ),
        (
            b'{"type": "gas_leak", "lon": 24.9466, "lat": 60.1712, "caller_name": "\\ud800"}',
            "caller_name",
            "lone surrogate",
        ),
    ],
)
def test_text_the_database_cannot_store_is_refused_naming_the_field(client, raw, field, problem):
    answer = client.call("hotline", "POST", "/tickets", data=raw)

    assert answer.status_code == 400
    assert answer.json["field"] == field and problem in answer.json["detail"]
    assert fetch_value(client.api.dsn, "SELECT count(*) FROM tickets") == 0


def test_a_nul_in_a_query_parameter_is_refused_naming_it(client):
    answer = client.call("dispatcher", "GET", "/geocode?q=Mann%00erheim")

    assert answer.status_code == 400 and answer.json["field"] == "q"


def test_the_same_idempotency_key_sent_twice_at_once_opens_one_ticket(client):
    client.token("hotline")  # log in first, so both requests start together
    answers: list = []
    start = threading.Barrier(2)

    def post():
        start.wait()
        answers.append(
            client.call("hotline", "POST", "/tickets", json=LEAK, headers={"Idempotency-Key": "k"})
        )

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(a.status_code for a in answers) == [200, 201]
    assert len({a.json["ticket"]["id"] for a in answers}) == 1
    assert fetch_value(client.api.dsn, "SELECT count(*) FROM tickets") == 1


def test_a_pool_that_stays_busy_answers_503_with_retry_after(client):
    client.token("dispatcher")
    client.api._pool = WaitingConnectionPool(1, 1, client.api.dsn, wait_s=0.2)
    held = client.api.pool.getconn()
    try:
        answer = client.call("dispatcher", "GET", "/tickets")
    finally:
        client.api.pool.putconn(held)

    assert answer.status_code == 503 and answer.headers["Retry-After"] == "2"
    assert "busy" in answer.json["detail"]
    assert client.call("dispatcher", "GET", "/tickets").status_code == 200  # free again


def test_a_waiting_pool_hands_a_connection_on_when_one_is_returned_in_time(fresh_demo_dsn):
    pool = WaitingConnectionPool(1, 1, fresh_demo_dsn, wait_s=5)
    first = pool.getconn()
    threading.Timer(0.2, pool.putconn, args=(first,)).start()

    second = pool.getconn()  # waits for the first to come back
    pool.wait_s = 0.1
    try:
        with pytest.raises(DatabaseBusy, match="all 1 database connections stayed busy"):
            pool.getconn()
    finally:
        pool.putconn(second)
        pool.closeall()


def test_no_database_answers_503_with_retry_after():
    client = ApiClient.__new__(ApiClient)  # the contract document needs no database
    ApiClient.__init__(client, "host=127.0.0.1 port=1 dbname=x connect_timeout=1")

    answer = client.http.post("/api/v1/auth/token", json={"username": "a", "password": "b"})

    assert answer.status_code == 503 and answer.headers["Retry-After"] == "2"
    assert answer.json["error"] == "database_unavailable"


def test_an_unknown_user_costs_the_same_password_check_as_a_known_one(client, monkeypatch):
    checked: list[str] = []
    real = auth.check_password

    def counting(password, stored):
        checked.append(stored)
        return real(password, stored)

    monkeypatch.setattr(auth, "check_password", counting)
    for username in ("dispatcher", "nobody-such"):
        answer = client.http.post(
            "/api/v1/auth/token", json={"username": username, "password": "wrong-password"}
        )
        assert answer.status_code == 401 and answer.json["detail"] == "wrong username or password"

    assert len(checked) == 2 and all(h.startswith("scrypt$") for h in checked)


def _log_in(client, password: str, username: str = "dispatcher"):
    return client.http.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_after_five_failures_the_next_log_in_waits_two_seconds_even_with_the_right_password(
    fresh_demo_dsn,
):
    from tests.e2e.api_client import MovableClock

    clock = MovableClock()
    client = ApiClient(fresh_demo_dsn, clock=clock)
    for _ in range(5):
        assert _log_in(client, "wrong-password").status_code == 401

    refused = _log_in(client, "control-room")
    clock.now += timedelta(seconds=2)  # 5 failures: 2 s before the 6th attempt
    allowed = _log_in(client, "control-room")

    assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
    assert refused.json["error"] == "too_many_attempts" and refused.json["field"] == "username"
    assert allowed.status_code == 200 and allowed.json["role"] == "dispatcher"


def test_twenty_failures_lock_the_user_name_for_fifteen_minutes(fresh_demo_dsn):
    from tests.e2e.api_client import MovableClock

    clock = MovableClock()
    client = ApiClient(fresh_demo_dsn, clock=clock)
    for failures in range(20):
        # 6th to 20th attempts wait 2, 4, ..., 30 s: 240 s in all, inside the 15 minutes
        clock.now += timedelta(seconds=max(0, 2 * (failures - 4)))
        assert _log_in(client, "wrong-password").status_code == 401

    locked = _log_in(client, "control-room")
    clock.now += timedelta(seconds=900)
    after = _log_in(client, "control-room")

    assert locked.status_code == 429 and locked.headers["Retry-After"] == "900"
    assert after.status_code == 200
    assert (
        fetch_value(fresh_demo_dsn, "SELECT count(*) FROM login_attempts WHERE NOT succeeded") == 20
    )


def test_a_body_over_the_limit_is_refused_naming_the_limit(client):
    huge = b'{"type": "gas_leak", "description": "' + b"x" * (1024 * 1024) + b'"}'

    answer = client.call("hotline", "POST", "/tickets", data=huge)

    assert answer.status_code == 413 and answer.json["field"] == "body"
    assert "1048576 bytes" in answer.json["detail"]
