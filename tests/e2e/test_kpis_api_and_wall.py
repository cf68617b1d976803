"""GET /api/v1/kpis and the wall's figures on a real PostGIS: one day played through the API,
the same numbers in both places, each worked out by hand below."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboards.components import wall_parts
from dispatch import wall_read_model
from tests.dbutil import execute, fetch_all
from tests.e2e.api_client import ApiClient, MovableClock
from tests.e2e.site_work import finish_records, make_safe_records, mark_every_household

# Helsinki is UTC+3 in May: its 11 May runs from 10 May 21:00Z to 11 May 21:00Z.
NOW = datetime(2024, 5, 11, 20, 30, tzinfo=UTC)  # 23:30 on 11 May in Helsinki
KLUUVI = {"lon": 24.9466, "lat": 60.1712}
ESPLANADI = {"lon": 24.94, "lat": 60.17}  # about 370 m away: not a duplicate of a Kluuvi call


def at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2024, 5, day, hour, minute, tzinfo=UTC)


class Day:
    """Plays the control room's calls and steps at given times through the API."""

    def __init__(self, client: ApiClient, clock: MovableClock) -> None:
        self.client, self.clock = client, clock

    def call(self, when: datetime, user: str, method: str, path: str, body=None) -> dict:
        self.clock.now = when
        self.client.tokens.clear()  # a token lives 12 h; this story spans more than a day
        answer = self.client.call(user, method, path, json=body)
        assert answer.status_code in (200, 201), answer.json
        return answer.json

    def ticket(self, when: datetime, ticket_type: str = "gas_leak", where=KLUUVI) -> dict:
        body = {"type": ticket_type, **where, "description": "call of the day"}
        return self.call(when, "hotline", "POST", "/tickets", body)

    def run(self, ticket_id: int, crew_id: int, steps: list[tuple[datetime, str]]) -> None:
        """Assign ``crew_id`` at the first step's time, then the statuses at theirs."""
        (first, _), *_rest = steps
        self.call(first, "dispatcher", "POST", f"/tickets/{ticket_id}/assign", {"crew_id": crew_id})
        for when, status in steps[1:]:
            self.clock.now = when
            self.client.tokens.clear()
            # Real jobs: the crew keeps the site rules the status needs.
            if status == "made_safe":
                make_safe_records(self.client, "dispatcher", ticket_id)
            elif status == "gas_restored":
                mark_every_household(self.client, "dispatcher", ticket_id)
                finish_records(self.client, "dispatcher", ticket_id)
            self.call(
                when, "dispatcher", "POST", f"/tickets/{ticket_id}/transition", {"status": status}
            )


def to_site(assigned: datetime, arrived: datetime) -> list[tuple[datetime, str]]:
    minute = timedelta(minutes=1)
    return [
        (assigned, "assigned"),
        (assigned + minute, "accepted"),
        (assigned + 2 * minute, "en_route"),
        (arrived, "on_site"),
    ]


def closed_after(arrived: datetime) -> list[tuple[datetime, str]]:
    return [
        (arrived + timedelta(minutes=10), "made_safe"),
        (arrived + timedelta(minutes=30), "repaired"),
        (arrived + timedelta(minutes=35), "gas_restored"),
        (arrived + timedelta(minutes=40), "closed"),
    ]


