"""The header every page shares: the app's name, links to the pages the user's role may open,
the user's name and role, the language switch and log-out."""

from __future__ import annotations

from urllib.parse import quote

from dash import html

from dashboards.i18n import EN, ZH, normalize_language, role_label, t
from dashboards.pages.site_map import pages_for


def site_header(lang: str, user: dict | None, current_path: str, *, tools=()) -> html.Header:
    """The header of the page at ``current_path``; ``tools`` (a page's own controls, such as the
    wall's clock) sit between the navigation and the user."""
    lang = normalize_language(lang)
    role = (user or {}).get("role")
    links = [
        html.A(
            t(page.title, lang),
            href=page.path,
            className="site-nav-link" + (" site-nav-current" if page.path == current_path else ""),
            **({"aria-current": "page"} if page.path == current_path else {}),
        )
        for page in pages_for(role)
    ]
    other = EN if lang == ZH else ZH
    # The switch brings the user back to this page in the other language.
    switch = f"/lang/{other}?next={quote(current_path)}"
    return html.Header(
        [
            html.H1(t("app.title", lang), className="site-title"),
            html.Nav(links, className="site-nav", **{"aria-label": t("nav.label", lang)}),
            html.Div(list(tools), className="site-tools"),
            html.Div(
                [
                    html.Span(user["username"] if user else "", className="site-user-name"),
                    html.Span(role_label(role, lang) if role else "", className="site-user-role"),
                    html.A(t("lang.switch", lang), href=switch, className="site-lang"),
                    html.A(t("logout", lang), href="/logout", className="site-logout"),
                ],
                className="site-user",
            ),
        ],
        className="site-header",
    )
