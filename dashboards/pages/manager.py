"""The manager's page (/manager; roles manager and admin): over a chosen period and work-order
types and priorities, the response-time map of H3 hexagons coloured by the median minutes
from the call to the arrival (too few jobs: grey and hatched), the overall response figures
and the share within target against every clock policy; and for a chosen day the regulators'
leak log with its CSV and the supervisor's review. The figures come from
:mod:`dispatch.report_service` through the callbacks (:mod:`dashboards.manager_callbacks`)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import dash_leaflet as dl
from dash import dcc, html

from dashboards import ids
from dashboards.components.network_map import OSM_ATTRIBUTION, build_offline_base
from dashboards.coverage_panel import coverage_overlays, coverage_section
from dashboards.i18n import t, ticket_type_label
from dashboards.pages.frame import framed_page
from dashboards.pages.site_map import MANAGER
from dashboards.replay_panel import replay_overlay, replay_section
from dispatch.manager_service import BREAKDOWNS
from dispatch.ticket_model import TICKET_TYPES

#: Median minutes: upper edges of the colour bins, and their colours (green to red).
MEDIAN_BINS = (15, 30, 45, 60)
MEDIAN_COLORS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")
SPARSE_COLOR = "#8b949e"
#: H3 resolutions offered, with a cell's area in km² (rounded).
RESOLUTIONS = {7: 5.2, 8: 0.74, 9: 0.11}
DEFAULT_RESOLUTION = 8
#: The period shown first: the last 30 days up to yesterday.
DEFAULT_DAYS = 30


def manager_page(
    lang: str,
    user: dict | None,
    *,
    today: date,
    bounds: list[list[float]] | None,
    min_jobs: int,
) -> html.Div:
    yesterday = today - timedelta(days=1)
    first = today - timedelta(days=DEFAULT_DAYS)
    field_types = [
        code for code, (category, _, _) in TICKET_TYPES.items() if category != "non_field"
    ]
    filters = html.Section(
        [
            _labelled(
                "mgr.period",
                lang,
                dcc.DatePickerRange(
                    id=ids.MGR_RANGE,
                    start_date=first.isoformat(),
                    end_date=yesterday.isoformat(),
                    max_date_allowed=today.isoformat(),
                    display_format="YYYY-MM-DD",
                    first_day_of_week=1,
                ),
                "mgr-filter",
            ),
            _labelled(
                "mgr.types",
                lang,
                dcc.Dropdown(
                    id=ids.MGR_TYPES,
                    options=[
                        {"label": ticket_type_label(c, lang), "value": c} for c in field_types
                    ],
                    value=[],
                    multi=True,
                    placeholder=t("mgr.types_all", lang),
                ),
                "mgr-filter mgr-filter-types",
            ),
            _labelled(
                "mgr.priorities",
                lang,
                dcc.Checklist(
                    id=ids.MGR_PRIORITIES,
                    options=[{"label": f"P{p}", "value": p} for p in (1, 2, 3, 4)],
                    value=[],
                    inline=True,
                    inputStyle={"marginRight": "0.2rem", "marginLeft": "0.6rem"},
                ),
                "mgr-filter",
            ),
            _labelled(
                "mgr.resolution",
                lang,
                dcc.Dropdown(
                    id=ids.MGR_RESOLUTION,
                    options=[
                        {"label": t("mgr.resolution_n", lang, n=n, km=km), "value": n}
                        for n, km in RESOLUTIONS.items()
                    ],
                    value=DEFAULT_RESOLUTION,
                    clearable=False,
                ),
                "mgr-filter",
            ),
        ],
        className="site-card mgr-filters",
    )
    view = (
        {"bounds": bounds, "boundsOptions": {"padding": [12, 12]}}
        if bounds
        else {"center": [20.0, 0.0], "zoom": 2}
    )
    leaflet_map = dl.Map(
        id=ids.MGR_MAP,
        className="mgr-map",
        children=[
            build_offline_base(),
            dl.GeoJSON(
                id=ids.MGR_HEXES,
                data={"type": "FeatureCollection", "features": []},
                style={"variable": "managerMap.styleHex"},
                onEachFeature={"variable": "managerMap.bindHex"},
                hideout={"bins": MEDIAN_BINS, "colors": MEDIAN_COLORS, "sparse": SPARSE_COLOR},
                attribution=OSM_ATTRIBUTION,
            ),
            dl.LayersControl(
                [*coverage_overlays(lang), replay_overlay(lang)],
                collapsed=False,
                position="topright",
            ),
            dl.ScaleControl(imperial=False, position="bottomright"),
        ],
        maxZoom=19,
        trackViewport=False,
        **view,
    )
    legend = html.Div(
        [
            *(
                html.Span([html.Span(className="mgr-swatch", style={"background": c}), text])
                for c, text in zip(MEDIAN_COLORS, _bin_labels(lang), strict=True)
            ),
            html.Span(
                [
                    html.Span(className="mgr-swatch mgr-swatch-sparse"),
                    t("mgr.legend_sparse", lang, n=min_jobs),
                ]
            ),
        ],
        className="mgr-legend",
    )
    figures = html.Div(
        [
            html.Section(
                [
                    html.H3(t("mgr.map_title", lang)),
                    leaflet_map,
                    legend,
                    html.P(id=ids.MGR_SUMMARY, className="mgr-summary"),
                    html.H4(t("mgr.cell_jobs_title", lang)),
                    html.Div(
                        html.P(t("mgr.cell_jobs_hint", lang), className="mgr-hint"),
                        id=ids.MGR_CELL_JOBS,
                        className="mgr-cell-jobs",
                    ),
                ],
                className="site-card",
            ),
            html.Div(
                [
                    html.Section(
                        [
                            html.H3(t("mgr.trend_title", lang)),
                            dcc.Graph(
                                id=ids.MGR_TREND,
                                className="mgr-trend",
                                config={"displayModeBar": False},
                                style={"height": "260px"},
                                figure=empty_trend(),
                            ),
                        ],
                        className="site-card",
                    ),
                    html.Section(
                        [
                            html.H3(t("mgr.compliance_title", lang)),
                            html.Div(id=ids.MGR_COMPLIANCE),
                        ],
                        className="site-card",
                    ),
                ],
                className="mgr-side",
            ),
        ],
        className="mgr-grid",
    )
    breakdown = html.Section(
        [
            html.H3(t("mgr.breakdown_title", lang)),
            html.Div(
                [
                    dcc.RadioItems(
                        id=ids.MGR_BY,
                        options=[{"label": t(f"mgr.by.{b}", lang), "value": b} for b in BREAKDOWNS],
                        value="week",
                        inline=True,
                        inputStyle={"marginRight": "0.2rem", "marginLeft": "0.8rem"},
                    ),
                    html.Button(t("mgr.csv", lang), id=ids.MGR_BREAKDOWN_CSV, className="mgr-btn"),
                ],
                className="mgr-log-bar",
            ),
            html.Div(id=ids.MGR_BREAKDOWN, className="mgr-scroll"),
        ],
        className="site-card",
    )
    measures = html.Section(
        [html.H3(t("mgr.measures_title", lang)), html.Div(id=ids.MGR_MEASURES)],
        className="site-card",
    )
    months = _recent_months(today, 12)
    exports = html.Section(
        [
            html.H3(t("mgr.exports_title", lang)),
            html.Div(
                [
                    html.Label(t("mgr.export_month", lang)),
                    dcc.Dropdown(
                        id=ids.MGR_EXPORT_MONTH,
                        options=[{"label": m, "value": m} for m in months],
                        value=months[1] if len(months) > 1 else months[0],
                        clearable=False,
                        className="mgr-month",
                    ),
                    html.Button(
                        t("mgr.export_map", lang), id=ids.MGR_EXPORT_MAP, className="mgr-btn"
                    ),
                    html.Button(
                        t("mgr.export_pdf", lang), id=ids.MGR_EXPORT_PDF, className="mgr-btn"
                    ),
                    html.Button(
                        t("mgr.export_buckets_pdf", lang),
                        id=ids.MGR_EXPORT_BUCKETS_PDF,
                        className="mgr-btn",
                    ),
                    dcc.Download(id=ids.MGR_DOWNLOAD),
                ],
                className="mgr-log-bar",
            ),
        ],
        className="site-card",
    )
    leak_log = html.Section(
        [
            html.H3(t("mgr.log_title", lang)),
            html.Div(
                [
                    html.Label(t("mgr.log_date", lang)),
                    dcc.DatePickerSingle(
                        id=ids.MGR_LOG_DATE,
                        date=yesterday.isoformat(),
                        max_date_allowed=today.isoformat(),
                        display_format="YYYY-MM-DD",
                        first_day_of_week=1,
                    ),
                    html.Button(t("mgr.log_csv", lang), id=ids.MGR_LOG_CSV, className="mgr-btn"),
                    html.Button(
                        t("mgr.export_log_pdf", lang),
                        id=ids.MGR_EXPORT_LOG_PDF,
                        className="mgr-btn",
                    ),
                    html.Button(
                        t("mgr.log_review", lang), id=ids.MGR_LOG_REVIEW, className="mgr-btn"
                    ),
                    dcc.Download(id=ids.MGR_LOG_DOWNLOAD),
                    html.Span(id=ids.MGR_LOG_NOTICE, className="mgr-notice", role="status"),
                ],
                className="mgr-log-bar",
            ),
            html.Div(id=ids.MGR_LOG),
        ],
        className="site-card",
    )
    return framed_page(
        lang,
        user,
        MANAGER.path,
        [
            dcc.Store(id=ids.MGR_LANG, data=lang),
            dcc.Store(id=ids.MGR_LOG_REVIEWED, data=0),
            html.H2(t(MANAGER.title, lang), className="site-page-title"),
            html.Div(id=ids.MGR_ALARMS),
            filters,
            figures,
            replay_section(lang, yesterday.isoformat(), today.isoformat()),
            coverage_section(lang, user),
            breakdown,
            measures,
            exports,
            leak_log,
        ],
        name="page-manager",
    )


def _labelled(key: str, lang: str, control, class_name: str) -> html.Div:
    return html.Div([html.Label(t(key, lang)), control], className=class_name)


def _bin_labels(lang: str) -> list[str]:
    unit = t("unit.min", lang)
    edges = MEDIAN_BINS
    labels = [f"≤ {edges[0]} {unit}"]
    labels += [f"{a + 1}–{b} {unit}" for a, b in pairwise(edges)]
    return [*labels, f"> {edges[-1]} {unit}"]


def _recent_months(today: date, n: int) -> list[str]:
    """This month and the ``n - 1`` before it, newest first, as YYYY-MM."""
    year, month, out = today.year, today.month, []
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def empty_trend() -> dict:
    """An empty chart, laid out as the filled one (no plotly toolbar, transparent)."""
    return {
        "data": [],
        "layout": {
            "height": 260,
            "margin": {"l": 40, "r": 10, "t": 10, "b": 30},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "font": {"color": "#c9d1d9"},
        },
    }


def trend_figure(trend: list[dict], lang: str) -> dict:
    """Median and 90th percentile minutes per week, as a plotly figure."""
    figure = empty_trend()
    weeks = [w["week"] for w in trend]
    figure["data"] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": t("mgr.trend_median", lang),
            "x": weeks,
            "y": [w["median_min"] for w in trend],
            "line": {"color": "#58a6ff"},
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": t("mgr.trend_p90", lang),
            "x": weeks,
            "y": [w["p90_min"] for w in trend],
            "line": {"color": "#f0883e", "dash": "dot"},
        },
    ]
    figure["layout"]["yaxis"] = {"title": {"text": t("unit.min", lang)}, "rangemode": "tozero"}
    figure["layout"]["legend"] = {"orientation": "h", "y": 1.12}
    return figure
