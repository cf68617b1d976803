"""Response-time clocks with an injected 'now'."""

from datetime import UTC, datetime, timedelta

from dispatch.clocks import ClockPolicy, add_working_days, deadlines, due_alerts
from dispatch.settings import load_settings

T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday


def test_urban_leaks_are_due_in_30_minutes_rural_in_an_hour_and_types_can_override():
    overrides = {"DISPATCH__CLOCKS__POLICIES__URBAN__ARRIVAL_MIN_BY_TYPE": "{no_gas_area = 45}"}
    policy = ClockPolicy.from_settings(load_settings(overrides).clocks)

    urban = deadlines("gas_leak", "emergency", 1, "urban", T0, policy)
    rural = deadlines("gas_leak", "emergency", 1, "rural", T0, policy)
    no_gas = deadlines("no_gas_area", "emergency", 1, "urban", T0, policy)

    assert urban.arrival_due_at == T0 + timedelta(minutes=30)
    assert urban.make_safe_due_at == T0 + timedelta(minutes=120)
    assert rural.arrival_due_at == T0 + timedelta(minutes=60)
    assert no_gas.arrival_due_at == T0 + timedelta(minutes=45)


def test_a_complaint_is_due_two_working_days_later_over_the_weekend():
    due = deadlines("complaint", "non_field", 3, "urban", T0, ClockPolicy.from_settings())

    assert due.reply_due_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tuesday
    assert due.arrival_due_at is None
    assert add_working_days(T0, 0) == T0


def _alerts(now, arrived=None, already=frozenset()):
    return due_alerts(
        received_at=T0,
        due={"arrival": T0 + timedelta(minutes=30)},
        stopped={"arrival": arrived},
        now=now,
        already=set(already),
        at_risk_share=0.8,
    )


def test_at_80_percent_the_deadline_is_at_risk_and_after_it_missed_each_once():
    assert _alerts(T0 + timedelta(minutes=23)) == []
    at_risk = _alerts(T0 + timedelta(minutes=24))
    assert [(a.clock, a.kind) for a in at_risk] == [("arrival", "deadline_at_risk")]

    missed = _alerts(T0 + timedelta(minutes=31), already={("arrival", "deadline_at_risk")})
    assert [a.kind for a in missed] == ["deadline_missed"]
    assert (
        _alerts(
            T0 + timedelta(minutes=40),
            already={("arrival", "deadline_at_risk"), ("arrival", "deadline_missed")},
        )
        == []
    )


def test_an_arrival_in_time_stops_the_clock_and_a_late_one_counts_as_missed():
    assert _alerts(T0 + timedelta(hours=2), arrived=T0 + timedelta(minutes=10)) == []
    late = _alerts(T0 + timedelta(hours=2), arrived=T0 + timedelta(minutes=35))
    assert [a.kind for a in late] == ["deadline_missed"]
