"""Every demo role logs in through the form in a real headless Chromium: where it lands, what
its header offers, what it is refused, and which controls the wall draws for it."""

from __future__ import annotations

import pytest

from dispatch.api import Api
from dispatch.territory_ports import ports_for_territory
from tests.dbutil import execute
from tests.e2e.conftest import serving
from tests.e2e.test_map_page import log_in
from tests.e2e.test_wall import LEAK, _open_ticket, _select

# Written from the rule, per demo user: the page it lands on, the header's links (zh-CN, the
# default language) and a page it may not open.
ROLES = {
    "dispatcher": (
        "/wall",
        [("/wall", "调度大屏"), ("/hotline", "热线受理"), ("/callbacks", "回访工作台")],
        "/crew",
    ),
    "hotline": ("/hotline", [("/hotline", "热线受理")], "/wall"),
    "crewlead": ("/crew", [("/crew", "班组任务")], "/wall"),
    "manager": (
        "/manager",
        [
            ("/wall", "调度大屏"),
            ("/manager", "管理看板"),
            ("/callbacks", "回访工作台"),
            ("/complaints", "投诉处理"),
            ("/meters", "抄表稽核"),
        ],
        "/hotline",
    ),
    "admin": (
        "/wall",
        [
            ("/wall", "调度大屏"),
            ("/hotline", "热线受理"),
            ("/crew", "班组任务"),
            ("/manager", "管理看板"),
            ("/callbacks", "回访工作台"),
            ("/complaints", "投诉处理"),
            ("/meters", "抄表稽核"),
        ],
        None,
    ),
    "callbacks": ("/callbacks", [("/callbacks", "回访工作台")], "/complaints"),
    "complaints": ("/complaints", [("/complaints", "投诉处理")], "/callbacks"),
    # the meter desk: the adjustments' signers land on it
    "meterlead": ("/meters", [("/meters", "抄表稽核")], "/wall"),
    "finance": ("/meters", [("/meters", "抄表稽核")], "/manager"),
    "vp": ("/meters", [("/meters", "抄表稽核")], "/complaints"),
}
ROLE_NAMES = {
    "dispatcher": "调度员",
    "hotline": "热线接听员",
    "crewlead": "抢修班长",
    "manager": "经理",
    "admin": "系统管理员",
    "callbacks": "回访员",
    "complaints": "投诉处理员",
    "meterlead": "抄表班组长",
    "finance": "财务经理",
    "vp": "分管副总",
}


@pytest.fixture(scope="module")
def served(demo_template, make_database):
    """The app on its own copy of the demo, with road recommendations."""
    dsn = make_database(template=demo_template)
    execute(dsn, "UPDATE crew_latest_positions SET recorded_at = now() - interval '1 minute'")
    with serving(dsn, api=Api(dsn, ports=ports_for_territory(dsn))) as url:
        yield url


