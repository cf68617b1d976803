"""Each role's pages: who may open which, where each lands, the header's navigation, the pages
still to come, the refusals, and the HTTP answers for page and API paths. No database: users
are put into the session directly (logging in for real is in tests/e2e/test_role_pages.py)."""

from __future__ import annotations

import pytest
from dash import dcc, html

from dashboards import ids
from dashboards.app import build_wall, create_app
from dashboards.components.site_header import site_header
from dashboards.i18n import TEXTS, t
from dashboards.page_guard import page_status
from dashboards.pages import site_map
from dashboards.pages.crew import crew_page
from dashboards.pages.hotline import hotline_page
from dashboards.pages.manager import manager_page
from dashboards.pages.router import page_for
from dispatch.actor import Actor
from dispatch.auth import ROLES
from tests.unit.test_wall_callbacks import find_all, text_of

DEAD_DSN = "postgresql://postgres@127.0.0.1:1/x"
HELSINKI = [[60.16, 24.93], [60.175, 24.96]]

# Written from the rule (dispatcher, admin and manager watch the wall; the hotline page is for
# whoever takes calls; the crew page for crew leads; the manager's page for managers), not
# read back from the table.
# The desks (issue 11): the call-back desk for callback agents, the dispatchers who call back
# too, and the supervisors; the complaint desk for complaint handlers and the supervisors.
# The meter desk: the adjustments' signers (team lead, finance manager, vice-president) and
# the supervisors (manager, admin).
MAY_OPEN = {
    "dispatcher": ["/wall", "/hotline", "/callbacks"],
    "admin": ["/wall", "/hotline", "/crew", "/manager", "/callbacks", "/complaints", "/meters"],
    "manager": ["/wall", "/manager", "/callbacks", "/complaints", "/meters"],
    "crew_lead": ["/crew"],
    "hotline_agent": ["/hotline"],
    "meter_team_lead": ["/meters"],
    "finance_manager": ["/meters"],
    "vice_president": ["/meters"],
    "callback_agent": ["/callbacks"],
    "complaint_handler": ["/complaints"],
}
LANDS_ON = {
    "dispatcher": "/wall",
    "admin": "/wall",
    "manager": "/manager",
    "crew_lead": "/crew",
    "hotline_agent": "/hotline",
    "meter_team_lead": "/meters",
    "finance_manager": "/meters",
    "vice_president": "/meters",
    "callback_agent": "/callbacks",
    "complaint_handler": "/complaints",
}
NAV_EN = {
    "dispatcher": ["Dispatch wall", "Hotline", "Call-backs"],
    "admin": [
        "Dispatch wall",
        "Hotline",
        "Crew jobs",
        "Management",
        "Call-backs",
        "Complaints",
        "Meter reading",
    ],
    "manager": ["Dispatch wall", "Management", "Call-backs", "Complaints", "Meter reading"],
    "crew_lead": ["Crew jobs"],
    "hotline_agent": ["Hotline"],
    "meter_team_lead": ["Meter reading"],
    "finance_manager": ["Meter reading"],
    "vice_president": ["Meter reading"],
    "callback_agent": ["Call-backs"],
    "complaint_handler": ["Complaints"],
}


def user(role: str) -> dict:
    return {"username": f"demo-{role}", "role": role, "crew_id": 1 if role == "crew_lead" else None}


def links(component) -> list:
    return find_all(component, lambda c: isinstance(c, html.A))


def nav_of(component) -> list[str]:
    (nav,) = find_all(component, lambda c: isinstance(c, html.Nav))
    return [a.children for a in links(nav)]


# --- the table ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_open_exactly_its_pages(role):
    assert [page.path for page in site_map.pages_for(role)] == MAY_OPEN[role]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lands_on_its_own_page_which_it_may_open(role):
    landing = site_map.landing_page(role)

    assert landing == LANDS_ON[role]
    assert landing in MAY_OPEN[role]


def test_no_role_at_all_may_open_no_page():
    assert site_map.pages_for(None) == []
    assert site_map.pages_for("intruder") == []


