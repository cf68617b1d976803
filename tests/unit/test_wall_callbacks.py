"""The wall screen's plain functions: what the callbacks return for a click or a tick, the
alarms, queue and figures computed from a snapshot, and the components built from them in
both languages. No database and no browser: the snapshot is made here."""

from __future__ import annotations

import contextlib
import copy
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from dash import Output, no_update

from dashboards import ids, wall_callbacks
from dashboards.components import wall_parts
from dashboards.i18n import t
from dispatch import display_names, kpi_repository, report_repository, wall_read_model
from dispatch import repository as repo
from dispatch.kpis import KpiRows, key_figures
from dispatch.ports import Ports
from dispatch.ticket_model import category_of
from dispatch.ticket_service import Settings

NOW = datetime(2024, 5, 10, 10, 0, tzinfo=UTC)
DISPATCHER = {"username": "dispatcher", "role": "dispatcher", "crew_id": None}
MANAGER = {"username": "manager", "role": "manager", "crew_id": None}


# --- fakes and builders ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _names_as_stored(monkeypatch):
    """The panel's names (crew codes, streets, roles) are read from PostGIS: the integration
    tests check them; here the detail is shown as given."""
    monkeypatch.setattr(display_names, "named_detail", lambda cur, detail: detail)


class FakeApi:
    """What the callbacks use of :class:`dispatch.api.Api`: a clock and a unit of work whose
    cursor is never touched (the reads are replaced by prepared snapshots)."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now
        self.ports = Ports()
        self.settings = Settings()

    def clock(self) -> datetime:
        return self.now

    def uow(self):
        return contextlib.nullcontext(SimpleNamespace(cur=None))


class FakeLive:
    """A live state that always shows the prepared snapshot."""

    def __init__(self, snap: dict) -> None:
        self.snap = snap

    def snapshot(self, now: datetime) -> dict:
        return copy.deepcopy(self.snap)


def ticket(
    ticket_id: int,
    *,
    priority: int = 3,
    status: str = "new",
    ticket_type: str = "meter_fault",
    received_min_ago: float = 10,
    due_in_min: float | None = None,
    at_risk: bool = False,
    missed: bool = False,
    arrived: bool = False,
    crew_code: str | None = None,
    eta_in_min: float | None = None,
    lon: float | None = 24.94,
) -> dict:
    """An open ticket as :func:`dispatch.wall_read_model.wall_snapshot` gives it."""
    return {
        "id": ticket_id,
        "number": f"T20240510-{ticket_id:06d}",
        "type": ticket_type,
        "category": category_of(ticket_type),
        "priority": priority,
        "status": status,
        "address": f"Mannerheimintie {ticket_id}",
        "callers": 1,
        "received_at": (NOW - timedelta(minutes=received_min_ago)).isoformat(),
        "arrival_due_at": None
        if due_in_min is None
        else (NOW + timedelta(minutes=due_in_min)).isoformat(),
        "arrived": arrived,
        "crew_id": None,
        "crew_code": crew_code,
        "eta_at": None if eta_in_min is None else (NOW + timedelta(minutes=eta_in_min)).isoformat(),
        "at_risk": at_risk,
        "missed": missed,
        "lon": lon,
        "lat": None if lon is None else 60.17,
    }


def crew(
    crew_id: int,
    *,
    status: str = "available",
    stale: bool = False,
    active_ticket_id: int | None = None,
    lon: float = 24.93,
) -> dict:
    """A crew as :func:`dispatch.wall_read_model.wall_snapshot` gives it."""
    return {
        "id": crew_id,
        "code": f"E-{crew_id:02d}",
        "name": f"Emergency crew {crew_id}",
        "status": status,
        "skills": ["emergency"],
        "lon": lon,
        "lat": 60.16,
        "heading_deg": 90.0,
        "fix_age_s": 900 if stale else 20,
        "stale": stale,
        "active_ticket_id": active_ticket_id,
    }


def snapshot(tickets: list[dict], crews: list[dict]) -> dict:
    return {
        "tickets": tickets,
        "crews": crews,
        "routes": {"type": "FeatureCollection", "features": []},
        "timezone": "Europe/Helsinki",
        "kpis": figures_of(tickets, crews),
    }


def figures_of(tickets: list[dict], crews: list[dict]) -> dict:
    """The figures dispatch.kpis computes for the rows behind these tickets and crews."""
    open_rows = [
        {
            "priority": t_["priority"],
            "status": t_["status"],
            "parent_ticket_id": None,
            "received_at": datetime.fromisoformat(t_["received_at"]),
            "arrival_due_at": None
            if t_["arrival_due_at"] is None
            else datetime.fromisoformat(t_["arrival_due_at"]),
            "arrived_at": NOW if t_["arrived"] else None,
        }
        for t_ in tickets
    ]
    crew_rows = [
        {"status": c["status"], "recorded_at": NOW - timedelta(seconds=c["fix_age_s"])}
        for c in crews
    ]
    return key_figures(KpiRows("Europe/Helsinki", open_rows, [], crew_rows), NOW)


def text_of(component) -> str:
    """Every string in a component tree, joined by spaces."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(c) for c in component)
    return text_of(getattr(component, "children", None))


