"""A page whose screens later issues will add: it says what is coming there, in a short list,
and links to what the role can already use."""

from __future__ import annotations

from dash import html

from dashboards.i18n import t
from dashboards.pages.frame import framed_page
from dashboards.pages.site_map import WALL, Page, pages_for
from dispatch import auth
from dispatch.api import PREFIX

API_DESCRIPTION = f"{PREFIX}/openapi.json"


def coming_page(lang: str, user: dict | None, page: Page, coming: list[str]) -> html.Div:
    """``page`` announcing ``coming`` (message ids, one a line)."""
    role = (user or {}).get("role")
    others = [
        html.Li(html.A(_link_text(other, role, lang), href=other.path, className="coming-link"))
        for other in pages_for(role)
        if other != page
    ]
    api = html.Li(html.A(t("coming.api", lang), href=API_DESCRIPTION, className="coming-link"))
    return framed_page(
        lang,
        user,
        page.path,
        [
            html.H2(t(page.title, lang), className="site-page-title"),
            html.Section(
                [
                    html.H3(t("coming.title", lang)),
                    html.Ul([html.Li(t(key, lang)) for key in coming], className="coming-list"),
                ],
                className="site-card",
            ),
            html.Section(
                [
                    html.H3(t("coming.available_now", lang)),
                    html.Ul([*others, api], className="coming-available"),
                ],
                className="site-card",
            ),
        ],
        name=f"page-{page.path.strip('/')}",
    )


def _link_text(page: Page, role: str | None, lang: str) -> str:
    # A role that may open the wall but neither assign nor cancel watches it read-only.
    if page == WALL and not auth.allows(role, "tickets.assign"):
        return f"{t(page.title, lang)} ({t('page.read_only', lang)})"
    return t(page.title, lang)
