"""The wall's "site work" block (dashboards.components.site_progress) from a hand-written
site record: the figures, and the block drawn in both languages."""

from __future__ import annotations

from dashboards.components import site_progress


def _progress(**site_changes) -> dict:
    site = {
        "ticket_id": 5,
        "status": "made_safe",
        "visit": 1,
        "checklist": [
            {"item": "warning_zone_set"},
            {"item": "signs_posted"},
            {"item": "guardian_named"},
        ],
        "readings": [
            {"lel_percent": 40.0, "safe": False},
            {"lel_percent": 12.5, "safe": False},
        ],
        "households": [{"mark": "valves_closed"}, {"mark": None}, {"mark": "not_at_home"}],
        "photos": [{"id": 31}, {"id": 32}],
        "signoff": None,
    }
    return {"site": site | site_changes, "stuck_valves": [17]}


def _texts(component) -> list[str]:
    children = getattr(component, "children", None)
    if isinstance(component, str):
        return [component]
    if isinstance(children, list | tuple):
        return [x for c in children for x in _texts(c)]
    return [] if children is None else _texts(children)


def test_the_figures_of_the_crews_work():
    s = site_progress.summary(_progress())

    assert (s["checks_done"], s["checks_total"]) == (3, 11)  # 5 before work, 6 after repair
    assert s["last_reading"]["lel_percent"] == 12.5
    assert s["stuck_valves"] == [17]
    assert (s["households_marked"], s["households_total"]) == (2, 3)
    assert s["photos"] == [31, 32]
    assert s["signoff"] is None


def test_the_block_in_english_and_a_refused_sign_off():
    refused = {"signed": False, "total_cny": "35.00"}
    [block] = site_progress.section(_progress(signoff=refused, visit=2), "en")
    text = " | ".join(_texts(block))

    assert "Site work" in text and "3 of 11" in text and "2 of 3" in text
    assert "Gas 12.5 % LEL ⚠" in text and "17" in text and "Visit | 2" in text
    assert "Customer refused to sign · Total CNY 35.00" in text


def test_nothing_is_drawn_without_a_record():
    assert site_progress.section(None, "zh-CN") == []
