"""The crew lead's page (/crew), on a phone: for now, what is coming there."""

from __future__ import annotations

from dash import html

from dashboards.pages.coming import coming_page
from dashboards.pages.site_map import CREW

COMING = [
    "coming.crew.assignment",
    "coming.crew.route",
    "coming.crew.valves",
    "coming.crew.status",
    "coming.crew.sign_off",
]


def crew_page(lang: str, user: dict | None) -> html.Div:
    return coming_page(lang, user, CREW, COMING)
