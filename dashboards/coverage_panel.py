"""The coverage panel (issue 12, item 3): the areas reachable within the response target from
the depots and from the crews available now, drawn as layers of a page's map; the street km
no available crew reaches in time; and the suggested moves of idle crews with the km before
and after. The "apply" button is drawn only for a role holding ``coverage.move`` (what a role
cannot use is not drawn). The manager's page carries it; any page with a map may (its own
ids, so it does not clash with a page's). Callbacks: :mod:`dashboards.coverage_callbacks`."""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html

from dashboards.i18n import t
from dispatch import auth

COV_TARGET = "cov-target"  # dcc.Input: the response target in minutes
COV_REACH_DEPOTS = "cov-reach-depots"  # dl.GeoJSON: reach from the depots
COV_REACH_CREWS = "cov-reach-crews"  # dl.GeoJSON: reach from the available crews
COV_MOVES_LAYER = "cov-moves-layer"  # dl.GeoJSON: the suggested moves as lines
COV_FIGURES = "cov-figures"  # the uncovered km and the crews available
COV_MOVES = "cov-moves"  # the table of suggested moves
COV_MOVES_STORE = "cov-moves-store"  # dcc.Store: the suggested moves as the service gave them
COV_APPLY = "cov-apply"  # {"type": COV_APPLY, "index": i}: apply the i-th move
COV_NOTICE = "cov-notice"
COV_APPLIED = "cov-applied"  # dcc.Store: bumped when a move was applied (redraws)

DEFAULT_TARGET_MIN = 30
EMPTY = {"type": "FeatureCollection", "features": []}
#: Reach from the depots in blue, from the crews in green, moves in orange.
DEPOT_STYLE = {"color": "#388bfd", "weight": 1, "fillOpacity": 0.12, "className": "cov-depots"}
CREW_STYLE = {"color": "#3fb950", "weight": 1, "fillOpacity": 0.12, "className": "cov-crews"}
MOVE_STYLE = {"color": "#f0883e", "weight": 4, "dashArray": "8 6", "className": "cov-move"}


def can_move(user: dict | None) -> bool:
    return bool(user) and auth.allows(user.get("role"), "coverage.move")


def coverage_overlays(lang: str) -> list:
    """The map's overlays (add them to a ``dl.LayersControl``): both reaches and the moves."""
    return [
        dl.Overlay(
            dl.GeoJSON(id=COV_REACH_DEPOTS, data=EMPTY, style=DEPOT_STYLE, interactive=False),
            name=t("cov.reach_depots", lang),
            checked=True,
        ),
        dl.Overlay(
            dl.GeoJSON(id=COV_REACH_CREWS, data=EMPTY, style=CREW_STYLE, interactive=False),
            name=t("cov.reach_crews", lang),
            checked=True,
        ),
        dl.Overlay(
            dl.GeoJSON(id=COV_MOVES_LAYER, data=EMPTY, style=MOVE_STYLE),
            name=t("cov.moves_layer", lang),
            checked=True,
        ),
    ]


def coverage_section(lang: str, user: dict | None) -> html.Section:
    """The target, the figures and the moves' table (its buttons drawn by the callback, and
    only where the user may apply)."""
    return html.Section(
        [
            html.H3(t("cov.title", lang)),
            html.Div(
                [
                    html.Label(t("cov.target", lang), htmlFor=COV_TARGET),
                    dcc.Input(
                        id=COV_TARGET,
                        type="number",
                        min=1,
                        max=240,
                        step=1,
                        value=DEFAULT_TARGET_MIN,
                        debounce=True,
                        className="cov-target",
                    ),
                    html.Span(t("unit.min", lang)),
                    html.Span(
                        [
                            html.Span(className="mgr-swatch", style={"background": "#388bfd"}),
                            t("cov.reach_depots", lang),
                            html.Span(
                                className="mgr-swatch cov-swatch", style={"background": "#3fb950"}
                            ),
                            t("cov.reach_crews", lang),
                        ],
                        className="mgr-legend",
                    ),
                ],
                className="mgr-log-bar",
            ),
            html.Div(id=COV_FIGURES, className="cov-figures"),
            html.Div(id=COV_MOVES, className="mgr-scroll"),
            html.Span(id=COV_NOTICE, className="mgr-notice", role="status"),
            dcc.Store(id=COV_MOVES_STORE, data=[]),
            dcc.Store(id=COV_APPLIED, data=0),
        ],
        className="site-card cov-panel",
        **{"data-can-move": "1" if can_move(user) else "0"},
    )


def figures_view(cov: dict, lang: str) -> html.Div:
    uncovered = cov["uncovered_km_available"]
    suggestion = cov["suggestion"]
    return html.Div(
        [
            html.Span(
                t("cov.crews_available", lang, n=cov["crews_available"]), className="cov-crews-n"
            ),
            html.Span(
                t("cov.uncovered", lang, km="—" if uncovered is None else f"{uncovered:.2f}"),
                className="cov-uncovered",
            ),
            html.Span(
                t(
                    "cov.after_moves",
                    lang,
                    before=f"{suggestion['uncovered_before_km']:.2f}",
                    after=f"{suggestion['uncovered_after_km']:.2f}",
                ),
                className="cov-after",
            ),
        ],
        className="mgr-log-bar",
    )


def moves_table(moves: list[dict], lang: str, allowed: bool) -> html.Div | html.Table:
    if not moves:
        return html.P(t("cov.no_moves", lang), className="mgr-hint")
    heads = ["crew", "to", "before", "after"] + (["apply"] if allowed else [])
    rows = []
    for i, m in enumerate(moves):
        cells = [
            html.Td(m["crew_code"]),
            html.Td(m["to"]["label"]),
            html.Td(f"{m['uncovered_before_km']:.2f}", className="num"),
            html.Td(f"{m['uncovered_after_km']:.2f}", className="num"),
        ]
        if allowed:
            cells.append(
                html.Td(
                    html.Button(
                        t("cov.apply", lang),
                        id={"type": COV_APPLY, "index": i},
                        className="mgr-btn cov-apply",
                    )
                )
            )
        rows.append(html.Tr(cells, **{"data-crew": m["crew_code"]}))
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(t(f"cov.col.{h}", lang)) for h in heads])),
            html.Tbody(rows),
        ],
        className="mgr-table cov-moves-table",
    )


def moves_geojson(moves: list[dict]) -> dict:
    """Each move as a line from the crew to where it should wait."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"crew": m["crew_code"]},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [
                        [m["from"]["lon"], m["from"]["lat"]],
                        [m["to"]["lon"], m["to"]["lat"]],
                    ],
                },
            }
            for m in moves
        ],
    }


def as_collection(geometry: dict) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": geometry}]
        if geometry.get("coordinates")
        else [],
    }
