"""The wall as an operator wants it (issue 14), in headless Chromium at the wall's sizes:
one language from the translation tables, the crew code in the confirmation, a first click
that selects while the queue refreshes, street names, the selection in view, and a layout that
fits 1920x1080 and 3840x2160 without scrolling, for each role that opens the wall."""

from __future__ import annotations

import re

import pytest

from dashboards.i18n import TEXTS
from tests.dbutil import fetch_value
from tests.e2e.test_map_page import log_in
from tests.e2e.test_wall import (  # noqa: F401 (fixtures)
    LEAK,
    _open_ticket,
    crews_reported_just_now,
    wall,
)

SIZES = [(1920, 1080), (3840, 2160)]
LANDS = {"dispatcher": "/wall", "admin": "/wall", "manager": "/manager"}
CJK = re.compile(r"[\u4e00-\u9fff]")
#: A code shown raw (``life_support``, ``status_changed``): never a word for people.
RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")
#: English texts of the tables (not also a Chinese text, as the link to English is), as
#: whole words on a page.
_CHINESE_TEXTS = {e["zh-CN"] for e in TEXTS.values()}
ENGLISH_WORDS = sorted(
    {
        e["en"]
        for e in TEXTS.values()
        if e["en"] not in _CHINESE_TEXTS and re.search("[a-z]{3}", e["en"])
    },
    key=len,
    reverse=True,
)

VISIBLE_TEXTS = """() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, el = node.parentElement;
        const text = node.textContent.trim();
        if (!text || !el || el.closest('script, style, .leaflet-control-attribution')) continue;
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        out.push(text);
    }
    return out;
}"""


@pytest.fixture(scope="module")
def wall_with_leak(wall):  # noqa: F811
    """The live wall with one open leak to select."""
    base, dsn = wall
    _open_ticket(base, {**LEAK, "lon": 24.9452, "lat": 60.1702, "address": "Fits street 1"})
    return base, dsn


def _wall_page(browser, base, user, size, lang, errors):
    width, height = size
    page = browser.new_page(viewport={"width": width, "height": height})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, base, user=user, lands=LANDS[user])
    page.goto(f"{base}/lang/{lang}?next=/wall")
    page.wait_for_url(f"{base}/wall")
    return page


def _inside(box, width, height) -> bool:
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width + 0.5
        and box["y"] + box["height"] <= height + 0.5
    )


#: Every size and language for the dispatcher; the other roles once at each size.
CASES = [
    *[("dispatcher", size, lang) for size in SIZES for lang in ("zh-CN", "en")],
    ("manager", SIZES[0], "zh-CN"),
    ("manager", SIZES[1], "en"),
    ("admin", SIZES[0], "en"),
    ("admin", SIZES[1], "zh-CN"),
]


@pytest.mark.parametrize(
    ("user", "size", "lang"), CASES, ids=[f"{u}-{s[0]}x{s[1]}-{lang}" for u, s, lang in CASES]
)
def test_the_wall_fits_the_screen_in_one_language_for_each_role(
    wall_with_leak,
    browser,
    artifacts_dir,
    size,
    user,
    lang,
):
    from playwright.sync_api import expect

    base, _ = wall_with_leak
    width, height = size
    errors: list[str] = []
    page = _wall_page(browser, base, user, size, lang, errors)
    row = page.locator(".queue-row:not(.queue-head)").first
    expect(row).to_be_visible(timeout=30_000)
    row.click()
    expect(page.locator(".panel-title")).to_be_visible(timeout=15_000)
    expect(page.locator("img.video-feed").first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1_500)  # the map flies to the selection, labels are drawn
    page.screenshot(path=str(artifacts_dir / f"wall_{lang}_{user}_{width}x{height}.png"))

    # Nothing scrolls: the page fits, and the queue, the panel and the video wall are in view.
    overflow = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert overflow[0] <= width and overflow[1] <= height
    for part in (".wall-queue", ".wall-panel", ".wall-video", ".wall-map", ".gm-legend"):
        assert _inside(page.locator(part).bounding_box(), width, height), part
    scale = page.locator(".leaflet-control-scale-line")
    assert _inside(scale.bounding_box(), width, height)
    assert re.fullmatch(r"\d+ (m|km)", scale.inner_text().strip())  # not cut ("100 n")
    clipped = scale.evaluate("e => e.scrollWidth > e.clientWidth + 1")
    assert not clipped

    # Every word from the tables, in the one language asked for.
    texts = page.evaluate(VISIBLE_TEXTS)
    assert [s for s in texts if RAW_CODE.search(s)] == []
    if lang == "en":
        english_texts = {e["en"] for e in TEXTS.values()}  # the link to Chinese says 中文
        assert [s for s in texts if CJK.search(s) and s not in english_texts] == []
    else:
        english = [
            s for s in texts if any(re.search(rf"\b{re.escape(w)}\b", s) for w in ENGLISH_WORDS)
        ]
        assert english == []

    # What the role may not use is not drawn.
    may_assign = user != "manager"
    if may_assign:
        expect(page.locator(".rec-assign").first).to_be_visible()
    else:
        expect(page.locator(".rec-assign")).to_have_count(0)
    # Icons grow with the screen: the P1 leak's dot (radius 12) is twice as large on 4K.
    diameter = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('path.gm-incident-p1')]"
        ".map(e => e.getBBox().width))"
    )
    assert diameter == pytest.approx(48 if width > 3000 else 24, abs=1)
    assert errors == []


