"""Which page the browser shows for its path, for the logged-in user.

The app's layout is only a location and an empty frame (:func:`app_frame`): the layout is
fetched by a background request that cannot see the page's URL, so a callback fills the frame
for the path. It checks the role itself (the HTTP guard in :mod:`dashboards.page_guard` has
already answered 403 or 404 on a full page load, but a callback is a door of its own).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dash import Input, Output, dcc, html
from flask import session

from dashboards import ids
from dashboards.i18n import DEFAULT_LANGUAGE
from dashboards.pages.refusal import forbidden_page, not_found_page
from dashboards.pages.site_map import landing_page, may_open, page_at

#: Builds a page for (language, user).
PageBuilder = Callable[[str, dict | None], html.Div]


def app_frame() -> html.Div:
    return html.Div([dcc.Location(id=ids.URL), html.Div(id=ids.PAGE)])


def page_for(
    path: str | None, user: dict | None, lang: str, builders: Mapping[str, PageBuilder]
) -> html.Div:
    """The page at ``path`` (``builders`` by page path) if the user's role may open it, else
    the refusal that says why."""
    role = (user or {}).get("role")
    path = path or "/"
    if path == "/":  # the server redirects "/"; a client-side visit lands the same way
        path = landing_page(role)
    page = page_at(path)
    if page is None:
        return not_found_page(lang, user, path)
    if not may_open(role, page):
        return forbidden_page(lang, user, path)
    return builders[page.path](lang, user)


def register_page_router(app, builders: Mapping[str, PageBuilder]) -> None:
    @app.callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"))
    def _route(pathname):
        lang = session.get("lang", DEFAULT_LANGUAGE)
        return page_for(pathname, session.get("user"), lang, builders)
