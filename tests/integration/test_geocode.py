"""Offline geocoding over the demo territory's OSM addresses and street names."""

import pytest

from dispatch.actor import Actor
from dispatch.errors import InvalidInput
from dispatch.ticket_service import open_ticket
from dispatch.unit_of_work import UnitOfWork
from gis.geocode import best_match, search_addresses

HOTLINE = Actor("hotline", "hotline_agent")


def _search(dsn, text, limit=5):
    with UnitOfWork(dsn) as uow:
        return search_addresses(uow.cur, text, limit=limit)


def test_an_exact_osm_address_is_the_first_candidate_with_score_one(demo_dsn):
    with UnitOfWork(demo_dsn) as uow:
        uow.cur.execute("SELECT address FROM buildings WHERE address ~ ' [0-9]+$' LIMIT 1")
        address = uow.cur.fetchone()["address"]

    first = _search(demo_dsn, address)[0]

    assert first["address"] == address and first["score"] == 1.0
    assert first["source"] == "building"
    assert 24.9 < first["lon"] < 25.0 and 60.1 < first["lat"] < 60.2


def test_a_misspelt_street_still_finds_the_street(demo_dsn):
    candidates = _search(demo_dsn, "Manerheimintie")

    assert candidates[0]["address"] == "Mannerheimintie"
    assert 0.5 < candidates[0]["score"] < 1.0
    assert [c["score"] for c in candidates] == sorted(
        (c["score"] for c in candidates), reverse=True
    )


def test_nonsense_finds_nothing(demo_dsn):
    assert _search(demo_dsn, "qqqq xxxx") == []
    assert _search(demo_dsn, "   ") == []


def test_best_match_refuses_to_guess_between_close_candidates():
    close = [{"score": 0.9}, {"score": 0.85}]
    clear = [{"score": 0.95}, {"score": 0.7}]

    assert best_match(close) is None
    assert best_match(clear) is clear[0]
    assert best_match([{"score": 0.5}]) is None


def test_a_ticket_by_a_clear_address_is_placed_there(fresh_demo_dsn):
    from datetime import UTC, datetime

    with UnitOfWork(fresh_demo_dsn) as uow:
        result = open_ticket(
            uow, {"type": "meter_fault", "address": "Mannerheimintie"}, HOTLINE, datetime.now(UTC)
        )
        assert 24.93 < result["ticket"]["lon"] < 24.95


def test_an_ambiguous_address_is_refused_with_its_candidates(fresh_demo_dsn):
    from datetime import UTC, datetime

    ambiguous = {"type": "meter_fault", "address": "Aleksanterinkatu 4"}
    with (
        pytest.raises(InvalidInput, match=r"`address`: .* is not a unique match; candidates:"),
        UnitOfWork(fresh_demo_dsn) as uow,
    ):
        open_ticket(uow, ambiguous, HOTLINE, datetime.now(UTC))