@pytest.mark.parametrize("path", ["/wall", "/wall/", "/wall?lang=en", "/wall#top"])
def test_a_page_is_found_by_its_path_whatever_follows_it(path):
    assert site_map.page_at(path) is site_map.WALL


@pytest.mark.parametrize(
    "path", ["", None, "/", "/walls", "/wall/x", "//evil.example/wall", "https://x/wall"]
)
def test_no_page_is_found_at_other_paths_or_on_other_hosts(path):
    assert site_map.page_at(path) is None


@pytest.mark.parametrize(
    ("role", "requested", "goes_to"),
    [
        ("manager", "/wall?lang=en", "/wall?lang=en"),  # asked for, and may open it
        ("admin", "/crew", "/crew"),
        ("crew_lead", "/wall", "/crew"),  # may not: its own page instead of a 403
        ("hotline_agent", "/manager", "/hotline"),
        ("dispatcher", "/", "/wall"),
        ("dispatcher", None, "/wall"),
        ("dispatcher", "/layers/mains.geojson", "/wall"),  # not a page
        ("dispatcher", "//evil.example/wall", "/wall"),
    ],
)
def test_after_logging_in_a_user_goes_to_the_page_asked_for_only_if_its_role_may_open_it(
    role, requested, goes_to
):
    assert site_map.after_login(role, requested) == goes_to


@pytest.mark.parametrize(
    ("path", "role", "status"),
    [
        ("/wall", "dispatcher", 200),
        ("/wall", "manager", 200),
        ("/wall", "crew_lead", 403),
        ("/wall", "hotline_agent", 403),
        ("/crew", "crew_lead", 200),
        ("/crew", "dispatcher", 403),
        ("/manager", "hotline_agent", 403),
        ("/hotline", "dispatcher", 200),
        ("/nothing-here", "admin", 404),
        ("/wall", None, 403),
    ],
)
def test_the_status_of_a_page_path(path, role, status):
    assert page_status(path, role) == status


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_page_role_and_announced_item_has_words_in_both_languages(lang):
    keys = [page.title for page in site_map.PAGES]
    keys += [f"role.{role}" for role in ROLES]

    assert [key for key in keys if key not in TEXTS] == []
    assert len({t(key, lang) for key in keys}) == len(keys)  # no two read the same


# --- the header --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_header_links_exactly_the_pages_the_role_may_open(role):
    header = site_header("en", user(role), "/crew")

    assert nav_of(header) == NAV_EN[role]


def test_the_header_names_the_pages_in_chinese_by_default():
    header = site_header("zh-CN", user("admin"), "/wall")

    assert nav_of(header) == [
        "调度大屏",
        "热线受理",
        "班组任务",
        "管理看板",
        "回访工作台",
        "投诉处理",
        "抄表稽核",
    ]


def test_the_header_marks_the_current_page_and_shows_the_user_and_the_role_in_the_language():
    header = site_header("zh-CN", user("manager"), "/manager")

    current = [a for a in links(header) if "site-nav-current" in a.className]
    assert [(a.href, a.to_plotly_json()["props"]["aria-current"]) for a in current] == [
        ("/manager", "page")
    ]
    assert "demo-manager" in text_of(header)
    assert "经理" in text_of(header)


def test_the_language_switch_comes_back_to_the_same_page_and_log_out_is_there():
    zh = {a.children: a.href for a in links(site_header("zh-CN", user("crew_lead"), "/crew"))}
    en = {a.children: a.href for a in links(site_header("en", user("crew_lead"), "/crew"))}

    assert zh["English"] == "/lang/en?next=/crew"
    assert en["中文"] == "/lang/zh-CN?next=/crew"
    assert zh["退出登录"] == "/logout"
    assert en["Log out"] == "/logout"


# --- the pages still to come -------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_crew_page_lays_out_the_job_the_way_the_valves_and_the_status_in_the_language(lang):
    page = crew_page(lang, user("crew_lead"))
    titles = find_all(page, lambda c: type(c).__name__ == "H2")

    expected = {
        "zh-CN": ["我的任务", "行车路线", "需关闭的阀门（按顺序）", "工作状态"],
        "en": ["My job", "The way there", "Valves to close, in order", "Status"],
    }[lang]
    assert [text_of(title) for title in titles] == expected
    assert find_all(page, lambda c: getattr(c, "className", None) == "coming-list") == []