def _logged_in(browser, base: str, user: str, *, width=1920, height=1080, errors=None):
    """A fresh browser context (its own cookies) logged in as ``user``."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    if errors is not None:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, user, lands=ROLES[user][0])
    return page


@pytest.mark.browser
@pytest.mark.parametrize("user", list(ROLES))
def test_each_role_lands_on_its_own_page_whose_header_links_exactly_the_pages_it_may_open(
    served, browser, artifacts_dir, user
):
    from playwright.sync_api import expect

    lands, nav, _ = ROLES[user]
    errors: list[str] = []
    page = _logged_in(browser, served, user, errors=errors)

    assert page.url == f"{served}{lands}"
    links = page.locator(".site-nav a")
    expect(links).to_have_count(len(nav), timeout=10_000)
    assert [(a.get_attribute("href"), a.inner_text()) for a in links.all()] == nav
    expect(page.locator(".site-nav-current")).to_have_attribute("href", lands)
    expect(page.locator(".site-user-name")).to_have_text(user)
    expect(page.locator(".site-user-role")).to_have_text(ROLE_NAMES[user])
    expect(page.locator(".site-lang")).to_have_text("English")
    expect(page.locator(".site-logout")).to_have_text("退出登录")
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts_dir / f"roles_landing_{user}_1920x1080.png"))
    page.context.close()
    assert errors == []


@pytest.mark.browser
@pytest.mark.parametrize("user", [u for u, (_, _, refused) in ROLES.items() if refused])
def test_a_page_the_role_may_not_open_answers_403_and_says_so_in_the_language(
    served, browser, artifacts_dir, user
):
    from playwright.sync_api import expect

    lands, nav, refused = ROLES[user]
    page = _logged_in(browser, served, user)

    response = page.goto(f"{served}{refused}")

    assert response.status == 403
    expect(page.locator(".refusal h2")).to_have_text("无权访问此页面", timeout=10_000)
    expect(page.locator(".refusal")).to_contain_text(ROLE_NAMES[user])
    expect(page.locator(".refusal-home")).to_have_attribute("href", lands)
    expect(page.locator(".site-nav a")).to_have_count(len(nav))
    expect(page.locator(".wall, .coming-list, .hl-columns")).to_have_count(0)  # not the page

    page.locator(".site-lang").click()  # and in English, back on the same path

    expect(page.locator(".refusal h2")).to_have_text("You may not open this page")
    assert page.url == f"{served}{refused}"
    page.screenshot(path=str(artifacts_dir / f"roles_refused_{user}_1920x1080.png"))
    page.context.close()


@pytest.mark.browser
def test_the_manager_watches_the_wall_without_assign_or_cancel_while_the_dispatcher_has_them(
    served, browser, artifacts_dir
):
    from playwright.sync_api import expect

    created = _open_ticket(served, {**LEAK, "address": "Aleksanterinkatu 20"})
    number = created["ticket"]["number"]
    seen: dict[str, dict[str, int]] = {}
    errors: list[str] = []
    for user in ("dispatcher", "manager"):
        page = _logged_in(browser, served, user, errors=errors)
        if user == "manager":
            page.goto(f"{served}/wall")
        row = page.locator(".queue-row:not(.queue-head)").filter(has_text="Aleksanterinkatu 20")
        expect(row).to_have_count(1, timeout=10_000)
        _select(page, row, number)
        expect(page.locator(".rec-row")).not_to_have_count(0, timeout=10_000)
        page.wait_for_timeout(1_500)  # a few refreshes: nothing redraws the controls
        seen[user] = {
            "recommendations": page.locator(".rec-row").count(),
            "assign": page.locator(".rec-assign").count(),
            "cancel": page.locator(".panel-cancel").count(),
            "reason": page.locator("#wall-cancel-reason").count(),
        }
        page.screenshot(path=str(artifacts_dir / f"roles_wall_{user}_1920x1080.png"))
        page.context.close()

    dispatcher, manager = seen["dispatcher"], seen["manager"]
    assert dispatcher["assign"] == dispatcher["recommendations"] > 0
    assert (dispatcher["cancel"], dispatcher["reason"]) == (1, 1)
    assert manager == {
        "recommendations": dispatcher["recommendations"],
        "assign": 0,
        "cancel": 0,
        "reason": 0,
    }
    assert errors == []


@pytest.mark.browser
def test_the_dispatchers_wall_fills_a_1920x1080_screen_under_the_shared_header(
    served, browser, artifacts_dir
):
    from playwright.sync_api import expect

    page = _logged_in(browser, served, "dispatcher")
    expect(page.locator("path.gm-crew").first).to_be_attached(timeout=15_000)
    expect(page.locator(".kpi-tile")).to_have_count(8)
    page.wait_for_timeout(1_000)
    page.screenshot(path=str(artifacts_dir / "roles_dispatcher_wall_1920x1080.png"))

    header = page.locator(".site-header").bounding_box()
    wall_map = page.locator(".wall-map").bounding_box()
    sizes = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight]"
    )
    assert header["height"] < 80  # one row: the clock and the user sit beside the navigation
    assert wall_map["y"] > header["y"] + header["height"] - 1
    assert sizes == [1920, 1080]  # no scrolling: the wall is one screen
    expect(page.locator(".wall-clock")).not_to_be_empty()
    page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_crew_leads_page_fits_a_phone(served, browser, artifacts_dir, lang):
    from playwright.sync_api import expect

    page = _logged_in(browser, served, "crewlead", width=390, height=844)
    if lang == "en":
        page.locator(".site-lang").click()
        page.wait_for_url(f"{served}/crew")
    expect(page.locator(".crew-card h2")).to_have_count(4, timeout=10_000)
    title = {"zh-CN": "我的任务", "en": "My job"}[lang]
    expect(page.locator(".crew-card h2").first).to_have_text(title)
    expect(page.locator("#crew-current > *")).not_to_have_count(0)
    page.screenshot(path=str(artifacts_dir / f"roles_crew_{lang}_390x844.png"), full_page=True)

    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 390
    for selector in (
        ".site-title",
        ".site-nav a",
        ".site-user > *",
        ".site-card",
        ".crew-card h2",
    ):
        for element in page.locator(selector).all():
            box = element.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
            assert element.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), selector
    page.context.close()


@pytest.mark.browser
def test_an_unknown_path_is_a_404_page_and_an_unknown_api_path_a_json_404(served, browser):
    from playwright.sync_api import expect

    page = _logged_in(browser, served, "manager")

    response = page.goto(f"{served}/no/such/page")

    assert response.status == 404
    expect(page.locator(".refusal h2")).to_have_text("页面不存在", timeout=10_000)
    expect(page.locator(".refusal")).to_contain_text("/no/such/page")
    expect(page.locator(".refusal-home")).to_have_attribute("href", "/manager")
    for path in ("/api/v1/no-such-thing", "/api/v1/tickets/not-a-number"):
        answer = page.request.get(f"{served}{path}")
        assert answer.status == 404, path
        assert answer.headers["content-type"].startswith("application/json")
        body = answer.json()
        assert (body["error"], body["field"]) == ("not_found", None)
        assert path in body["detail"]
    page.context.close()