def find_all(component, predicate) -> list:
    """The components of a tree for which ``predicate`` holds, depth first."""
    found = []
    if isinstance(component, list | tuple):
        for child in component:
            found += find_all(child, predicate)
        return found
    if component is None or isinstance(component, str | int | float):
        return found
    if predicate(component):
        found.append(component)
    return found + find_all(getattr(component, "children", None), predicate)


def refresh_outputs() -> list[str]:
    """The component ids of the refresh callback's outputs, in order, as registered."""
    outputs: dict[str, list[str]] = {}

    class Recorder:
        def callback(self, *spec, **_options):
            def keep(function):
                outputs[function.__name__] = [o.component_id for o in spec if isinstance(o, Output)]
                return function

            return keep

        def clientside_callback(self, *_spec, **_options) -> None:
            pass

    wall_callbacks.register_wall_callbacks(Recorder(), api=None, live=None)
    return outputs["_refresh"]


def live(monkeypatch, snap: dict, seen: dict, *, lang: str = "zh-CN", api=None) -> dict:
    """live_update on ``snap`` (the live state's snapshot), by output id."""
    result = wall_callbacks.live_update(
        api or FakeApi(), FakeLive(snap), lang, None, [], seen, DISPATCHER
    )
    return dict(zip(refresh_outputs(), result, strict=True))


# --- selecting and assigning -------------------------------------------------------------------


def test_a_queue_row_names_its_ticket_for_the_browser_and_has_no_click_count_to_reset():
    _head, row = wall_parts.queue_table([ticket(7)], NOW, "en", None)

    # assets/wall.js selects on the press from data-ticket; a redraw resetting an n_clicks
    # prop is what lost first clicks.
    assert row.to_plotly_json()["props"]["data-ticket"] == "7"
    assert getattr(row, "n_clicks", None) is None
    assert row.id == {"type": ids.QUEUE_ROW, "index": 7}


def test_a_click_on_an_incident_marker_selects_that_incident():
    click = {"properties": {"id": 12, "number": "T20240510-000012"}}

    assert wall_callbacks.select_from(ids.LAYER_INCIDENTS, click) == 12
    assert wall_callbacks.select_from(ids.LAYER_INCIDENTS, None) is no_update
    assert wall_callbacks.select_from("something-else", click) is no_update


def test_nothing_is_asked_before_an_assign_button_is_clicked_or_with_nothing_selected():
    button = {"type": ids.ASSIGN_BUTTON, "index": 4}

    assert wall_callbacks.ask_to_assign(button, [0, 0], 3, "en") == (no_update,) * 3
    assert wall_callbacks.ask_to_assign(None, [1], 3, "en") == (no_update,) * 3
    assert wall_callbacks.ask_to_assign(button, [1], None, "en") == (no_update,) * 3


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_an_assign_click_asks_for_confirmation_naming_the_crew_and_keeps_what_is_pending(lang):
    button = {"type": ids.ASSIGN_BUTTON, "index": 4}

    displayed, message, pending = wall_callbacks.ask_to_assign(
        button, [0, 1], 3, lang, {"4": "E-03"}
    )

    assert displayed is True
    assert (
        message
        == {"zh-CN": "确认将此工单派给班组 E-03？", "en": "Assign E-03 to this ticket?"}[lang]
    )
    assert pending == {"ticket": 3, "crew": 4}


