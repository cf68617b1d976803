"""The manager's page (/manager): for now, what is coming there."""

from __future__ import annotations

from dash import html

from dashboards.pages.coming import coming_page
from dashboards.pages.site_map import MANAGER

COMING = [
    "coming.manager.response_map",
    "coming.manager.compliance",
    "coming.manager.satisfaction",
    "coming.manager.complaints",
    "coming.manager.workload",
]


def manager_page(lang: str, user: dict | None) -> html.Div:
    return coming_page(lang, user, MANAGER, COMING)
