"""Files the manager takes away: the response-time map as a standalone HTML page (folium) that
opens from a file with no server and no internet, and printable PDFs (reportlab, drawn here:
no browser, no network): the monthly report (map, compliance tables, weekly trend), the daily
leak log and the monthly buckets.

Offline HTML: folium links Leaflet, jQuery and Bootstrap from CDNs by default. The map here
uses none of folium's extras, so those links are dropped and Leaflet's own script and style
(the pip package ``django-js-lib-leaflet``, Leaflet 1.9.4) are written into the page; there is
no tile layer: the hexagons lie on the districts and the main streets drawn as GeoJSON
(© OpenStreetMap contributors)."""

from __future__ import annotations

import io
import math
from datetime import date, datetime, timedelta
from importlib import resources
from itertools import pairwise

from dispatch import kpis, report_service
from dispatch import manager_repository as mr
from dispatch.manager_service import (
    Period,
    compliance_breakdown,
    compliance_overall,
    hexagon_map,
    weekly_trend,
)
from dispatch.unit_of_work import UnitOfWork

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
#: Median minutes: upper edges of the colour bins and their colours (as the page's map).
MEDIAN_BINS = (15, 30, 45, 60)
MEDIAN_COLORS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")
SPARSE_COLOR = "#8b949e"


def colour_of(minutes: float | None) -> str:
    if minutes is None:
        return SPARSE_COLOR
    for edge, colour in zip(MEDIAN_BINS, MEDIAN_COLORS, strict=False):
        if minutes <= edge:
            return colour
    return MEDIAN_COLORS[-1]


def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's script and style sheet, from the installed package."""
    base = resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    return (base / "leaflet.js").read_text("utf-8"), (base / "leaflet.css").read_text("utf-8")


# --- the standalone HTML map -------------------------------------------------------------------