def test_the_crew_codes_of_the_confirmation_come_from_the_recommended_crews():
    recs = [{"crew_id": 4, "code": "E-03"}, {"crew_id": 9, "code": "E-11"}]

    assert wall_callbacks.crew_codes_of(recs) == {"4": "E-03", "9": "E-11"}


# --- the live refresh --------------------------------------------------------------------------


def test_the_first_refresh_sends_every_output(monkeypatch):
    snap = snapshot([ticket(1, priority=1)], [crew(1)])

    out = live(monkeypatch, snap, {})

    assert all(value is not no_update for value in out.values())
    assert [f["id"] for f in out[ids.LAYER_INCIDENTS]["features"]] == [1]
    assert [f["id"] for f in out[ids.LAYER_CREWS]["features"]] == [1]


def test_a_refresh_with_nothing_changed_resends_no_layer_no_figure_and_no_alarm(monkeypatch):
    snap = snapshot([ticket(1, priority=1), ticket(2, at_risk=True, due_in_min=2)], [crew(1)])
    first = live(monkeypatch, snap, {})

    again = live(monkeypatch, snap, first[ids.SEEN])

    for output in (ids.LAYER_INCIDENTS, ids.LAYER_CREWS, ids.KPIS, ids.ALARMS):
        assert again[output] is no_update, output
    assert again[ids.SEEN] == first[ids.SEEN]


def test_the_queue_and_the_clock_are_sent_on_every_tick_since_their_countdowns_move(monkeypatch):
    snap = snapshot([ticket(1, due_in_min=20)], [crew(1)])
    first = live(monkeypatch, snap, {})

    again = live(monkeypatch, snap, first[ids.SEEN])

    assert again[ids.QUEUE] is not no_update
    assert again[ids.CLOCK] is not no_update


def test_a_crew_that_moved_is_sent_again_and_the_unchanged_incidents_are_not(monkeypatch):
    before = snapshot([ticket(1)], [crew(1, lon=24.93), crew(2)])
    after = snapshot([ticket(1)], [crew(1, lon=24.95), crew(2)])
    first = live(monkeypatch, before, {})

    again = live(monkeypatch, after, first[ids.SEEN])

    assert again[ids.LAYER_CREWS] is not no_update
    moved = next(f for f in again[ids.LAYER_CREWS]["features"] if f["id"] == 1)
    assert moved["geometry"]["coordinates"] == [24.95, 60.16]
    assert again[ids.LAYER_INCIDENTS] is no_update
    assert again[ids.KPIS] is no_update


def test_a_new_alarm_sends_the_banner_and_the_figures_again(monkeypatch):
    calm = snapshot([ticket(1, due_in_min=20)], [crew(1)])
    p1 = snapshot([ticket(1, due_in_min=20), ticket(2, priority=1, ticket_type="gas_leak")], [])
    first = live(monkeypatch, calm, {})

    again = live(monkeypatch, p1, first[ids.SEEN])

    assert again[ids.ALARMS] is not no_update
    assert t("alarm.new_p1", "zh-CN") in text_of(again[ids.ALARMS])
    assert again[ids.KPIS] is not no_update


def test_the_refresh_speaks_the_pages_language(monkeypatch):
    snap = snapshot([ticket(1, priority=1)], [crew(1)])

    zh = live(monkeypatch, snap, {}, lang="zh-CN")
    en = live(monkeypatch, snap, {}, lang="en")

    assert t("kpi.open_p1", "zh-CN") in text_of(zh[ids.KPIS])
    assert t("kpi.open_p1", "en") in text_of(en[ids.KPIS])
    assert t("queue.priority", "en") in text_of(en[ids.QUEUE])


# --- alarms, queue and figures (pure) ----------------------------------------------------------


def test_an_unassigned_p1_ticket_raises_an_alarm_and_an_assigned_one_does_not():
    snap = snapshot([ticket(1, priority=1), ticket(2, priority=1, status="assigned")], [])

    assert [a["key"] for a in wall_read_model.alarms(snap, set())] == ["new-p1:1"]