def test_the_managers_page_holds_the_response_map_the_compliance_and_the_leak_log():
    from datetime import date

    page = manager_page("en", user("manager"), today=date(2026, 3, 10), bounds=None, min_jobs=3)
    text = text_of(page)
    for words in ("Response-time map", "Share within target", "Daily leak log", "Mark reviewed"):
        assert words in text
    assert "Fewer than 3 jobs (not coloured)" in text
    (period,) = find_all(page, lambda c: getattr(c, "id", None) == ids.MGR_RANGE)
    assert (period.start_date, period.end_date) == ("2026-02-08", "2026-03-09")


def test_the_hotline_page_has_the_search_box_focused_and_the_types_in_the_manuals_groups():
    page = hotline_page("zh-CN", user("dispatcher"))
    (box,) = find_all(page, lambda c: getattr(c, "id", None) == ids.HL_SEARCH)
    assert box.autoFocus is True
    text = text_of(page)
    for words in ("查找客户", "客户档案", "抢险", "维修", "计划服务", "非现场", "附近未完成工单"):
        assert words in text
    assert "⚠ 漏气/闻到燃气味" in text and "⚠ 咨询" not in text
    assert "© OpenStreetMap contributors" in text


# --- the router --------------------------------------------------------------------------------

BUILDERS = {
    "/wall": lambda lang, user: html.Div("the wall", id="built-wall"),
    "/hotline": lambda lang, user: html.Div("the hotline", id="built-hotline"),
    "/crew": lambda lang, user: html.Div("the crew page", id="built-crew"),
    "/manager": lambda lang, user: html.Div("the manager page", id="built-manager"),
}


def test_the_router_builds_a_page_the_role_may_open():
    assert page_for("/hotline", user("dispatcher"), "en", BUILDERS).id == "built-hotline"


@pytest.mark.parametrize(("role", "built"), [("manager", "built-manager"), ("admin", "built-wall")])
def test_the_router_shows_the_roles_own_page_at_the_root(role, built):
    assert page_for("/", user(role), "en", BUILDERS).id == built


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_router_refuses_a_page_the_role_may_not_open_in_the_language(lang):
    page = page_for("/wall", user("crew_lead"), lang, BUILDERS)
    text = text_of(page)

    assert "the wall" not in text
    assert t("error.forbidden", lang) in text
    assert {"zh-CN": "抢修班长", "en": "Crew lead"}[lang] in text
    home = [a for a in links(page) if a.className == "refusal-home"]
    assert [a.href for a in home] == ["/crew"]


def test_the_router_says_when_there_is_no_page_at_a_path():
    page = page_for("/no/such/page", user("dispatcher"), "en", BUILDERS)

    assert "Page not found" in text_of(page)
    assert "/no/such/page" in text_of(page)
    assert nav_of(page) == ["Dispatch wall", "Hotline", "Call-backs"]


def test_the_router_refuses_everything_to_nobody():
    assert "You may not open this page" in text_of(page_for("/wall", None, "en", BUILDERS))


# --- the wall's controls -----------------------------------------------------------------------


def confirm_dialogs(page) -> list:
    return find_all(page, lambda c: isinstance(c, dcc.ConfirmDialog))


def test_the_wall_has_the_assignment_confirmation_for_a_dispatcher_and_not_for_a_manager():
    dispatcher = build_wall("dsn", user=user("dispatcher"), read_bounds=lambda dsn: HELSINKI)
    manager = build_wall("dsn", user=user("manager"), read_bounds=lambda dsn: HELSINKI)

    assert [d.id for d in confirm_dialogs(dispatcher)] == [ids.CONFIRM]
    assert confirm_dialogs(manager) == []
    assert "只读" in text_of(manager)
    assert "只读" not in text_of(dispatcher)
    assert nav_of(manager) == ["调度大屏", "管理看板", "回访工作台", "投诉处理", "抄表稽核"]


# --- over HTTP, with users put into the session ------------------------------------------------