def map_html(
    uow: UnitOfWork,
    period: Period,
    now: datetime,
    resolution: int,
    *,
    title: str | None = None,
) -> str:
    """The response-time map of ``period`` as one self-contained HTML document."""
    import folium

    hexes = hexagon_map(uow, period, now, resolution)
    layers = mr.base_layers(uow.cur)
    bounds = _bounds(hexes, layers["districts"])
    fmap = folium.Map(
        location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoom_start=12,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
    )
    # Offline: no CDN links; Leaflet itself is inlined below.
    fmap.default_js = []
    fmap.default_css = []
    script, style = _leaflet_assets()
    root = fmap.get_root()
    root.header.add_child(
        folium.Element(
            f"<style>{style}</style>\n<script>{script}</script>\n"
            "<style>html,body{margin:0;height:100%;background:#f4f1ea}"
            ".folium-map{background:#f4f1ea}"
            ".mgr-legend{position:absolute;z-index:1000;bottom:18px;left:10px;background:#fff;"
            "padding:6px 8px;font:12px sans-serif;border:1px solid #999;border-radius:4px}"
            ".mgr-legend i{display:inline-block;width:12px;height:10px;margin-right:4px;"
            "border:1px solid #333}</style>"
        ),
        name="leaflet_inline",
    )
    folium.GeoJson(
        layers["districts"],
        name="districts",
        style_function=lambda f: {
            "color": "#7d7d7d",
            "weight": 1,
            "fillColor": "#ffffff",
            "fillOpacity": 0.4,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    ).add_to(fmap)
    if layers["streets"]["features"]:
        folium.GeoJson(
            layers["streets"],
            name="streets",
            style_function=lambda f: {"color": "#b0a99f", "weight": 1.2},
            interactive=False,
        ).add_to(fmap)
    if hexes["features"]:
        folium.GeoJson(
            hexes,
            name="hexagons",
            style_function=_hex_style,
            tooltip=folium.GeoJsonTooltip(
                fields=["cell", "jobs", "median_min", "p90_min"],
                aliases=["H3", "jobs", "median min", "p90 min"],
            ),
        ).add_to(fmap)
    fmap.fit_bounds(bounds)
    heading = title or (
        f"Response times {period.first} to {period.last} (call to arrival, median)"
        f" - H3 level {resolution}"
    )
    legend = "".join(
        f'<span><i style="background:{c}"></i>{label}</span> '
        for c, label in zip(MEDIAN_COLORS, _bin_labels(), strict=True)
    )
    root.html.add_child(
        folium.Element(
            f'<div class="mgr-legend"><b>{heading}</b><br>{legend}'
            f'<span><i style="background:{SPARSE_COLOR};opacity:.4"></i>too few jobs</span>'
            f"<br>{OSM_ATTRIBUTION}</div>"
        )
    )
    return root.render()


def _hex_style(feature) -> dict:
    p = feature["properties"]
    if p["sparse"]:
        return {
            "color": "#6e7681",
            "weight": 1,
            "dashArray": "4 3",
            "fillColor": SPARSE_COLOR,
            "fillOpacity": 0.25,
        }
    return {
        "color": "#1f2328",
        "weight": 1,
        "fillColor": colour_of(p["median_min"]),
        "fillOpacity": 0.65,
    }


def _bin_labels() -> list[str]:
    edges = MEDIAN_BINS
    labels = [f"<= {edges[0]} min"]
    labels += [f"{a + 1}-{b} min" for a, b in pairwise(edges)]
    return [*labels, f"> {edges[-1]} min"]


def _coords(geometry: dict):
    """Every (lon, lat) of a Polygon or MultiPolygon."""
    rings = geometry["coordinates"]
    if geometry["type"] == "MultiPolygon":
        rings = [ring for polygon in rings for ring in polygon]
    for ring in rings:
        yield from ring


def _bounds(*collections) -> list[list[float]]:
    """[[south, west], [north, east]] of the features; the world when there are none."""
    points = [
        (lon, lat)
        for fc in collections
        for f in fc["features"]
        for lon, lat in _coords(f["geometry"])
    ]
    if not points:
        return [[-60.0, -180.0], [75.0, 180.0]]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


# --- PDFs ----------------------------------------------------------------------------------------


def _styles():
    from reportlab.lib.styles import getSampleStyleSheet

    return getSampleStyleSheet()


def _doc(buffer, title: str, landscape_page: bool = False):
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    return SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4) if landscape_page else A4,
        title=title,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
    )


def _grid(data: list[list], widths=None, font_size: float = 8):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", font_size),
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", font_size),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf0")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa4ae")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _text(value) -> str:
    return "-" if value is None or value == "" else str(value)


def _pct(value) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def _hhmm(iso: str | None) -> str:
    return "-" if not iso else iso[11:16]


def _type_label(code: str) -> str:
    return code.replace("_", " ")


def leak_log_pdf(log: dict) -> bytes:
    """The daily leak log (:func:`dispatch.report_service.leak_log`) as a printable PDF."""
    from reportlab.platypus import Paragraph, Spacer

    styles = _styles()
    buffer = io.BytesIO()
    doc = _doc(buffer, f"Daily leak log {log['date']}", landscape_page=True)
    review = log["review"]
    reviewed = (
        f"Reviewed by {review['reviewed_by']} ({review['role']}) at {review['reviewed_at']}"
        if review
        else f"Not reviewed; due by {log['review_due_at']}"
    )
    head = ["No.", "Location", "Received", "Type", "Dispatched", "Arrived", "Crew", "Min", "Status"]
    rows = [
        [
            r["number"],
            Paragraph(_text(r["location"]), styles["BodyText"]),
            _hhmm(r["received_at"]),
            _type_label(r["type"]),
            _hhmm(r["dispatched_at"]),
            _hhmm(r["arrived_at"]),
            _text(r["crew"]),
            _text(r["response_min"]),
            r["status"] + (f" (dup. of {r['duplicate_of']})" if r["duplicate_of"] else ""),
        ]
        for r in log["rows"]
    ]
    story = [
        Paragraph(f"Daily leak log - {log['date']} ({log['timezone']})", styles["Title"]),
        Paragraph(f"{len(rows)} leak reports. {reviewed}.", styles["Normal"]),
        Spacer(1, 8),
        _grid([head, *rows], widths=[70, 190, 50, 85, 58, 50, 55, 40, 110]),
    ]
    doc.build(story)
    return buffer.getvalue()