def test_a_deadline_at_risk_and_a_missed_one_raise_alarms_of_their_own_kinds():
    snap = snapshot(
        [
            ticket(1, due_in_min=3, at_risk=True),
            ticket(2, due_in_min=-4, at_risk=True, missed=True),
            ticket(3, due_in_min=25),
        ],
        [],
    )

    found = {(a["kind"], a["ticket_id"]) for a in wall_read_model.alarms(snap, set())}

    assert found == {("deadline_at_risk", 1), ("deadline_missed", 2)}


def test_a_stale_crew_alarms_only_while_it_holds_an_active_job():
    snap = snapshot(
        [ticket(5, status="en_route")],
        [crew(1, stale=True, active_ticket_id=5), crew(2, stale=True), crew(3, active_ticket_id=6)],
    )

    alarms = wall_read_model.alarms(snap, set())

    assert [(a["key"], a["ticket_id"], a["text"]) for a in alarms] == [("stale:1:5", 5, "E-01")]


def test_acknowledged_alarms_are_left_out_and_the_others_stay():
    snap = snapshot([ticket(1, priority=1), ticket(2, priority=1)], [])

    alarms = wall_read_model.alarms(snap, {"new-p1:1", "some-old-key"})

    assert [a["key"] for a in alarms] == ["new-p1:2"]


def test_the_queue_puts_priority_first_then_the_nearest_deadline_then_no_deadline():
    tickets = [
        ticket(1, priority=3, due_in_min=5),
        ticket(2, priority=1, due_in_min=25),
        ticket(3, priority=1, due_in_min=10),
        ticket(4, priority=1),
        ticket(5, priority=2, due_in_min=300),
        ticket(6, priority=1, due_in_min=10, received_min_ago=30),
    ]

    order = [t_["id"] for t_ in wall_read_model.queue(snapshot(tickets, []))]

    assert order == [6, 3, 2, 4, 5, 1]


def test_a_ticket_is_at_risk_from_80_percent_of_its_window_and_missed_from_100(monkeypatch):
    def row(ticket_id: int, elapsed_min: float, *, arrived: bool = False) -> dict:
        received = NOW - timedelta(minutes=elapsed_min)
        return {
            "id": ticket_id,
            "number": f"T{ticket_id}",
            "ticket_type": "gas_leak",
            "category": "emergency",
            "priority": 1,
            "status": "assigned",
            "address": None,
            "callers": 1,
            "received_at": received,
            "arrival_due_at": received + timedelta(minutes=30),
            "arrived_at": NOW if arrived else None,
            "crew_id": None,
            "crew_code": None,
            "assigned_at": None,
            "eta_s": None,
            "automatic": False,
            "lon": 24.94,
            "lat": 60.17,
            "route": None,
        }

    rows = [row(1, 23.9), row(2, 24), row(3, 30), row(4, 40, arrived=True)]
    monkeypatch.setattr(repo, "wall_tickets", lambda cur: rows)
    monkeypatch.setattr(repo, "list_crews", lambda cur, ids=None: [])
    monkeypatch.setattr(repo, "territory_timezone", lambda cur: "UTC")
    monkeypatch.setattr(kpi_repository, "kpi_rows", lambda cur, now: KpiRows("UTC", [], [], []))
    monkeypatch.setattr(wall_read_model, "camera_alarm_rows", lambda cur: [])
    monkeypatch.setattr(report_repository, "open_alarms", lambda cur: [])

    tickets = {x["id"]: x for x in wall_read_model.wall_snapshot(None, NOW)["tickets"]}

    assert [(tickets[i]["at_risk"], tickets[i]["missed"]) for i in (1, 2, 3, 4)] == [
        (False, False),
        (True, False),
        (True, True),
        (False, False),  # the crew is there: the clock stopped
    ]


# --- components --------------------------------------------------------------------------------


def deadline_cell(row) -> str:
    return find_all(row, lambda c: getattr(c, "className", None) == "queue-deadline")[0].children


def test_the_queue_table_has_a_header_and_one_clickable_row_per_ticket():
    tickets = [ticket(1), ticket(2), ticket(3)]

    head, *rows = wall_parts.queue_table(tickets, NOW, "en", None)

    assert "queue-head" in head.className
    assert [r.id for r in rows] == [{"type": ids.QUEUE_ROW, "index": i} for i in (1, 2, 3)]
    assert [r.to_plotly_json()["props"]["data-ticket"] for r in rows] == ["1", "2", "3"]


