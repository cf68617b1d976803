"""The frame of every page but the wall (which fills the screen its own way): the shared header
over a readable column that also fits a phone."""

from __future__ import annotations

from dash import html

from dashboards.components.site_header import site_header
from dashboards.i18n import normalize_language


def framed_page(lang: str, user: dict | None, path: str, body: list, *, name: str) -> html.Div:
    """``body`` under the header of the page at ``path``; ``name`` is a CSS class naming the
    page (``page-crew``, ``page-not-found``...)."""
    lang = normalize_language(lang)
    return html.Div(
        [site_header(lang, user, path), html.Main(body, className="site-main")],
        className=f"site-page {name}",
        lang=lang,
    )