def _buckets_table(summary: dict):
    head = ["Month", "Reports", *report_service.BUCKET_NAMES, "Median min", "P90 min"]
    row = [
        summary["month"],
        summary["reports"],
        *(summary["buckets"][n] for n in report_service.BUCKET_NAMES),
        _text(summary["median_min"]),
        _text(summary["p90_min"]),
    ]
    return _grid([head, row])


def buckets_pdf(summary: dict) -> bytes:
    """The monthly summary of leak response in time buckets as a printable PDF."""
    from reportlab.platypus import Paragraph, Spacer

    styles = _styles()
    buffer = io.BytesIO()
    doc = _doc(buffer, f"Leak response buckets {summary['month']}")
    story = [
        Paragraph(f"Leak response in time buckets - {summary['month']}", styles["Title"]),
        Paragraph(
            "Minutes from the call to the crew's arrival: <= 30, 31-45, 46-60, > 60, and"
            f" reports not reached ({summary['timezone']}).",
            styles["Normal"],
        ),
        Spacer(1, 8),
        _buckets_table(summary),
    ]
    doc.build(story)
    return buffer.getvalue()


def _map_drawing(hexes: dict, districts: dict, width: float, height: float):
    """The hexagons over the districts' outlines, in an equirectangular projection scaled by
    the cosine of the middle latitude (true shapes at a city's size)."""
    from reportlab.graphics.shapes import Drawing, Polygon, String
    from reportlab.lib import colors

    drawing = Drawing(width, height)
    (south, west), (north, east) = _bounds(hexes, districts)
    kx = math.cos(math.radians((south + north) / 2))
    span_x, span_y = max((east - west) * kx, 1e-9), max(north - south, 1e-9)
    scale = min((width - 10) / span_x, (height - 20) / span_y)

    def xy(lon, lat):
        return 5 + (lon - west) * kx * scale, 15 + (lat - south) * scale

    def rings(geometry):
        polys = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polys = [polys]
        for polygon in polys:
            yield polygon[0]

    for feature in districts["features"]:
        for ring in rings(feature["geometry"]):
            points = [v for lon, lat in ring for v in xy(lon, lat)]
            drawing.add(
                Polygon(points, fillColor=colors.white, strokeColor=colors.grey, strokeWidth=0.4)
            )
    for feature in hexes["features"]:
        p = feature["properties"]
        for ring in rings(feature["geometry"]):
            points = [v for lon, lat in ring for v in xy(lon, lat)]
            colour = colors.HexColor(SPARSE_COLOR if p["sparse"] else colour_of(p["median_min"]))
            drawing.add(
                Polygon(
                    points,
                    fillColor=colour,
                    fillOpacity=0.35 if p["sparse"] else 0.8,
                    strokeColor=colors.HexColor("#1f2328"),
                    strokeWidth=0.2,
                    strokeDashArray=[2, 1] if p["sparse"] else None,
                )
            )
    drawing.add(String(5, 3, OSM_ATTRIBUTION, fontSize=6, fillColor=colors.grey))
    return drawing


def _trend_drawing(trend: list[dict], width: float, height: float):
    """Median (solid) and 90th percentile (dashed) minutes per week."""
    from reportlab.graphics.charts.lineplots import LinePlot
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    drawing = Drawing(width, height)
    if not trend:
        drawing.add(String(10, height / 2, "No arrivals in the month", fontSize=9))
        return drawing
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 40, 25, width - 60, height - 40
    median = [(i, w["median_min"]) for i, w in enumerate(trend)]
    p90 = [(i, w["p90_min"]) for i, w in enumerate(trend)]
    plot.data = [median, p90]
    plot.lines[0].strokeColor = colors.HexColor("#1f6feb")
    plot.lines[1].strokeColor = colors.HexColor("#d4700a")
    plot.lines[1].strokeDashArray = [3, 2]
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = -0.3, max(len(trend) - 0.7, 0.7)
    plot.xValueAxis.valueSteps = list(range(len(trend)))
    plot.xValueAxis.labelTextFormat = lambda i: (
        trend[int(i)]["week"][5:] if 0 <= i < len(trend) else ""
    )
    plot.yValueAxis.valueMin = 0
    plot.xValueAxis.labels.fontSize = plot.yValueAxis.labels.fontSize = 7
    drawing.add(plot)
    drawing.add(
        String(40, height - 10, "median (solid), 90th percentile (dashed), minutes", fontSize=7)
    )
    return drawing