def test_rows_at_risk_and_the_selected_row_are_marked():
    tickets = [ticket(1, at_risk=True, due_in_min=2), ticket(2, due_in_min=50)]

    _head, risky, calm = wall_parts.queue_table(tickets, NOW, "en", 2)

    assert "queue-at-risk" in risky.className.split()
    assert "queue-at-risk" not in calm.className.split()
    assert "queue-selected" in calm.className.split()


def test_the_countdown_turns_negative_with_a_minus_sign_once_the_deadline_has_passed():
    tickets = [
        ticket(1, due_in_min=12.5, at_risk=True),
        ticket(2, due_in_min=-5, at_risk=True, missed=True),
        ticket(3, due_in_min=-5, arrived=True),
        ticket(4),
    ]

    _head, ahead, late, arrived, undated = wall_parts.queue_table(tickets, NOW, "en", None)

    assert deadline_cell(ahead) == "12 min 30 s"
    assert deadline_cell(late)[0] in "−-"
    assert deadline_cell(late)[1:] == "5 min 00 s"
    assert deadline_cell(arrived) == "✓"
    assert deadline_cell(undated) == "–"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_an_empty_queue_says_so_in_the_pages_language(lang):
    assert text_of(wall_parts.queue_table([], NOW, lang, None)) == t("queue.empty", lang)


def test_the_queue_shows_the_crew_and_its_eta_or_the_status_when_no_crew_is_on_it():
    tickets = [ticket(1, status="en_route", crew_code="E-03", eta_in_min=7), ticket(2)]

    _head, sent, waiting = wall_parts.queue_table(tickets, NOW, "en", None)

    assert "E-03" in text_of(sent)
    assert "7 min 00 s" in text_of(sent)
    assert "New" in text_of(waiting)
    assert "新建" in text_of(wall_parts.queue_table(tickets, NOW, "zh-CN", None)[2])


KPIS = {
    "day": "2024-05-10",
    "open_p1": 2,
    "at_risk": 0,
    "arrivals_today": 4,
    "median_arrival_min_today": 18.4,
    "share_within_target_today": 0.75,
    "crews_available": 7,
    "crews_busy": 3,
    "crews_stale": 1,
}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_kpi_tiles_are_labelled_in_the_pages_language(lang):
    tiles = wall_parts.kpi_tiles(KPIS, lang)
    text = text_of(tiles)

    for key in ("kpi.open_p1", "kpi.at_risk", "kpi.median_arrival", "kpi.within_target"):
        assert t(key, lang) in text
    assert {"zh-CN": "18 分钟", "en": "18 min"}[lang] in text
    assert "75%" in text


def test_kpi_labels_differ_between_the_languages():
    assert text_of(wall_parts.kpi_tiles(KPIS, "zh-CN")) != text_of(wall_parts.kpi_tiles(KPIS, "en"))
    assert "未结一级工单" in text_of(wall_parts.kpi_tiles(KPIS, "zh-CN"))
    assert "Open P1" in text_of(wall_parts.kpi_tiles(KPIS, "en"))


def test_kpi_tiles_alert_on_open_p1_and_stale_crews_and_show_a_dash_without_arrivals():
    quiet = KPIS | {
        "arrivals_today": 0,
        "median_arrival_min_today": None,
        "share_within_target_today": None,
        "open_p1": 0,
    }

    tiles = wall_parts.kpi_tiles(quiet, "en")
    by_label = {text_of(tile.children[1]): tile for tile in tiles}

    assert "kpi-alert" not in by_label["Open P1"].className
    assert "kpi-alert" in by_label["Crews stale"].className
    assert text_of(by_label["Median arrival today"].children[0]) == "–"
    assert text_of(by_label["Within target today"].children[0]) == "–"


ALARMS = [
    {"key": "new-p1:1", "kind": "new_p1", "ticket_id": 1, "text": "T20240510-000001"},
    {"key": "deadline_missed:2", "kind": "deadline_missed", "ticket_id": 2, "text": "T-2"},
]


