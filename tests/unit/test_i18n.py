"""The wall screen's translations: complete in both languages, never raising, formatting
durations and clocks the way each language writes them."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from dashboards.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    MISSING,
    TEXTS,
    category_label,
    crew_status_label,
    format_clock,
    format_duration,
    normalize_language,
    priority_label,
    skill_label,
    status_label,
    t,
    ticket_type_label,
)
from dispatch.crew_service import CREW_STATUSES
from dispatch.ticket_model import SKILL_FOR_TYPE, STATUSES, TICKET_TYPES

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
BEIJING = timezone(timedelta(hours=8))


def test_the_languages_are_chinese_first_then_english():
    assert LANGUAGES == ("zh-CN", "en")
    assert DEFAULT_LANGUAGE == "zh-CN"


def test_every_message_has_non_empty_text_in_both_languages():
    for key, entry in TEXTS.items():
        assert set(entry) == set(LANGUAGES), key
        for lang in LANGUAGES:
            assert isinstance(entry[lang], str) and entry[lang].strip(), (key, lang)


@pytest.mark.parametrize(
    ("key", "zh", "en"),
    [
        ("app.title", "燃气抢修调度中心", "Gas dispatch control room"),
        ("panel.assign", "派单", "Assign"),
        ("panel.reassign", "改派", "Reassign"),
        ("lang.switch", "English", "中文"),
    ],
)
def test_known_words(key, zh, en):
    assert (t(key, "zh-CN"), t(key, "en")) == (zh, en)


def test_the_screens_cover_what_the_dispatcher_reads():
    required = [
        "app.title", "lang.switch", "logout",
        "queue.type", "queue.address", "queue.callers", "queue.since_call", "queue.deadline",
        "queue.crew", "queue.eta",
        "panel.recommended", "panel.assign", "panel.confirm", "panel.reassign", "panel.cancel",
        "panel.reason", "panel.isolation", "panel.valves", "panel.affected", "panel.critical",
        "panel.history",
        "kpi.open_p1", "kpi.median_arrival", "kpi.within_target", "kpi.crews_available",
        "kpi.crews_busy", "kpi.crews_stale", "kpi.uncovered_areas",
        "alarm.new_p1", "alarm.deadline_at_risk", "alarm.deadline_missed", "alarm.stale_crew",
        "alarm.acknowledge",
        "video.title", "video.cameras", "video.enlarge",
    ]  # fmt: skip
    assert [key for key in required if key not in TEXTS] == []


def test_every_message_id_the_dashboards_ask_for_exists():
    """Literal ids passed to ``t(...)`` anywhere under dashboards/ (alarm kinds excepted: they
    are built at run time and checked above)."""
    asked = set()
    for path in DASHBOARDS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                asked.add(node.args[0].value)
    assert sorted(asked - set(TEXTS)) == []


def test_every_ticket_type_has_both_names_and_the_chinese_one_is_the_staffs_term():
    for code, (_category, _priority, term) in TICKET_TYPES.items():
        assert ticket_type_label(code, "zh-CN") == term
        english = ticket_type_label(code, "en")
        assert english.strip() and english != term and english != code


def test_every_status_has_both_names():
    for status in STATUSES:
        zh, en = status_label(status, "zh-CN"), status_label(status, "en")
        assert zh.strip() and en.strip() and zh != en, status
    assert status_label("assigned", "zh-CN") == "已派单"
    assert status_label("cancelled", "zh-CN") == "已取消"


def test_every_crew_status_skill_and_category_has_both_names():
    skills = set(SKILL_FOR_TYPE.values())
    categories = {category for category, _, _ in TICKET_TYPES.values()}
    for label, codes in (
        (crew_status_label, CREW_STATUSES),
        (skill_label, skills),
        (category_label, categories),
    ):
        for code in codes:
            zh, en = label(code, "zh-CN"), label(code, "en")
            assert zh.strip() and en.strip() and zh != en and en != code, (label, code)
    assert [crew_status_label(s, "zh-CN") for s in CREW_STATUSES] == [
        "空闲",
        "忙碌",
        "下班",
        "停用",
    ]


@pytest.mark.parametrize("priority", [1, "1", "P1", "p1"])
def test_a_priority_is_named_however_it_is_written(priority):
    assert priority_label(priority, "zh-CN") == "一级"
    assert priority_label(priority, "en") == "P1"


def test_all_four_priorities_have_chinese_names():
    assert [priority_label(p, "zh-CN") for p in (1, 2, 3, 4)] == ["一级", "二级", "三级", "四级"]


# --- fallbacks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "zh_CN", "zh-cn", "zh-Hans", " ZH-CN "])
def test_any_spelling_of_chinese_means_zh_cn(lang):
    assert normalize_language(lang) == "zh-CN"
    assert t("app.title", lang) == "燃气抢修调度中心"


@pytest.mark.parametrize("lang", ["fr", "de-DE", "xx"])
def test_an_unknown_language_falls_back_to_english(lang):
    assert t("app.title", lang) == "Gas dispatch control room"


def test_no_language_means_the_default_one():
    assert t("app.title", None) == t("app.title", "zh-CN")
    assert t("app.title", "") == t("app.title", "zh-CN")


def test_a_missing_translation_falls_back_to_english(monkeypatch):
    monkeypatch.setitem(TEXTS, "test.only_english", {"en": "Only English"})
    assert t("test.only_english", "zh-CN") == "Only English"


def test_an_unknown_message_id_is_shown_as_itself():
    assert t("no.such.message", "zh-CN") == "no.such.message"
    assert t("no.such.message", "en") == "no.such.message"


def test_unknown_codes_are_shown_as_themselves():
    assert ticket_type_label("alien_landing", "zh-CN") == "alien_landing"
    assert status_label("teleported", "en") == "teleported"
    assert crew_status_label("asleep", "zh-CN") == "asleep"
    assert priority_label(9, "zh-CN") == "9"
    assert priority_label("urgent", "en") == "urgent"
    assert skill_label("juggling", "en") == "juggling"


def test_values_fill_in_a_message_and_a_bad_fill_leaves_it_as_it_is():
    assert t("panel.confirm_assign", "en", crew=7) == "Assign crew 7 to this ticket?"
    assert "7" in t("panel.confirm_assign", "zh-CN", crew=7)
    assert "{crew}" in t("panel.confirm_assign", "en")  # callers may .format() it themselves
    assert t("panel.confirm_assign", "en", team=7) == "Assign crew {crew} to this ticket?"


# --- durations and clocks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [
        (725, "12分05秒", "12 min 05 s"),
        (725.4, "12分05秒", "12 min 05 s"),
        (59.6, "1分00秒", "1 min 00 s"),
        (42, "42秒", "42 s"),
        (0, "0秒", "0 s"),
        (3725, "1小时02分05秒", "1 h 02 min 05 s"),
        (-190, "-3分10秒", "-3 min 10 s"),
        (-0.2, "0秒", "0 s"),
    ],
)
def test_durations_read_as_each_language_writes_them(seconds, zh, en):
    assert format_duration(seconds, "zh-CN") == zh
    assert format_duration(seconds, "en") == en


@pytest.mark.parametrize("seconds", [None, float("nan"), float("inf"), "soon"])
def test_a_missing_duration_is_a_dash(seconds):
    assert format_duration(seconds, "en") == MISSING


def test_a_clock_is_shown_in_the_zone_asked_for():
    at = datetime(2024, 3, 12, 6, 5, 9, tzinfo=UTC)
    assert format_clock(at, "Asia/Shanghai", "zh-CN") == "14:05:09"
    assert format_clock(at, BEIJING, "en") == "14:05:09"
    assert format_clock(at, None, "en") == "06:05:09"


def test_a_clock_with_its_date_reads_as_each_language_writes_it():
    at = datetime(2024, 3, 12, 14, 5, 9, tzinfo=BEIJING)
    assert format_clock(at, BEIJING, "zh-CN", with_date=True) == "3月12日 14:05:09"
    assert format_clock(at, BEIJING, "en", with_date=True) == "12 Mar 14:05:09"


def test_a_clock_never_raises_on_a_bad_zone_or_a_missing_time():
    at = datetime(2024, 3, 12, 6, 5, 9, tzinfo=UTC)
    assert format_clock(at, "Nowhere/Special", "en") == "06:05:09"
    assert format_clock(None, "Asia/Shanghai", "zh-CN") == MISSING
    assert format_clock(datetime(2024, 3, 12, 14, 5, 9), "Asia/Shanghai", "en") == "14:05:09"
