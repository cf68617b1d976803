"""The web pages by path: which exist, what each is called, who may open it and where each role
lands after logging in.

Who may open a page is not decided here: each page names its action in
:data:`dispatch.auth.PERMISSIONS`, the table the JSON API checks too. Plain data and pure
functions, so the log-in, the HTTP guard, the header and the callbacks all ask the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from dispatch import auth


@dataclass(frozen=True)
class Page:
    path: str
    action: str  # the permission needed to open it, a key of dispatch.auth.PERMISSIONS
    title: str  # message id of its name (dashboards.i18n)


WALL = Page("/wall", "pages.wall", "page.wall")
HOTLINE = Page("/hotline", "pages.hotline", "page.hotline")
CREW = Page("/crew", "pages.crew", "page.crew")
MANAGER = Page("/manager", "pages.manager", "page.manager")
CALLBACKS = Page("/callbacks", "pages.callbacks", "page.callbacks")
COMPLAINTS = Page("/complaints", "pages.complaints", "page.complaints")
METERS = Page("/meters", "pages.meters", "page.meters")
#: In the order the header lists them.
PAGES: tuple[Page, ...] = (WALL, HOTLINE, CREW, MANAGER, CALLBACKS, COMPLAINTS, METERS)

#: Role -> the path it lands on after logging in (and at ``/``).
LANDING_PAGES: dict[str, str] = {
    "dispatcher": WALL.path,
    "admin": WALL.path,
    "manager": MANAGER.path,
    "crew_lead": CREW.path,
    "hotline_agent": HOTLINE.path,
    "callback_agent": CALLBACKS.path,
    "complaint_handler": COMPLAINTS.path,
    "meter_team_lead": METERS.path,
    "finance_manager": METERS.path,
    "vice_president": METERS.path,
}
#: Where a role without a page of its own lands: the log-in form, never a page it may not open.
NO_LANDING = "/login"


def page_at(path: str | None) -> Page | None:
    """The page served at ``path`` on this server (a trailing slash and a query string are
    ignored; a URL naming another host is no page of ours)."""
    if not path:
        return None
    parsed = urlparse(path)
    if parsed.scheme or parsed.netloc:
        return None
    clean = parsed.path.rstrip("/") or "/"
    return next((page for page in PAGES if page.path == clean), None)


def may_open(role: str | None, page: Page) -> bool:
    return auth.allows(role, page.action)


def pages_for(role: str | None) -> list[Page]:
    """The pages ``role`` may open, in the header's order."""
    return [page for page in PAGES if may_open(role, page)]


def landing_page(role: str | None) -> str:
    return LANDING_PAGES.get(role or "", NO_LANDING)


def after_login(role: str, requested: str | None) -> str:
    """Where a user of ``role`` goes after logging in: the page asked for (``?next=``) when it
    is one the role may open, else the role's own page."""
    page = page_at(requested)
    if page is not None and may_open(role, page):
        return requested or page.path
    return landing_page(role)
