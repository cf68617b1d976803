"""Names instead of ids on real PostGIS: the nearest address of a point, the street of a
valve, crew codes and users' roles in a ticket's history."""

from __future__ import annotations

from dispatch.display_names import AddressFallback, named_detail
from dispatch.unit_of_work import UnitOfWork
from gis.place_names import nearest_address, street_of
from tests.dbutil import execute

# A made-up place far from the demo city, so only what a test lays there is near it.
LON, LAT = 25.6, 60.6


def _lay_street_and_house(dsn: str) -> None:
    execute(
        dsn,
        "INSERT INTO streets (id, osm_way_id, name, highway, geom) VALUES"
        " (990001, 1, 'Testitie', 'residential', ST_GeomFromText("
        "'LINESTRING(25.599 60.6, 25.601 60.6)', 4326))"
        " ON CONFLICT DO NOTHING",
    )
    # A 10 m square house whose centre is 50 m north of the street (0.00045 degree).
    execute(
        dsn,
        "INSERT INTO buildings (id, osm_id, building, address, geom) VALUES"
        " (990001, 1, 'house', 'Testitie 5', ST_Multi(ST_Expand("
        "ST_SetSRID(ST_MakePoint(25.6, 60.60045), 4326), 0.00005)))"
        " ON CONFLICT DO NOTHING",
    )


def test_the_nearest_building_address_names_a_point_and_far_away_nothing_does(make_database):
    from gis.migrations import migrate

    dsn = make_database()
    migrate(dsn)
    _lay_street_and_house(dsn)
    with UnitOfWork(dsn) as uow:
        at_the_house = nearest_address(uow.cur, LON, LAT + 0.0004)
        on_the_street = street_of(uow.cur, LON + 0.0005, LAT + 0.0001)  # 11 m from it
        nowhere = nearest_address(uow.cur, 26.5, 61.5)
        no_street = street_of(uow.cur, 26.5, 61.5)

    assert at_the_house == "Testitie 5"
    assert on_the_street == "Testitie"
    assert nowhere is None and no_street is None


def test_without_a_house_the_nearest_street_is_the_address(make_database):
    from gis.migrations import migrate

    dsn = make_database()
    migrate(dsn)
    _lay_street_and_house(dsn)
    execute(dsn, "DELETE FROM buildings WHERE id = 990001")

    with UnitOfWork(dsn) as uow:
        assert nearest_address(uow.cur, LON, LAT - 0.0003) == "Testitie"  # 33 m south


def test_a_queued_ticket_without_an_address_gets_the_nearest_one_looked_up_once(make_database):
    from gis.migrations import migrate

    dsn = make_database()
    migrate(dsn)
    _lay_street_and_house(dsn)
    opened = []

    def uow():
        opened.append(1)
        return UnitOfWork(dsn)

    fallback = AddressFallback(uow)
    tickets = [
        {"id": 1, "address": None, "lon": LON, "lat": LAT + 0.0004},
        {"id": 2, "address": "Given 1", "lon": LON, "lat": LAT},
    ]

    first = fallback.fill(tickets)
    again = fallback.fill(tickets)

    assert first[0]["address"] == "Testitie 5" and first[0]["address_guessed"] is True
    assert first[1]["address"] == "Given 1" and "address_guessed" not in first[1]
    assert again == first
    assert len(opened) == 1  # a quiet wall reads the database no more


def test_the_history_names_the_crew_by_code_and_the_actor_by_role(demo_template, make_database):
    dsn = make_database(template=demo_template)
    with UnitOfWork(dsn) as uow:
        uow.cur.execute("SELECT id, code FROM crews ORDER BY id LIMIT 1")
        crew = uow.cur.fetchone()
        detail = {
            "ticket": {
                "id": 1,
                "address": "Kaisaniemenkatu 5",
                "lon": 24.9466,
                "lat": 60.1712,
                "crew_id": crew["id"],
            },
            "isolation": None,
            "events": [
                {"actor": "dispatcher", "event_type": "assigned", "data": {"crew_id": crew["id"]}},
                {"actor": "simulator", "event_type": "status_changed", "data": {}},
            ],
        }
        named = named_detail(uow.cur, detail)

    assert named["ticket"]["crew_code"] == crew["code"]
    assert crew["code"].startswith("E-")
    assert [e["crew_code"] for e in named["events"]] == [crew["code"], None]
    assert [e["actor_role"] for e in named["events"]] == ["dispatcher", None]
    assert named["timezone"] == "Europe/Helsinki"