def monthly_pdf(uow: UnitOfWork, month: date, now: datetime, *, resolution: int = 8) -> bytes:
    """The month's report: the response-time map, the overall response figures, compliance
    against every clock policy (overall, per week, per district, per crew), the weekly trend
    and the leak buckets."""
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, Spacer

    last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    period = Period(uow, month, last)
    hexes = hexagon_map(uow, period, now, resolution)
    layers = mr.base_layers(uow.cur)
    rows = report_service.period_rows(uow, period.first, period.last)
    summary = kpis.response_summary(rows, now)
    overall = compliance_overall(uow, period, now)
    trend = weekly_trend(uow, period, now)
    buckets = report_service.leak_buckets(uow, None, month, now)
    styles = _styles()
    buffer = io.BytesIO()
    doc = _doc(buffer, f"Monthly report {month:%Y-%m}")
    story = [
        Paragraph(f"Monthly response report - {month:%Y-%m}", styles["Title"]),
        Paragraph(
            f"{summary['jobs']} field jobs reached; median {_text(summary['median_min'])} min,"
            f" 90th percentile {_text(summary['p90_min'])} min (call to arrival)."
            f" Period {period.first} to {period.last}, {period.timezone}.",
            styles["Normal"],
        ),
        Spacer(1, 6),
        Paragraph(
            f"Response-time map (median per H3 level-{resolution} hexagon)", styles["Heading2"]
        ),
        _map_drawing(hexes, layers["districts"], 180 * mm, 120 * mm),
        Paragraph(
            "Colours: " + ", ".join(_bin_labels()) + "; grey dashed: too few jobs.",
            styles["Normal"],
        ),
        Paragraph("Weekly trend", styles["Heading2"]),
        _trend_drawing(trend, 180 * mm, 55 * mm),
        PageBreak(),
        Paragraph("Compliance by clock policy", styles["Heading2"]),
        _grid(
            [["Policy", "Decided", "Met", "Missed", "Share", "Target", "Meets"]]
            + [
                [
                    r["policy"],
                    r["decided"],
                    r["met"],
                    r["missed"],
                    _pct(r["share"]),
                    _pct(r["target_share"]),
                    _text(r["meets_target"]),
                ]
                for r in overall
            ]
        ),
    ]
    for by in ("week", "district", "crew"):
        story += [
            Paragraph(f"Compliance per {by} (share met, missed / decided)", styles["Heading3"]),
            _breakdown_grid(compliance_breakdown(uow, period, now, by), by),
        ]
    story += [
        Paragraph("Leak response buckets", styles["Heading2"]),
        _buckets_table(buckets),
        Spacer(1, 6),
        Paragraph(f"Generated {now:%Y-%m-%d %H:%M} UTC.", styles["Normal"]),
    ]
    doc.build(story)
    return buffer.getvalue()


def _breakdown_grid(rows: list[dict], by: str):
    policies = list(dict.fromkeys(r["policy"] for r in rows))
    groups: dict = {}
    for r in rows:
        groups.setdefault(r["group"], {})[r["policy"]] = r
    data = [[by, *policies]]
    for group, by_policy in groups.items():
        data.append([str(group)] + [_cell(by_policy[p]) for p in policies])
    return _grid(data, font_size=7)


def _cell(r: dict) -> str:
    return f"{_pct(r['share'])} ({r['missed']}/{r['decided']})"
