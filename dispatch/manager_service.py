"""The manager's page's use cases beyond the regulators' records: the response-time map (cells
grouped by the database), its weekly trend, the jobs of a clicked cell, compliance per week,
month, district and crew against every clock policy, and the other measures the manuals name
(resolution, first-time pass, complaint handling, satisfaction, crew workload), each with its
CSV. Each takes a unit of work, the acting user's permission checked by the caller, and the
time; figures come from :mod:`dispatch.kpis`."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from dispatch import kpis
from dispatch import manager_repository as mr
from dispatch import repository as repo
from dispatch.clocks import policy_targets
from dispatch.errors import InvalidInput
from dispatch.report_service import period_window
from dispatch.settings import current
from dispatch.unit_of_work import UnitOfWork
from gis.hexagons import cell_name, cell_polygon

#: What compliance can be broken down by.
BREAKDOWNS = ("week", "month", "district", "crew")
#: The other measures, in the order the page shows them.
MEASURES = ("resolution", "first_time_pass", "complaints", "satisfaction", "workload")


class Period:
    """A report's period and filters: local days ``first`` to ``last`` (both included) of the
    territory, work-order types and priorities (None: all)."""

    def __init__(self, uow: UnitOfWork, first: date, last: date, types=None, priorities=None):
        self.timezone = repo.territory_timezone(uow.cur)
        self.first, self.last = first, last
        self.start, self.end = period_window(first, last, self.timezone)
        self.types = list(types) if types else None
        self.priorities = [int(p) for p in priorities] if priorities else None

    @property
    def filters(self) -> dict:
        return {"types": self.types, "priorities": self.priorities}


def _resolution(resolution: int) -> int:
    if resolution not in mr.STORED_RESOLUTIONS:
        allowed = ", ".join(map(str, mr.STORED_RESOLUTIONS))
        raise InvalidInput(f"`resolution` must be one of {allowed}", "resolution")
    return resolution


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)


# --- the map, its trend, a cell's jobs ---------------------------------------------------------


def hexagon_map(
    uow: UnitOfWork,
    period: Period,
    now: datetime,
    resolution: int,
    min_jobs: int | None = None,
    *,
    exact: bool = False,
) -> dict:
    """The response-time map as a GeoJSON FeatureCollection: per H3 cell holding reached
    jobs, ``cell``, ``jobs``, ``median_min``, ``p90_min`` and ``sparse`` (fewer than
    ``min_jobs``, the settings' by default: drawn hatched, its median not shown).

    ``jobs`` is exact; the median and the 90th percentile are read from the cell's daily
    response histograms summed over the period (:func:`manager_repository.response_histograms`,
    1-minute buckets), so each is within :data:`manager_repository.BUCKET_MIN` (one minute)
    of the exact figure (:func:`dispatch.kpis.histogram_percentile`); a year of a million
    tickets answers in well under a second. ``exact=True`` groups the tickets themselves
    instead (exact percentiles, seconds for a year of a million tickets)."""
    resolution = _resolution(resolution)
    if min_jobs is None:
        min_jobs = current().reports.min_jobs_per_hexagon
    if exact:
        mr.sync_cells(uow.cur)
        rows = mr.response_cells(
            uow.cur, period.start, period.end, now, resolution, **period.filters
        )
    else:
        rows = [
            {"cell": r["key"], "jobs": r["jobs"], **_estimated_percentiles(r["counts"])}
            for r in _summed(uow, period, now, "cell", resolution)
        ]
    features = []
    for row in rows:
        cell = cell_name(row["cell"])
        features.append(
            {
                "type": "Feature",
                "geometry": cell_polygon(cell),
                "properties": {
                    "cell": cell,
                    "jobs": int(row["jobs"]),
                    "median_min": _round(row["median_min"]),
                    "p90_min": _round(row["p90_min"]),
                    "sparse": int(row["jobs"]) < min_jobs,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _estimated_percentiles(counts: list[int]) -> dict:
    return {
        "median_min": kpis.histogram_percentile(counts, 50, mr.BUCKET_MIN),
        "p90_min": kpis.histogram_percentile(counts, 90, mr.BUCKET_MIN),
    }


def _summed(
    uow: UnitOfWork, period: Period, now: datetime, by: str, resolution: int | None = None
) -> list[dict]:
    """The period's daily response histograms summed per ``by`` (see
    :func:`manager_repository.response_histograms`)."""
    mr.sync_cells(uow.cur)
    return mr.response_histograms(
        uow.cur,
        period.first,
        period.last,
        period.start,
        period.end,
        now,
        resolution or min(mr.STORED_RESOLUTIONS),
        by=by,
        **period.filters,
    )


def weekly_trend(
    uow: UnitOfWork, period: Period, now: datetime, *, exact: bool = False
) -> list[dict]:
    """Median and 90th percentile of the response minutes per local week of the call (its
    Monday), with the jobs reached. Read from the daily response histograms, like the map:
    ``jobs`` exact, the percentiles within one minute; ``exact=True`` groups the tickets
    (seconds for a year of a million tickets)."""
    if exact:
        rows = mr.weekly_response(
            uow.cur, period.start, period.end, now, period.timezone, **period.filters
        )
    else:
        rows = [
            {"week": r["key"], "jobs": r["jobs"], **_estimated_percentiles(r["counts"])}
            for r in _summed(uow, period, now, "week")
        ]
    return [
        {
            "week": r["week"].isoformat(),
            "jobs": int(r["jobs"]),
            "median_min": _round(r["median_min"]),
            "p90_min": _round(r["p90_min"]),
        }
        for r in rows
    ]


def response_summary(uow: UnitOfWork, period: Period, now: datetime) -> dict:
    """The period's jobs reached by ``now`` and their median and 90th percentile response
    minutes (rounded to 0.1), from the daily histograms as the map: ``jobs`` exact, the
    percentiles within one minute. The exact figures: :func:`dispatch.kpis.response_summary`
    over :func:`dispatch.report_service.period_rows`."""
    (total,) = _summed(uow, period, now, "all") or [{"jobs": 0, "counts": []}]
    figures = _estimated_percentiles(total["counts"])
    return {
        "jobs": int(total["jobs"]),
        "median_min": _round(figures["median_min"]),
        "p90_min": _round(figures["p90_min"]),
    }


def cell_jobs(
    uow: UnitOfWork, period: Period, now: datetime, resolution: int, cell: str, limit: int = 200
) -> dict:
    """The jobs of one hexagon in the period: ``{"cell", "total", "jobs"}``, the first
    ``limit`` jobs in the order received (field ``cell`` names a bad cell)."""
    import h3

    resolution = _resolution(resolution)
    if not isinstance(cell, str) or not h3.is_valid_cell(cell):
        raise InvalidInput("`cell` must be an H3 cell", "cell")
    if h3.get_resolution(cell) != resolution:
        raise InvalidInput(f"`cell` must be a cell of resolution {resolution}", "cell")
    mr.sync_cells(uow.cur)
    rows = mr.cell_jobs(
        uow.cur,
        period.start,
        period.end,
        resolution,
        h3.str_to_int(cell),
        limit=limit,
        **period.filters,
    )
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(period.timezone)
    out = []
    for r in rows:
        reached = r["arrived_at"] is not None and r["arrived_at"] <= now
        out.append(
            {
                "number": r["number"],
                "type": r["ticket_type"],
                "priority": r["priority"],
                "status": r["status"],
                "address": r["address"],
                "received_at": r["received_at"].astimezone(zone).isoformat(timespec="seconds"),
                "arrived_at": (
                    r["arrived_at"].astimezone(zone).isoformat(timespec="seconds")
                    if reached
                    else None
                ),
                "response_min": round(kpis.response_minutes(r), 1) if reached else None,
                "crew": r["crew"],
            }
        )
    return {"cell": cell, "total": int(rows[0]["total"]) if rows else 0, "jobs": out}


# --- compliance broken down --------------------------------------------------------------------


def compliance_breakdown(uow: UnitOfWork, period: Period, now: datetime, by: str) -> list[dict]:
    """Compliance against every clock policy per week (its Monday), month (YYYY-MM),
    district or crew (field ``by``); tickets past their deadline and not reached count as
    missed. Tickets outside every district or without a crew are grouped as ``-``. Counted
    by the database (:func:`manager_repository.compliance_counts`), the figures as
    :func:`dispatch.kpis.compliance_by` gives them from the same tickets."""
    if by not in BREAKDOWNS:
        raise InvalidInput(f"`by` must be one of {', '.join(BREAKDOWNS)}", "by")
    return _compliance(uow, period, now, by)


def compliance_overall(uow: UnitOfWork, period: Period, now: datetime) -> list[dict]:
    """Compliance of the whole period against every clock policy (as
    :func:`dispatch.kpis.compliance`), counted by the database."""
    return [
        {k: v for k, v in row.items() if k != "group"}
        for row in _compliance(uow, period, now, None)
    ] or [kpis.compliance_figures(name, t, 0, 0) for name, t in policy_targets().items()]


def _compliance(uow: UnitOfWork, period: Period, now: datetime, by: str | None) -> list[dict]:
    policies = policy_targets()
    counts = {
        (r["group"], r["policy"]): r
        for r in mr.compliance_counts(
            uow.cur,
            period.start,
            period.end,
            now,
            policies,
            by,
            period.timezone,
            **period.filters,
        )
    }
    groups = sorted({group for group, _ in counts}, key=str)
    return [
        {
            "group": group,
            **kpis.compliance_figures(
                name,
                targets,
                int(counts[group, name]["decided"]),
                int(counts[group, name]["met"]),
            ),
        }
        for group in groups
        for name, targets in policies.items()
    ]


def compliance_csv(rows: list[dict], by: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([by, "policy", "decided", "met", "missed", "share", "target_share"])
    for r in rows:
        share = "" if r["share"] is None else r["share"]
        writer.writerow(
            [r["group"], r["policy"], r["decided"], r["met"], r["missed"], share, r["target_share"]]
        )
    return out.getvalue()


# --- the other measures ------------------------------------------------------------------------


def measures(uow: UnitOfWork, period: Period, now: datetime) -> dict:
    """Every other measure over the period: resolution rate, first-time pass rate, complaint
    handling rate, satisfaction per worker (a crew's code, as callbacks name the worker) and
    per team (the crew's depot), and each crew's workload and utilisation."""
    cur = uow.cur
    jobs = mr.job_rows(cur, period.start, period.end, now, **period.filters)
    answers = mr.callback_answers(cur, period.start, period.end)
    crews, assignments = mr.crews_and_assignments(cur, period.start, period.end)
    return {
        "since": period.first.isoformat(),
        "until": period.last.isoformat(),
        "resolution": kpis.resolution_rate(jobs, now),
        "first_time_pass": kpis.first_time_pass_rate(jobs, now),
        "complaints": kpis.complaint_handling_rate(
            mr.complaint_rows(cur, period.start, period.end), now
        ),
        "satisfaction": {
            "overall": kpis.satisfaction_table(answers, lambda r: "all"),
            "by_worker": kpis.satisfaction_table(answers, lambda r: r["worker"]),
            "by_team": kpis.satisfaction_table(answers, lambda r: r["team"] or "-"),
        },
        "workload": kpis.crew_workload(crews, assignments, period.start, period.end, now),
    }


def measures_csv(figures: dict, measure: str) -> str:
    """One measure of :func:`measures` as CSV (field ``measure``)."""
    if measure not in MEASURES:
        raise InvalidInput(f"`measure` must be one of {', '.join(MEASURES)}", "measure")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    value = figures[measure]
    if measure == "satisfaction":
        writer.writerow(["grouping", "group", "answers", "attitude", "skill", "overall"])
        for grouping, rows in value.items():
            for r in rows:
                writer.writerow(
                    [grouping, r["group"], r["answers"], r["attitude"], r["skill"], r["overall"]]
                )
    elif measure == "workload":
        columns = ["crew", "shift", "jobs", "busy_h", "duty_h", "utilisation"]
        writer.writerow(columns)
        for r in value:
            writer.writerow(["" if r[c] is None else r[c] for c in columns])
    else:
        writer.writerow(["since", "until", *value])
        writer.writerow(
            [figures["since"], figures["until"], *("" if v is None else v for v in value.values())]
        )
    return out.getvalue()


# --- replay of a past day ----------------------------------------------------------------------


def replay_day(uow: UnitOfWork, day: date) -> dict:
    """Everything the map needs to step through ``day`` (a local date) in the browser, read
    at once: the day's start and end, the tickets open at some moment of it (``from`` /
    ``to``: epoch seconds, ``to`` None while still open) and each crew's track
    (``[[epoch s, lon, lat], ...]``, its fix before the day first)."""
    timezone = repo.territory_timezone(uow.cur)
    start, end = period_window(day, day, timezone)
    tickets = [
        {
            "number": r["number"],
            "type": r["ticket_type"],
            "priority": r["priority"],
            "lon": round(float(r["lon"]), 6),
            "lat": round(float(r["lat"]), 6),
            "from": r["received_at"].timestamp(),
            "to": None if r["ended_at"] is None else r["ended_at"].timestamp(),
        }
        for r in mr.replay_tickets(uow.cur, start, end)
    ]
    tracks: dict[str, list] = {}
    for r in mr.replay_positions(uow.cur, start, end):
        tracks.setdefault(r["crew"], []).append(
            [r["recorded_at"].timestamp(), round(float(r["lon"]), 6), round(float(r["lat"]), 6)]
        )
    return {
        "date": day.isoformat(),
        "start": start.timestamp(),
        "end": end.timestamp(),
        "timezone": timezone,
        "tickets": tickets,
        "crews": tracks,
    }
