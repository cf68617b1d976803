"""The hotline agent's page (/hotline): for now, what is coming there."""

from __future__ import annotations

from dash import html

from dashboards.pages.coming import coming_page
from dashboards.pages.site_map import HOTLINE

COMING = [
    "coming.hotline.find",
    "coming.hotline.create",
    "coming.hotline.emergency",
    "coming.hotline.repeat",
    "coming.hotline.complaint",
]


def hotline_page(lang: str, user: dict | None) -> html.Div:
    return coming_page(lang, user, HOTLINE, COMING)