def test_no_alarm_means_no_banner():
    assert wall_parts.alarm_banner([], "en") == []


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_alarm_banner_names_each_alarm_and_offers_acknowledgement_in_the_language(lang):
    (banner,) = wall_parts.alarm_banner(ALARMS, lang)
    text = text_of(banner)

    assert f"{t('alarm.new_p1', lang)}: T20240510-000001" in text
    assert f"{t('alarm.deadline_missed', lang)}: T-2" in text
    (button,) = find_all(banner, lambda c: getattr(c, "id", None) == ids.ALARM_ACK)
    assert button.children == t("alarm.acknowledge", lang)
    assert banner.role == "alert"


def test_the_banner_shows_six_alarms_and_counts_the_rest():
    many = [
        {"key": f"new-p1:{i}", "kind": "new_p1", "ticket_id": i, "text": f"T-{i}"} for i in range(9)
    ]

    text = text_of(wall_parts.alarm_banner(many, "en"))

    assert "T-5" in text
    assert "T-6" not in text
    assert "+3" in text


DETAIL = {
    "ticket": {
        "id": 9,
        "number": "T20240510-000009",
        "type": "gas_leak",
        "status": "new",
        "address": "Mannerheimintie 9",
        "priority": 1,
        "lon": 24.94,
        "lat": 60.17,
        "crew_id": None,
    },
    "recommendations": [
        {
            "crew_id": 4,
            "code": "E-04",
            "eta_s": 420.0,
            "distance_m": 2300.0,
            "finishes_first": False,
        }
    ],
    "isolation": {
        "valves": [{"id": 31, "lon": 24.941, "lat": 60.171, "access_note": "under the kiosk"}],
        "affected_meters": 120,
        "critical_customers": [{"category": "hospital", "address": "Meilahti 1"}],
        "warning_zone": {
            "radius_m": 50,
            "geometry": {"type": "Polygon", "coordinates": [[[24.9, 60.1], [24.91, 60.1]]]},
        },
    },
    "cameras": [
        {"id": 2, "name": "Camera 2", "stream_url": "/video/2.mjpg", "covers": True},
        {"id": 5, "name": "Camera 5", "stream_url": "/video/5.mjpg", "covers": False},
    ],
    "events": [
        {
            "at": "2024-05-10T09:58:00+00:00",
            "event_type": "created",
            "to_status": "new",
            "actor": "hotline",
            "actor_role": "hotline_agent",
        },
    ],
}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_without_a_selection_the_panel_invites_a_choice_in_the_language(lang):
    assert text_of(wall_parts.incident_panel(None, lang)) == t("panel.none_selected", lang)


def test_the_incident_panel_shows_the_ticket_its_crews_isolation_and_history_per_language():
    zh = text_of(wall_parts.incident_panel(DETAIL, "zh-CN", timezone="Europe/Helsinki"))
    en = text_of(wall_parts.incident_panel(DETAIL, "en", timezone="Europe/Helsinki"))

    assert "T20240510-000009 · 漏气/闻到燃气味" in zh
    assert "T20240510-000009 · Gas leak / odour" in en
    for lang, text in (("zh-CN", zh), ("en", en)):
        assert t("panel.recommended", lang) in text
        assert t("panel.isolation", lang) in text
        assert t("panel.history", lang) in text
        assert "E-04" in text
        assert "2.3 km" in text
        assert t("customer.hospital", lang) + " Meilahti 1" in text
    assert "12:58 建单 (热线接听员)" in zh  # 09:58 UTC in Helsinki, by the role's name
    assert "12:58 ticket opened (Hotline agent)" in en


def test_each_recommended_crew_has_an_assign_button_carrying_its_id():
    panel = wall_parts.incident_panel(DETAIL, "en", may_assign=True)

    buttons = find_all(panel, lambda c: isinstance(getattr(c, "id", None), dict))
    assign = [b for b in buttons if b.id.get("type") == ids.ASSIGN_BUTTON]

    assert [b.id["index"] for b in assign] == [4]
    assert assign[0].children == "Assign"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_panel_without_recommendations_says_no_crew_can_reach_it(lang):
    detail = DETAIL | {"recommendations": [], "isolation": None}

    text = text_of(wall_parts.incident_panel(detail, lang))

    assert t("panel.no_crews", lang) in text
    assert t("panel.isolation", lang) not in text


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_video_wall_says_when_no_camera_is_near_in_the_language(lang):
    assert text_of(wall_parts.video_wall([], lang)) == t("video.none", lang)


