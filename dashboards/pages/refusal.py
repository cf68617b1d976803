"""What is shown instead of a page: one the user's role may not open (403) or none at all
(404). The HTTP status is set by :mod:`dashboards.page_guard`; these are the words."""

from __future__ import annotations

from dash import html

from dashboards.i18n import role_label, t
from dashboards.pages.frame import framed_page
from dashboards.pages.site_map import landing_page


def forbidden_page(lang: str, user: dict | None, path: str) -> html.Div:
    role = (user or {}).get("role")
    detail = t("error.forbidden_detail", lang, role=role_label(role, lang), path=path)
    return _refusal(lang, user, path, "error.forbidden", detail, name="page-forbidden")


def not_found_page(lang: str, user: dict | None, path: str) -> html.Div:
    detail = t("error.not_found_detail", lang, path=path)
    return _refusal(lang, user, path, "error.not_found", detail, name="page-not-found")


def _refusal(lang, user, path: str, title: str, detail: str, *, name: str) -> html.Div:
    home = landing_page((user or {}).get("role"))
    return framed_page(
        lang,
        user,
        path,
        [
            html.Section(
                [
                    html.H2(t(title, lang), className="site-page-title"),
                    html.P(detail, className="refusal-detail"),
                    html.A(t("error.go_home", lang), href=home, className="refusal-home"),
                ],
                className="site-card refusal",
                role="alert",
            )
        ],
        name=name,
    )