def test_the_first_click_selects_while_the_queue_refreshes_and_the_map_comes_to_it(
    wall,  # noqa: F811
    browser,
):
    from playwright.sync_api import expect

    base, _ = wall
    created = _open_ticket(
        base, {**LEAK, "type": "meter_fault", "lon": 24.9390, "lat": 60.1660, "address": "Eka 1"}
    )
    number = created["ticket"]["number"]
    errors: list[str] = []
    page = _wall_page(browser, base, "dispatcher", (1920, 1080), "zh-CN", errors)
    row = page.locator(".queue-row:not(.queue-head)").filter(has_text="Eka 1")
    expect(row).to_have_count(1, timeout=30_000)

    for _ in range(3):  # each time, one click just after the queue was redrawn
        page.evaluate(
            """() => new Promise(done => {
                const queue = document.getElementById('wall-queue');
                const seen = new MutationObserver(() => { seen.disconnect(); done(); });
                seen.observe(queue, {subtree: true, childList: true, characterData: true});
            })"""
        )
        row.click()
        # Selected at once, in the browser, whatever the redraw; then the panel follows.
        expect(row).to_have_class(re.compile(r"\bqueue-selected\b"), timeout=15_000)
        expect(page.locator(".panel-title")).to_contain_text(number, timeout=15_000)
        page.evaluate("() => window.dash_clientside.set_props('wall-selected', {data: null})")
        expect(page.locator(".panel-empty")).to_be_visible(timeout=15_000)

    row.click()
    expect(page.locator(".panel-title")).to_contain_text(number, timeout=15_000)
    page.wait_for_timeout(1_500)  # the flight to the incident
    ring = page.locator("path.gm-selected-ring")
    expect(ring).to_have_count(1)
    assert _inside(ring.bounding_box(), 1920 * 0.6, 1080)  # inside the map, in view
    zoom_labels = page.locator(".gm-street-label")
    expect(zoom_labels.first).to_be_attached(timeout=15_000)  # street names at this zoom
    assert zoom_labels.count() >= 3
    assert errors == []


def test_the_confirmation_names_the_crew_code_and_the_result_is_green(wall, browser):  # noqa: F811
    from playwright.sync_api import expect

    base, dsn = wall
    created = _open_ticket(base, {**LEAK, "lon": 24.9480, "lat": 60.1720, "address": "Toka 2"})
    number = created["ticket"]["number"]
    messages: list[str] = []
    page = browser.new_page(viewport={"width": 1920, "height": 1080})

    def answer(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    log_in(page, base)
    page.goto(f"{base}/lang/en?next=/wall")
    page.locator(".queue-row:not(.queue-head)").filter(has_text="Toka 2").click()
    expect(page.locator(".panel-title")).to_contain_text(number, timeout=15_000)
    first = page.locator(".rec-row").first
    code = first.locator(".rec-code").inner_text()

    first.locator(".rec-assign").click()

    expect(page.locator(".notice-ok")).to_have_text("Assigned", timeout=30_000)
    assert messages == [f"Assign {code} to this ticket?"]
    assert re.fullmatch(r"E-\d\d", code)
    expect(page.locator(".panel-assigned")).to_have_text(f"Assigned to {code}", timeout=15_000)
    expect(page.locator(".rec-assign")).to_have_count(0)  # no assign on an assigned ticket
    assigned = fetch_value(
        dsn,
        "SELECT c.code FROM tickets t JOIN crews c ON c.id = t.crew_id WHERE t.id = %s",
        (created["ticket"]["id"],),
    )
    assert assigned == code
    history = page.locator(".panel-history li").last
    expect(history).to_contain_text(f"assigned to {code} (Dispatcher)")