def test_the_video_wall_shows_up_to_four_feeds_marking_those_that_cover_the_place():
    cameras = [
        {"id": i, "name": f"Camera {i}", "stream_url": f"/video/{i}.mjpg", "covers": i == 1}
        for i in range(1, 7)
    ]

    tiles = wall_parts.video_wall(cameras, "en")

    assert [tile.id for tile in tiles] == [
        {"type": ids.VIDEO_TILE, "index": i} for i in (1, 2, 3, 4)
    ]
    images = find_all(tiles, lambda c: getattr(c, "src", None) is not None)
    assert [i.src for i in images] == [f"/video/{i}.mjpg" for i in (1, 2, 3, 4)]
    assert "Camera 1 ◉" in text_of(tiles)
    assert "Camera 2 ◉" not in text_of(tiles)


# --- the incident panel callback ---------------------------------------------------------------


def test_show_incident_without_a_selection_reads_nothing(monkeypatch):
    def no_read(*_args, **_kwargs):
        raise AssertionError("read the database without a selection")

    monkeypatch.setattr(wall_read_model, "incident_detail", no_read)

    panel, selection, video = wall_callbacks.show_incident(FakeApi(), None, "en", DISPATCHER)

    assert text_of(panel) == t("panel.none_selected", "en")
    assert selection == {"type": "FeatureCollection", "features": []}
    assert video == []


def test_show_incident_draws_the_warning_zone_and_the_valves_and_shows_the_cameras(monkeypatch):
    asked = []

    def detail(uow, ticket_id):
        asked.append(ticket_id)
        return DETAIL

    monkeypatch.setattr(wall_read_model, "incident_detail", detail)
    monkeypatch.setattr(display_names, "named_detail", lambda cur, d: d)

    panel, selection, video = wall_callbacks.show_incident(FakeApi(), "9", "zh-CN", DISPATCHER)

    assert asked == [9]
    assert "T20240510-000009" in text_of(panel)
    kinds = [f["properties"]["kind"] for f in selection["features"]]
    assert kinds == ["warning_zone", "valve_to_close", "incident"]  # the incident last: in view
    assert [tile.id["index"] for tile in video] == [2, 5]


def test_show_incident_for_a_ticket_that_is_gone_shows_the_empty_panel(monkeypatch):
    monkeypatch.setattr(wall_read_model, "incident_detail", lambda *a, **k: None)
    monkeypatch.setattr(display_names, "named_detail", lambda cur, d: d)

    panel, selection, video = wall_callbacks.show_incident(FakeApi(), 404, "en", DISPATCHER)

    assert text_of(panel) == t("panel.none_selected", "en")
    assert selection["features"] == []
    assert video == []


class _NoDatabase:
    """An api whose database must not be touched: the role check comes first."""

    def clock(self):
        return datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def uow(self):
        raise AssertionError("the database was reached before the role was checked")


@pytest.mark.parametrize("role", ["manager", "crew_lead", "hotline_agent"])
def test_the_wall_refuses_an_assignment_to_a_role_the_api_would_refuse(role):
    from dashboards.wall_callbacks import assign_confirmed

    user = {"username": "someone", "role": role, "crew_id": 1 if role == "crew_lead" else None}

    notice, changed = assign_confirmed(_NoDatabase(), {"ticket": 1, "crew": 2}, "en", user)

    assert changed is False and f"role {role} may not tickets assign" in text_of(notice)
    assert "notice-error" in notice.className  # a refusal is not shown as a success


def test_the_wall_refuses_a_cancellation_to_a_manager():
    from dashboards.wall_callbacks import cancel_ticket

    user = {"username": "boss", "role": "manager"}

    notice, changed = cancel_ticket(_NoDatabase(), 1, 5, "duplicate", "en", user)

    assert changed is False and "role manager may not tickets transition" in text_of(notice)
    assert "notice-error" in notice.className


# --- what each role sees on the wall -----------------------------------------------------------


def controls(panel) -> dict[str, int]:
    """How many assign buttons, cancel buttons and reason boxes a panel draws."""

    def count(predicate) -> int:
        return len(find_all(panel, predicate))

    return {
        "assign": count(
            lambda c: getattr(c, "id", None) == {"type": ids.ASSIGN_BUTTON, "index": 4}
        ),
        "cancel": count(lambda c: getattr(c, "id", None) == ids.CANCEL_BUTTON),
        "reason": count(lambda c: getattr(c, "id", None) == ids.CANCEL_REASON),
    }