@pytest.fixture
def played(fresh_demo_dsn):
    """The day, and a client whose clock stands at NOW."""
    clock = MovableClock(NOW)
    client = ApiClient(fresh_demo_dsn, clock=clock)
    day = Day(client, clock)
    # Every crew may take every job here: the story is about the figures, not about skills.
    execute(fresh_demo_dsn, "UPDATE crews SET skills = '{emergency,indoor_repair,meter}'")
    crews = [r[0] for r in fetch_all(fresh_demo_dsn, "SELECT id FROM crews ORDER BY id")]
    c = dict(zip("HABCDEF", crews, strict=False)) | {"idle": crews[7], "idle_stale": crews[8]}

    # Gas leaks (P1, urban: due 30 min after the call) unless said otherwise.
    h = day.ticket(at(10, 19, 30))["ticket"]["id"]  # reached 20:00Z = 23:00 on 10 May
    day.run(h, c["H"], to_site(at(10, 19, 31), at(10, 20, 0)) + closed_after(at(10, 20, 0)))
    a = day.ticket(at(10, 21, 40))["ticket"]["id"]  # 00:40 on 11 May; reached in 20 min
    day.run(a, c["A"], to_site(at(10, 21, 41), at(10, 22, 0)) + closed_after(at(10, 22, 0)))
    b = day.ticket(at(11, 8, 0))["ticket"]["id"]  # reached in 12 min
    day.run(b, c["B"], to_site(at(11, 8, 1), at(11, 8, 12)) + closed_after(at(11, 8, 12)))
    # An indoor leak repair (P2, due 6 h after the call), reached in 31 min and made safe.
    cc = day.ticket(at(11, 9, 0), "indoor_leak_repair")["ticket"]["id"]
    day.run(cc, c["C"], [*to_site(at(11, 9, 5), at(11, 9, 31)), (at(11, 9, 50), "made_safe")])
    d = day.ticket(at(11, 11, 0))["ticket"]["id"]  # reached in 45 min: 15 min late
    day.run(d, c["D"], to_site(at(11, 11, 1), at(11, 11, 45)))
    j = day.ticket(at(11, 12, 0))["ticket"]["id"]  # a false alarm, cancelled after 10 min
    day.call(
        at(11, 12, 10),
        "dispatcher",
        "POST",
        f"/tickets/{j}/transition",
        {"status": "cancelled", "reason": "the caller smelt paint"},
    )
    day.ticket(at(11, 15, 0), "consultation")  # no arrival clock
    e = day.ticket(at(11, 19, 0))["ticket"]["id"]  # on its way at NOW, due 19:30: missed
    day.run(e, c["E"], to_site(at(11, 19, 5), at(11, 19, 5))[:3])
    second_call = day.ticket(at(11, 19, 10))  # the same leak: linked to e
    assert second_call["duplicate_of"] == e
    day.ticket(at(11, 20, 4))  # nobody yet; due 20:34: 26 of 30 min gone at NOW
    f = day.ticket(at(11, 20, 20), where=ESPLANADI)["ticket"]["id"]  # 10 of 30 min gone
    day.run(f, c["F"], [(at(11, 20, 22), "assigned")])

    # The crews at NOW: the busy ones still on their jobs (C, D, E, F), two idle, the rest
    # gone off duty; fixes that old (s) — older than 300 s is stale.
    fix_age = {c["C"]: 30, c["D"]: 900, c["E"]: 45, c["F"]: 120, c["idle"]: 60}
    fix_age[c["idle_stale"]] = 600
    execute(
        fresh_demo_dsn,
        "UPDATE crews SET status = 'off_duty' WHERE id <> ALL(%s)",
        (list(fix_age),),
    )
    for crew_id, age in fix_age.items():
        execute(
            fresh_demo_dsn,
            "UPDATE crew_latest_positions SET recorded_at = %s WHERE crew_id = %s",
            (NOW - timedelta(seconds=age), crew_id),
        )
    clock.now = NOW
    client.tokens.clear()
    yield client
    client.close()


EXPECTED = {
    "day": "2024-05-11",
    # open, unlinked P1: D (on site), E (en route), the 20:04 call (new), F (assigned); the
    # linked second call, the cancelled one and the closed H, A, B are not; C is P2.
    "open_p1": 4,
    # E: 90 of 30 min gone; the 20:04 call: 26/30 = 0.87 >= 0.8; F: 10/30 is not.
    "at_risk": 2,
    # arrived on 11 May (Helsinki): A (22:00Z on 10 May), B, C, D; H arrived on 10 May.
    "arrivals_today": 4,
    "median_arrival_min_today": 25.5,  # 12 (B), 20 (A), 31 (C), 45 (D): (20 + 31) / 2
    # decided on 11 May: A, B, C on time; D late; E past 19:30 without a crew: 3 / 5. The
    # cancelled call (cancelled before its deadline), F and the 20:04 call (still within
    # their deadlines) are not counted; H was decided on 10 May.
    "share_within_target_today": 0.6,
    "crews_available": 1,  # the idle crew with a 60 s fix; the other idle one is stale
    "crews_busy": 3,  # C, E, F; D's crew (900 s) is stale
    "crews_stale": 2,
}


def test_the_api_and_the_wall_show_the_same_figures_worked_out_by_hand(played):
    from_api = played.call("manager", "GET", "/kpis")
    with played.api.uow() as uow:
        snapshot = wall_read_model.wall_snapshot(uow.cur, NOW)

    assert from_api.status_code == 200
    assert from_api.json == EXPECTED
    assert snapshot["kpis"] == EXPECTED


def test_the_walls_tiles_show_those_figures(played):
    with played.api.uow() as uow:
        figures = wall_read_model.wall_snapshot(uow.cur, NOW)["kpis"]

    tiles = {
        tile.children[1].children: tile.children[0].children
        for tile in wall_parts.kpi_tiles(figures, "en")
    }

    assert tiles["Median arrival today"] == "26 min"  # 25.5 shown to the minute
    assert tiles["Within target today"] == "60%"
    assert (tiles["Open P1"], tiles["At risk"]) == (4, 2)
    assert (tiles["Crews available"], tiles["Crews busy"], tiles["Crews stale"]) == (1, 3, 2)
