"""The page layout and the app factory, with the database replaced by plain functions."""

from __future__ import annotations

import dash
import dash_leaflet as dl

from dashboards import ids
from dashboards.app import build_wall, create_app, no_territory_message
from dashboards.i18n import t
from gis.errors import DatabaseUnavailable

DEAD_DSN = "postgresql://postgres@127.0.0.1:1/x"
HELSINKI = [[60.16, 24.93], [60.175, 24.96]]


def find(component, component_id):
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if hasattr(child, "to_plotly_json"):
            found = find(child, component_id)
            if found is not None:
                return found
    return None


def unreachable(dsn: str):
    raise DatabaseUnavailable("database unreachable (127.0.0.1:1/x): Connection refused")


def test_the_page_fits_the_map_to_the_territory_and_shows_no_alert():
    page = build_wall("dsn", read_bounds=lambda dsn: HELSINKI)
    assert find(page, ids.MAP).bounds == HELSINKI
    assert find(page, ids.ALERT).hidden is True


def test_the_page_says_when_no_territory_is_loaded():
    page = build_wall("dsn", read_bounds=lambda dsn: None)
    alert = find(page, ids.ALERT)
    assert alert.children == no_territory_message("zh-CN")
    assert alert.hidden is False


def test_the_page_still_renders_with_an_alert_when_the_database_is_down():
    page = build_wall("dsn", read_bounds=unreachable)
    assert isinstance(find(page, ids.MAP), dl.Map)
    assert t("common.database_unavailable", "zh-CN") in find(page, ids.ALERT).children
    assert "Connection refused" in find(page, ids.ALERT).children


def test_creating_the_app_does_not_touch_the_database():
    app = create_app(DEAD_DSN)
    assert isinstance(app, dash.Dash)
    rules = {rule.rule for rule in app.server.url_map.iter_rules()}
    assert {"/healthz", "/layers/<name>.geojson"} <= rules


def test_the_app_serves_its_scripts_itself():
    app = create_app(DEAD_DSN)
    assert app.config.serve_locally is True
    assert app.config.external_scripts == []
    assert app.config.external_stylesheets == []
