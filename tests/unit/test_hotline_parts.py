"""The hotline page's pure parts: reading a typed time, the type box, the safety advice, the
ticket body built from the form, street names, late replies."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from dashboards.components.hotline_parts import parse_local_time, safety_advice, type_matches
from dashboards.hotline_callbacks import _ticket_body, choose_type
from dashboards.ids import HL_TYPE_INPUT
from dispatch.customer_search import house_number, street_of
from dispatch.reply_service import reply_overdue
from tests.unit.test_wall_callbacks import text_of

HELSINKI = ZoneInfo("Europe/Helsinki")  # UTC+2 in winter
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 10:00 in Helsinki


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("14:30", datetime(2026, 11, 30, 12, 30, tzinfo=UTC)),  # later today
        ("09:15", datetime(2026, 12, 1, 7, 15, tzinfo=UTC)),  # passed: tomorrow
        ("+30", datetime(2026, 11, 30, 8, 30, tzinfo=UTC)),
        ("+2h", datetime(2026, 11, 30, 10, 0, tzinfo=UTC)),
        ("2026-12-02 18:00", datetime(2026, 12, 2, 16, 0, tzinfo=UTC)),
        ("2026-12-02T18:00", datetime(2026, 12, 2, 16, 0, tzinfo=UTC)),
    ],
)
def test_a_typed_time_is_read_in_the_territorys_zone(typed, expected):
    assert parse_local_time(typed, NOW, HELSINKI) == expected


def test_no_time_is_none_and_nonsense_is_refused():
    assert parse_local_time("  ", NOW, HELSINKI) is None
    for bad in ("tomorrow", "25:00", "2026-13-01 10:00"):
        with pytest.raises(ValueError):
            parse_local_time(bad, NOW, HELSINKI)


def test_the_type_box_matches_english_chinese_and_codes_in_the_manuals_order():
    assert type_matches("leak", "en") == ["gas_leak", "indoor_leak_repair"]
    assert type_matches("表具", "zh-CN") == ["meter_fault"]
    assert type_matches("meter reading", "en") == ["meter_reading"]
    every = type_matches("", "en")
    assert len(every) == 17 and every[:4] == [
        "gas_leak",
        "third_party_damage",
        "fire_explosion",
        "no_gas_area",
    ]
    assert every[-3:] == ["consultation", "complaint", "suggestion"]


def test_enter_in_the_type_box_takes_the_first_match_and_its_department():
    assert choose_type(HL_TYPE_INPUT, "leak", "en") == ("gas_leak", "emergency_repair")
    assert choose_type(HL_TYPE_INPUT, "咨询", "zh-CN") == ("consultation", "customer_service")


def test_an_emergency_shows_the_banner_and_the_advice_a_repair_none():
    text = text_of(safety_advice("gas_leak", "en"))
    assert "EMERGENCY:" in text and "No open flame" in text and "Open doors and windows" in text
    assert "严禁明火" in text  # the other language, for a caller who needs it
    assert safety_advice("meter_fault", "en") == []


def test_the_customers_place_sends_the_account_a_map_click_sends_the_point_too():
    form = {"type": "meter_fault", "caller_phone": " 13900001111 ", "promised_reply": "+30"}
    customer = {"lon": 24.9, "lat": 60.1, "address": "A 1", "source": "customer",
                "account_no": "600000001"}  # fmt: skip
    assert _ticket_body(form, customer, NOW, HELSINKI) == {
        "type": "meter_fault",
        "account_no": "600000001",
        "caller_phone": "13900001111",
        "promised_reply_at": "2026-11-30T08:30:00+00:00",
    }
    clicked = {"lon": 24.95, "lat": 60.17, "address": "Testikatu", "source": "map"}
    assert _ticket_body({"type": "gas_leak"}, clicked, NOW, HELSINKI) == {
        "type": "gas_leak",
        "lon": 24.95,
        "lat": 60.17,
        "address": "Testikatu",
    }


@pytest.mark.parametrize(
    ("address", "street", "number"),
    [
        ("Mannerheimintie 12, apt 3", "Mannerheimintie", "12"),
        ("建国路88号3单元", "建国路", "88"),
        ("Kauppatori", "Kauppatori", None),
    ],
)
def test_the_street_of_an_address_is_its_text_before_the_first_digit(address, street, number):
    assert street_of(address) == street and house_number(address) == number


def test_a_promise_is_late_from_its_time_on_until_a_reply_is_given():
    promised = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert not reply_overdue(promised, None, datetime(2026, 11, 30, 8, 59, tzinfo=UTC))
    assert reply_overdue(promised, None, promised)
    assert not reply_overdue(promised, promised, datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    assert not reply_overdue(None, None, promised)
