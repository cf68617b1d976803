"""Builders of the manager's page's tables beyond the map: the jobs of a clicked hexagon,
compliance broken down, and the other measures (each a table with its CSV button). Plain
functions from the JSON-ready figures of :mod:`dispatch.manager_service` to Dash components."""

from __future__ import annotations

from dash import html

from dashboards import ids
from dashboards.i18n import MISSING, t, ticket_type_label


def _num(value, fmt: str = "{}") -> str:
    return MISSING if value is None else fmt.format(value)


def _pct(value) -> str:
    return MISSING if value is None else f"{value * 100:.1f} %"


def _table(heads: list[str], rows: list[list], class_name: str, lang: str) -> html.Table:
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(t(h, lang)) for h in heads])),
            html.Tbody(
                [
                    html.Tr([html.Td(c, className="num" if i else None) for i, c in enumerate(r)])
                    for r in rows
                ]
            ),
        ],
        className=f"mgr-table {class_name}",
    )


def cell_jobs_view(found: dict, lang: str) -> html.Div:
    """The clicked hexagon's jobs: number, type, received, arrived, minutes, crew (the first
    ones, with how many there are in all)."""
    cell, jobs = found["cell"], found["jobs"]
    rows = [
        html.Tr(
            [
                html.Td(j["number"]),
                html.Td(ticket_type_label(j["type"], lang)),
                html.Td(f"P{j['priority']}"),
                html.Td(j["received_at"][:16].replace("T", " ")),
                html.Td(MISSING if j["arrived_at"] is None else j["arrived_at"][11:16]),
                html.Td(_num(j["response_min"], "{:.1f}"), className="num"),
                html.Td(j["crew"] or MISSING),
            ],
            **{"data-number": j["number"]},
        )
        for j in jobs
    ]
    heads = ("mgr.log.number", "mgr.log.type", "mgr.priorities", "mgr.log.received_at")
    heads += ("mgr.log.arrived_at", "mgr.log.response_min", "mgr.log.crew")
    return html.Div(
        [
            html.P(
                t("mgr.cell_jobs_n", lang, cell=cell, n=found["total"], shown=len(jobs)),
                className="mgr-cell-name",
            ),
            html.Table(
                [html.Thead(html.Tr([html.Th(t(h, lang)) for h in heads])), html.Tbody(rows)],
                className="mgr-table mgr-cell-table",
            ),
        ],
        **{"data-cell": cell},
    )


def breakdown_table(rows: list[dict], by: str, lang: str) -> html.Table:
    """One line per group, one column per clock policy: share met (missed / decided)."""
    policies = list(dict.fromkeys(r["policy"] for r in rows))
    groups: dict = {}
    for r in rows:
        groups.setdefault(r["group"], {})[r["policy"]] = r
    body = []
    for group, by_policy in groups.items():
        cells = [html.Td(group)]
        for policy in policies:
            r = by_policy[policy]
            cells.append(
                html.Td(
                    [
                        _pct(r["share"]),
                        html.Span(
                            f" ({r['missed']}/{r['decided']})",
                            className="mgr-missed" if r["missed"] else "mgr-dim",
                        ),
                    ],
                    className="num",
                    **{"data-policy": policy},
                )
            )
        body.append(html.Tr(cells, **{"data-group": str(group)}))
    return html.Table(
        [
            html.Thead(
                html.Tr(
                    [html.Th(t(f"mgr.by.{by}", lang))]
                    + [html.Th(t(f"mgr.policy.{p}", lang)) for p in policies]
                )
            ),
            html.Tbody(body),
        ],
        className="mgr-table mgr-breakdown-table",
    )


def _measure(name: str, table, lang: str) -> html.Div:
    return html.Div(
        [
            html.H4(
                [
                    t(f"mgr.m.{name}", lang),
                    html.Button(
                        t("mgr.csv", lang),
                        id={"type": ids.MGR_MEASURE_CSV, "index": name},
                        className="mgr-btn",
                    ),
                ]
            ),
            table,
        ],
        className="mgr-measure",
        **{"data-measure": name},
    )


def measures_view(figures: dict, lang: str) -> html.Div:
    """The other measures, each a small table with its CSV button."""
    res, ftp, comp = figures["resolution"], figures["first_time_pass"], figures["complaints"]
    sat = figures["satisfaction"]
    sat_rows = []
    for grouping, key in (("overall", "mgr.mc.overall_group"), ("by_worker", "mgr.mc.by_worker")):
        for r in sat[grouping]:
            group = t(key, lang) if grouping == "overall" else r["group"]
            sat_rows.append([group, r["answers"], r["attitude"], r["skill"], r["overall"]])
    for r in sat["by_team"]:
        sat_rows.append(
            [
                f"{t('mgr.mc.by_team', lang)}: {r['group']}",
                r["answers"],
                r["attitude"],
                r["skill"],
                r["overall"],
            ]
        )
    workload_rows = [
        [w["crew"], w["shift"], w["jobs"], w["busy_h"], w["duty_h"], _pct(w["utilisation"])]
        for w in figures["workload"]
    ]
    return html.Div(
        [
            _measure(
                "resolution",
                _table(
                    ["mgr.mc.jobs", "mgr.mc.resolved", "mgr.mc.rate"],
                    [[res["jobs"], res["resolved"], _pct(res["rate"])]],
                    "mgr-m-resolution",
                    lang,
                ),
                lang,
            ),
            _measure(
                "first_time_pass",
                _table(
                    ["mgr.mc.closed", "mgr.mc.passed", "mgr.mc.rate"],
                    [[ftp["closed"], ftp["passed"], _pct(ftp["rate"])]],
                    "mgr-m-first-time",
                    lang,
                ),
                lang,
            ),
            _measure(
                "complaints",
                _table(
                    [
                        "mgr.mc.received",
                        "mgr.mc.handled",
                        "mgr.mc.rate",
                        "mgr.mc.replied_on_time",
                        "mgr.mc.on_time_rate",
                    ],
                    [
                        [
                            comp["received"],
                            comp["handled"],
                            _pct(comp["rate"]),
                            comp["replied_on_time"],
                            _pct(comp["on_time_rate"]),
                        ]
                    ],
                    "mgr-m-complaints",
                    lang,
                ),
                lang,
            ),
            _measure(
                "satisfaction",
                _table(
                    [
                        "mgr.mc.group",
                        "mgr.mc.answers",
                        "mgr.mc.attitude",
                        "mgr.mc.skill",
                        "mgr.mc.overall",
                    ],
                    sat_rows,
                    "mgr-m-satisfaction",
                    lang,
                ),
                lang,
            ),
            _measure(
                "workload",
                html.Div(
                    _table(
                        [
                            "mgr.mc.crew",
                            "mgr.mc.shift",
                            "mgr.mc.jobs",
                            "mgr.mc.busy_h",
                            "mgr.mc.duty_h",
                            "mgr.mc.utilisation",
                        ],
                        workload_rows,
                        "mgr-m-workload",
                        lang,
                    ),
                    className="mgr-scroll",
                ),
                lang,
            ),
        ],
        className="mgr-measures",
    )
