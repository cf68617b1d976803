"""The pages work under the full Content-Security-Policy: in a real Chromium, the wall, the crew
lead's phone page and the manager's page are drawn (map, plots, live controls) and the browser
reports no violation of the policy."""

from __future__ import annotations

import pytest

from dashboards.web_security import content_security_policy
from tests.e2e.test_map_page import log_in

# Records every violation the browser reports, before any script of the page runs.
_WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""

# user, the page it lands on, viewport, what must be drawn there
PAGES = [
    ("dispatcher", "/wall", (1920, 1080), ".leaflet-container path.leaflet-interactive"),
    ("crewlead", "/crew", (390, 844), ".site-nav a"),
    ("manager", "/manager", (1920, 1080), ".mgr-map.leaflet-container"),
    ("meterlead", "/meters", (390, 844), "[data-figure='read_rate']"),
]


@pytest.mark.browser
@pytest.mark.parametrize(("user", "lands", "size", "drawn"), PAGES)
def test_the_page_works_under_the_policy_with_no_violation(
    dash_server_url, browser, artifacts_dir, user, lands, size, drawn
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.add_init_script(_WATCH_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: console.append(str(exc)))
    policies: list[str] = []
    page.on(
        "response",
        lambda r: (
            policies.append(r.headers.get("content-security-policy", ""))
            if r.url.rstrip("/").endswith(lands)
            else None
        ),
    )

    log_in(page, dash_server_url, user, lands=lands)
    expect(page.locator(drawn).first).to_be_visible(timeout=20_000)
    page.wait_for_timeout(1500)  # the first callbacks and pushes have run
    violations = page.evaluate("window.__cspViolations")
    page.screenshot(path=str(artifacts_dir / f"csp_{user}_{size[0]}x{size[1]}.png"))
    context.close()

    assert policies and "script-src 'self' 'sha256-" in policies[0]
    assert "'unsafe-inline'" not in policies[0].split("script-src")[1].split(";")[0]
    assert violations == []
    assert [line for line in console if "Content Security Policy" in line] == []


def test_the_policy_allows_only_this_origin_and_the_hashed_inline_scripts():
    policy = content_security_policy(["'sha256-abc='"], image_origins=["https://tiles.example"])

    assert policy == (
        "default-src 'self'; script-src 'self' 'sha256-abc='; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https://tiles.example; "
        "font-src 'self' data:; connect-src 'self'; media-src 'self' blob:; "
        "worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