def test_a_panel_draws_no_control_unless_told_the_user_may_use_it():
    assert controls(wall_parts.incident_panel(DETAIL, "en")) == {
        "assign": 0,
        "cancel": 0,
        "reason": 0,
    }
    assert controls(wall_parts.incident_panel(DETAIL, "en", may_cancel=True)) == {
        "assign": 0,
        "cancel": 1,
        "reason": 1,
    }


@pytest.mark.parametrize(
    ("role", "drawn"),
    [
        ("dispatcher", {"assign": 1, "cancel": 1, "reason": 1}),
        ("admin", {"assign": 1, "cancel": 1, "reason": 1}),
        ("manager", {"assign": 0, "cancel": 0, "reason": 0}),  # watches read-only
    ],
)
def test_the_panel_draws_assign_and_cancel_only_for_roles_that_may_use_them(
    monkeypatch, role, drawn
):
    monkeypatch.setattr(wall_read_model, "incident_detail", lambda *a, **k: DETAIL)

    panel, _selection, _video = wall_callbacks.show_incident(
        FakeApi(), 9, "en", {"username": role, "role": role}
    )

    assert controls(panel) == drawn
    assert "E-04" in text_of(panel)  # the recommendation itself is shown to all of them


def test_a_manager_sees_the_incident_the_dispatcher_sees_without_the_controls(monkeypatch):
    monkeypatch.setattr(wall_read_model, "incident_detail", lambda *a, **k: DETAIL)

    manager, _, manager_video = wall_callbacks.show_incident(FakeApi(), 9, "en", MANAGER)
    dispatcher, _, _ = wall_callbacks.show_incident(FakeApi(), 9, "en", DISPATCHER)

    assert t("panel.isolation", "en") in text_of(manager)
    assert text_of(dispatcher).replace("Assign", "").replace("Cancel ticket", "").split() == (
        text_of(manager).split()
    )
    assert [tile.id["index"] for tile in manager_video] == [2, 5]


REFUSED = [
    None,
    {"username": "lead", "role": "crew_lead", "crew_id": 1},
    {"username": "hotline", "role": "hotline_agent"},
    {"username": "ghost", "role": "no_such_role"},
]


class _NoLiveState:
    """A live state that must not be read: the role check comes first."""

    def snapshot(self, now):
        raise AssertionError("the live state was read before the role was checked")


@pytest.mark.parametrize("user", REFUSED)
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_live_refresh_gives_a_role_that_may_not_open_the_wall_no_data(user, lang):
    routes, incidents, crews, queue, kpis, alarms, clock, seen = wall_callbacks.live_update(
        _NoDatabase(), _NoLiveState(), lang, None, [], {}, user
    )

    for layer in (routes, incidents, crews):
        assert layer == {"type": "FeatureCollection", "features": []}
    assert text_of(queue) == {"zh-CN": "无权访问此页面", "en": "You may not open this page"}[lang]
    assert (kpis, alarms, clock, seen) == ([], [], "", {})


@pytest.mark.parametrize("user", REFUSED)
def test_the_incident_panel_gives_a_role_that_may_not_open_the_wall_no_data(user):
    panel, selection, video = wall_callbacks.show_incident(_NoDatabase(), 9, "en", user)

    assert text_of(panel) == "You may not open this page"
    assert selection["features"] == []
    assert video == []


@pytest.mark.parametrize("user", REFUSED)
def test_an_alarm_acknowledgement_from_a_role_that_may_not_open_the_wall_is_ignored(user):
    assert wall_callbacks.acknowledge(_NoDatabase(), 1, ["new-p1:1"], user) is no_update


def test_a_manager_watching_the_wall_gets_its_data(monkeypatch):
    snap = snapshot([ticket(1, priority=1)], [crew(1)])

    out = wall_callbacks.live_update(FakeApi(), FakeLive(snap), "en", None, [], {}, MANAGER)

    assert [f["id"] for f in out[1]["features"]] == [1]
    assert "Open P1" in text_of(out[4])