class OpenSessions:
    """Page sessions without a database: every session id handed out stays live."""

    def open(self, username: str) -> str:
        return f"session-of-{username}"

    def is_live(self, session_id: str, username: str) -> bool:
        return session_id == f"session-of-{username}"

    def end(self, session_id: str) -> None:
        pass


@pytest.fixture(scope="module")
def app():
    return create_app(DEAD_DSN, secret_key="test-secret-key", web_sessions=OpenSessions())


def client_as(app, role: str | None):
    client = app.server.test_client()
    if role is not None:
        with client.session_transaction() as session:
            session["user"] = user(role)
            session["sid"] = f"session-of-{session['user']['username']}"
    return client


@pytest.mark.parametrize("role", ROLES)
def test_the_root_sends_each_role_to_its_own_page(app, role):
    response = client_as(app, role).get("/")

    assert response.status_code == 302
    assert response.headers["Location"] == LANDS_ON[role]


def test_a_page_the_role_may_open_is_the_app(app):
    response = client_as(app, "manager").get("/wall")

    assert response.status_code == 200
    assert 'id="react-entry-point"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "path"), [("crew_lead", "/wall"), ("manager", "/crew"), ("hotline_agent", "/manager")]
)
def test_a_page_the_role_may_not_open_answers_403(app, role, path):
    assert client_as(app, role).get(path).status_code == 403


def test_an_unknown_page_path_answers_404(app):
    assert client_as(app, "dispatcher").get("/no/such/page").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/no-such-thing"),
        ("GET", "/api/v2/tickets"),
        ("GET", "/api/v1/tickets/not-a-number"),
        ("POST", "/api/v1/tickets/not-a-number/assign"),
    ],
)
def test_an_unknown_api_path_or_a_bad_id_answers_a_json_404_even_without_a_log_in(
    app, method, path
):
    response = app.server.test_client().open(path, method=method)

    assert response.status_code == 404
    assert response.is_json
    body = response.get_json()
    assert body["error"] == "not_found" and body["field"] is None
    assert path in body["detail"]


def test_a_method_an_api_path_does_not_take_answers_a_json_405(app):
    response = app.server.test_client().delete("/api/v1/tickets")

    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed"


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-layout",
        "/_dash-dependencies",
        "/_reload-hash",
        "/_favicon.ico",
        "/assets/site.css",
        "/login",
    ],
)
def test_the_apps_own_routes_still_answer(app, path):
    with client_as(app, "crew_lead").get(path) as response:
        assert response.status_code == 200, path
        assert response.get_data()


def test_the_layout_is_the_routers_frame(app):
    layout = client_as(app, "crew_lead").get("/_dash-layout").get_json()

    ids_in_layout = [child["props"]["id"] for child in layout["props"]["children"]]
    assert ids_in_layout == [ids.URL, ids.PAGE]


def test_the_language_switch_returns_to_the_page_it_was_clicked_on_and_never_off_site(app):
    client = client_as(app, "crew_lead")

    back = client.get("/lang/en?next=/crew")
    away = client.get("/lang/en?next=/%5Cevil.example")

    assert (back.status_code, back.headers["Location"]) == (302, "/crew")
    assert away.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert session["lang"] == "en"


@pytest.mark.parametrize(
    ("role", "next_path", "lands"),
    [
        ("dispatcher", "/", "/wall"),
        ("crew_lead", "/", "/crew"),
        ("hotline_agent", "/", "/hotline"),
        ("manager", "/", "/manager"),
        ("admin", "/", "/wall"),
        ("manager", "/wall", "/wall"),
        ("crew_lead", "/wall", "/crew"),
    ],
)
def test_logging_in_lands_on_the_roles_page_or_the_one_asked_for(
    monkeypatch, role, next_path, lands
):
    import dashboards.login

    monkeypatch.setattr(
        dashboards.login,
        "verify_login",
        lambda dsn, name, password, client: Actor(name, role, 1 if role == "crew_lead" else None),
    )
    client = create_app(DEAD_DSN, secret_key="k", web_sessions=OpenSessions()).server.test_client()

    response = client.post(
        f"/login?next={next_path}", data={"username": "someone", "password": "secret"}
    )

    assert (response.status_code, response.headers["Location"]) == (302, lands)
