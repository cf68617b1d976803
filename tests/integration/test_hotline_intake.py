"""Intake rules of the manual that the hotline depends on, on the demo territory in PostGIS:
a ticket opened by account takes the customer's name and phone (the caller stays the
caller); a ticket without an address gets the nearest one; a promised reply is shown and
watched by the ticker; every field ticket gets crews recommended by the skill it needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch import reply_service, ticket_service
from dispatch.actor import Actor
from dispatch.errors import Conflict
from dispatch.territory_ports import ports_for_territory
from dispatch.ticker import Ticker
from dispatch.ticket_service import Settings
from dispatch.unit_of_work import UnitOfWork
from tests.dbutil import fetch_value

HOTLINE = Actor("hotline", "hotline_agent")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
# A hand-made customer and building, at a point inside the demo territory.
SPOT = (24.9466, 60.1712)


@pytest.fixture
def dsn(fresh_demo_dsn):
    lon, lat = SPOT
    with UnitOfWork(fresh_demo_dsn) as uow:
        uow.cur.execute(
            "INSERT INTO customer_meters (id, meter_no, account_no, customer_name, phone,"
            " address, category, geom) VALUES (9200001, 'HX92000001', '992000001', '周敏',"
            " '13811112222', 'Testikuja 3, apt 2', 'residential',"
            " ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
            (lon, lat),
        )
        uow.cur.execute(
            "INSERT INTO buildings (id, osm_id, building, address, geom) VALUES (9200001, -1,"
            " 'yes', 'Testikuja 3',"
            " ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 0.00005)))",
            (lon, lat),
        )
    return fresh_demo_dsn


def _open(dsn, data, now=NOW, ports=None):
    with UnitOfWork(dsn) as uow:
        return ticket_service.open_ticket(uow, data, HOTLINE, now, ports=ports)


def test_a_ticket_by_account_takes_the_customers_name_and_phone_and_keeps_the_caller(dsn):
    made = _open(
        dsn,
        {
            "type": "meter_fault",
            "account_no": "992000001",
            "caller_name": "Neighbour Li",
            "caller_phone": "13900009999",
        },
    )["ticket"]
    assert (made["customer_name"], made["customer_phone"]) == ("周敏", "13811112222")
    assert (made["caller_name"], made["caller_phone"]) == ("Neighbour Li", "13900009999")
    assert made["address"] == "Testikuja 3, apt 2"
    with UnitOfWork(dsn) as uow:
        full = ticket_service.get_ticket(uow, made["id"], HOTLINE)
    assert [(c["name"], c["phone"]) for c in full["caller_list"]] == [
        ("Neighbour Li", "13900009999")
    ]


def test_without_a_customer_the_caller_is_the_customer(dsn):
    made = _open(
        dsn,
        {"type": "gas_leak", "lon": SPOT[0], "lat": SPOT[1], "caller_name": "Wang",
         "caller_phone": "13900001111"},
    )["ticket"]  # fmt: skip
    assert (made["customer_name"], made["customer_phone"]) == ("Wang", "13900001111")


def test_a_ticket_by_point_without_an_address_gets_the_nearest_buildings_address(dsn):
    made = _open(dsn, {"type": "gas_leak", "lon": SPOT[0], "lat": SPOT[1]})["ticket"]
    assert made["address"] == "Testikuja 3"


def test_a_point_with_no_building_address_near_gets_the_nearest_streets_name(dsn):
    lon, lat = SPOT
    with UnitOfWork(dsn) as uow:
        uow.cur.execute("UPDATE buildings SET address = NULL")
        uow.cur.execute(
            "INSERT INTO streets (id, osm_way_id, name, highway, geom) VALUES (9200001, -1,"
            " 'Testitie', 'residential', ST_SetSRID(ST_MakeLine(ST_MakePoint(%s, %s),"
            " ST_MakePoint(%s, %s)), 4326))",
            (lon - 0.001, lat, lon + 0.001, lat),
        )
    made = _open(dsn, {"type": "gas_leak", "lon": lon, "lat": lat})["ticket"]
    assert made["address"] == "Testitie"


def test_a_promised_reply_is_shown_and_raised_once_when_it_passes_without_a_reply(dsn):
    promised = NOW + timedelta(minutes=30)
    made = _open(
        dsn,
        {"type": "consultation", "caller_phone": "13900002222",
         "promised_reply_at": promised.isoformat()},
    )["ticket"]  # fmt: skip
    assert made["promised_reply_at"] == "2026-11-24T09:30:00+00:00"
    assert made["replied_at"] is None
    ticker = Ticker(dsn, Settings(), None, clock=lambda: NOW + timedelta(minutes=29))
    assert ticker.tick()["promised_replies_missed"] == []
    ticker.clock = lambda: NOW + timedelta(minutes=31)
    assert ticker.tick()["promised_replies_missed"] == [
        {"ticket_id": made["id"], "promised_reply_at": "2026-11-24T09:30:00+00:00"}
    ]
    assert ticker.tick()["promised_replies_missed"] == []  # raised once
    missed = fetch_value(
        dsn,
        "SELECT count(*) FROM outbox WHERE kind = 'promised_reply_missed' AND ticket_id = %s",
        (made["id"],),
    )
    assert missed == 1
    with UnitOfWork(dsn) as uow:
        due = reply_service.replies_due(uow)
    assert [d["id"] for d in due] == [made["id"]]


def test_a_reply_is_recorded_once_and_stops_the_clock(dsn):
    made = _open(
        dsn,
        {"type": "consultation", "promised_reply_at": (NOW + timedelta(hours=1)).isoformat()},
    )["ticket"]
    at = NOW + timedelta(minutes=40)
    with UnitOfWork(dsn) as uow:
        done = reply_service.record_reply(uow, made["id"], HOTLINE, at)
    assert done["late"] is False and done["replied_by"] == "hotline"
    with UnitOfWork(dsn) as uow, pytest.raises(Conflict):
        reply_service.record_reply(uow, made["id"], HOTLINE, at)
    with UnitOfWork(dsn) as uow:
        assert reply_service.check_promised_replies(uow, NOW + timedelta(hours=2), HOTLINE) == []
        assert reply_service.replies_due(uow) == []


def test_a_ticket_promised_no_reply_refuses_a_reply(dsn):
    made = _open(dsn, {"type": "consultation"})["ticket"]
    with UnitOfWork(dsn) as uow, pytest.raises(Conflict) as refused:
        reply_service.record_reply(uow, made["id"], HOTLINE, NOW)
    assert refused.value.field == "id"


@pytest.mark.parametrize(
    ("ticket_type", "skill"),
    [("meter_fault", "meter"), ("appliance_repair", "indoor_repair"),
     ("gas_on_ignition", "installation"), ("gas_leak", "emergency")],
)  # fmt: skip
def test_every_field_ticket_gets_crews_recommended_with_the_skill_it_needs(dsn, ticket_type, skill):
    ports = ports_for_territory(dsn)
    answer = _open(dsn, {"type": ticket_type, "account_no": "992000001"}, datetime.now(UTC), ports)
    offered = [o["crew_id"] for o in answer["recommendations"]]
    assert offered, f"no crew recommended for {ticket_type}"
    with UnitOfWork(dsn) as uow:
        uow.cur.execute("SELECT id, skills FROM crews WHERE id = ANY(%s)", (offered,))
        skills = {r["id"]: r["skills"] for r in uow.cur.fetchall()}
    assert all(skill in skills[c] for c in offered)
