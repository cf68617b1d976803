"""The regulators' records and the manager's reports, as use cases: each takes a unit of
work, the acting user and the time, and returns JSON-ready dicts.

- **The daily leak log** of a local day of the territory: every leak report (the settings'
  ``reports.leak_types``) with its number, location, the times received, dispatched and
  arrived, its type and the crew; as JSON or CSV. Times are given in the territory's zone.
- **The monthly summary** of leak response in time buckets (≤ 30, 31-45, 46-60, > 60 min,
  and not reached), with the median and the 90th percentile.
- **The next-day review**: a supervisor marks a finished day's log reviewed (who, when);
  :func:`check_reviews` (the ticker) raises one alarm for each day with leak reports left
  unreviewed after its due time (:func:`dispatch.clocks.review_due_at`: 10:00 of the next
  working day), announced through the outbox; :func:`open_review_alarms` lists those not
  yet cleared by a review.
- **Response times and compliance** over a date range for the manager's page.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dispatch import kpis
from dispatch import report_repository as rr
from dispatch import repository as repo
from dispatch.actor import Actor
from dispatch.clocks import policy_targets, review_due_at
from dispatch.errors import Conflict, InvalidInput
from dispatch.settings import ReportsSection, current
from dispatch.unit_of_work import UnitOfWork

#: Columns of the leak log's CSV, in order.
LEAK_LOG_COLUMNS = (
    "number",
    "location",
    "lon",
    "lat",
    "received_at",
    "type",
    "dispatched_at",
    "arrived_at",
    "crew",
    "response_min",
    "status",
    "duplicate_of",
)
BUCKET_NAMES = (*(name for name, _ in kpis.LEAK_BUCKETS), "not_reached")


def _reports(reports: ReportsSection | None) -> ReportsSection:
    return reports or current().reports


def local_day_window(day: date, timezone: str) -> tuple[datetime, datetime]:
    """Local midnight of ``day`` and of the next day, in UTC."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def _local(at: datetime | None, zone: ZoneInfo) -> str | None:
    return None if at is None else at.astimezone(zone).isoformat(timespec="seconds")


# --- the daily leak log ------------------------------------------------------------------------


def leak_log(
    uow: UnitOfWork, actor: Actor, day: date, now: datetime, reports: ReportsSection | None = None
) -> dict:
    """The leak log of the local ``day``, with its review (None until reviewed), when the
    review is due and whether it is overdue at ``now``."""
    reports = _reports(reports)
    timezone = repo.territory_timezone(uow.cur)
    zone = ZoneInfo(timezone)
    start, end = local_day_window(day, timezone)
    rows = []
    for r in rr.leak_log(uow.cur, start, end, reports.leak_types):
        reached = r["arrived_at"] is not None and r["arrived_at"] <= now
        rows.append(
            {
                "number": r["number"],
                "location": r["address"],
                "lon": None if r["lon"] is None else round(float(r["lon"]), 6),
                "lat": None if r["lat"] is None else round(float(r["lat"]), 6),
                "received_at": _local(r["received_at"], zone),
                "type": r["ticket_type"],
                "dispatched_at": _local(r["dispatched_at"], zone),
                "arrived_at": _local(r["arrived_at"], zone) if reached else None,
                "crew": r["crew_code"],
                "response_min": round(kpis.response_minutes(r), 1) if reached else None,
                "status": r["status"],
                "duplicate_of": r["duplicate_of"],
            }
        )
    review = rr.get_review(uow.cur, day)
    due = review_due_at(day, timezone, reports.review_by_hour)
    return {
        "date": day.isoformat(),
        "timezone": timezone,
        "rows": rows,
        "review": None if review is None else _review_shape(review, zone),
        "review_due_at": _local(due, zone),
        "review_overdue": review is None and bool(rows) and now >= due,
    }


def leak_log_csv(log: dict) -> str:
    """The leak log as CSV (a header line, then one line per report)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LEAK_LOG_COLUMNS)
    for row in log["rows"]:
        writer.writerow(["" if row[c] is None else row[c] for c in LEAK_LOG_COLUMNS])
    return out.getvalue()


def _review_shape(review: dict, zone: ZoneInfo) -> dict:
    return {
        "reviewed_by": review["reviewed_by"],
        "role": review["reviewed_role"],
        "reviewed_at": _local(review["reviewed_at"], zone),
    }


def review_leak_log(uow: UnitOfWork, actor: Actor, day: date, now: datetime) -> dict:
    """Record that ``actor`` reviewed the log of ``day``. Refuses a day not over yet (field
    ``date``) and a day reviewed already (409, saying by whom)."""
    timezone = repo.territory_timezone(uow.cur)
    zone = ZoneInfo(timezone)
    if day >= now.astimezone(zone).date():
        raise InvalidInput("`date`: the day is not over yet; review a finished day", "date")
    if not rr.insert_review(uow.cur, day, by=actor.username, role=actor.role, at=now):
        done = rr.get_review(uow.cur, day)
        raise Conflict(
            f"the leak log of {day} was reviewed by {done['reviewed_by']}"
            f" at {_local(done['reviewed_at'], zone)}",
            "date",
        )
    return {"date": day.isoformat(), **_review_shape(rr.get_review(uow.cur, day), zone)}


def check_reviews(
    uow: UnitOfWork, now: datetime, reports: ReportsSection | None = None
) -> list[dict]:
    """Raise the alarm of each day with leak reports (within the look-back) whose log is
    not reviewed by its due time; each day once. Returns the alarms raised now."""
    reports = _reports(reports)
    timezone = repo.territory_timezone(uow.cur)
    today = now.astimezone(ZoneInfo(timezone)).date()
    first = today - timedelta(days=reports.review_lookback_days)
    start, _ = local_day_window(first, timezone)
    end, _ = local_day_window(today, timezone)
    days = rr.days_with_leaks(uow.cur, start, end, reports.leak_types, timezone)
    done = rr.reviewed_days(uow.cur, days) if days else set()
    raised = []
    for day in days:
        due = review_due_at(day, timezone, reports.review_by_hour)
        if day in done or now < due:
            continue
        if rr.insert_alarm(uow.cur, day, due_at=due, at=now):
            raised.append({"date": day.isoformat(), "due_at": due.isoformat()})
    return raised


def open_review_alarms(uow: UnitOfWork) -> list[dict]:
    """The alarms of days still unreviewed: ``{"date", "due_at"}``, oldest first."""
    timezone = repo.territory_timezone(uow.cur)
    zone = ZoneInfo(timezone)
    return [
        {"date": a["day"].isoformat(), "due_at": _local(a["due_at"], zone)}
        for a in rr.open_alarms(uow.cur)
    ]


# --- the monthly summary -----------------------------------------------------------------------


def parse_month(text: str) -> date:
    """The first day of a month given as YYYY-MM (field ``month``)."""
    try:
        year, month = (int(p) for p in text.split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise InvalidInput("`month` must be a month YYYY-MM", "month") from None


def leak_buckets(
    uow: UnitOfWork,
    actor: Actor,
    month: date,
    now: datetime,
    reports: ReportsSection | None = None,
) -> dict:
    """The leak reports received in the local ``month``, counted in response-time buckets."""
    reports = _reports(reports)
    timezone = repo.territory_timezone(uow.cur)
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    start, _ = local_day_window(month, timezone)
    end, _ = local_day_window(following, timezone)
    counts = rr.leak_bucket_counts(uow.cur, start, end, reports.leak_types, now)
    return {
        "month": f"{month:%Y-%m}",
        "timezone": timezone,
        "reports": int(counts["reports"]),
        "buckets": {name: int(counts[name]) for name in BUCKET_NAMES},
        "median_min": _rounded(counts["median_min"]),
        "p90_min": _rounded(counts["p90_min"]),
    }


def leak_buckets_csv(summary: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "reports", *BUCKET_NAMES, "median_min", "p90_min"])
    writer.writerow(
        [
            summary["month"],
            summary["reports"],
            *(summary["buckets"][n] for n in BUCKET_NAMES),
            "" if summary["median_min"] is None else summary["median_min"],
            "" if summary["p90_min"] is None else summary["p90_min"],
        ]
    )
    return out.getvalue()


def _rounded(value) -> float | None:
    return None if value is None else round(float(value), 1)


# --- response times and compliance over a period -----------------------------------------------


def period_window(first: date, last: date, timezone: str) -> tuple[datetime, datetime]:
    """From local midnight of ``first`` to the local midnight after ``last``."""
    if last < first:
        raise InvalidInput("`until` must not be before `since`", "until")
    start, _ = local_day_window(first, timezone)
    _, end = local_day_window(last, timezone)
    return start, end


def period_rows(
    uow: UnitOfWork,
    first: date,
    last: date,
    *,
    types: list[str] | None = None,
    priorities: list[int] | None = None,
) -> list[dict]:
    """The field tickets received from ``first`` to ``last`` (local days, both included)."""
    timezone = repo.territory_timezone(uow.cur)
    start, end = period_window(first, last, timezone)
    return rr.response_rows(uow.cur, start, end, types=types, priorities=priorities)


def compliance_table(rows: list[dict], now: datetime) -> list[dict]:
    """Share within target against every clock policy of the settings."""
    return kpis.compliance(rows, policy_targets(), now)


def response_map(
    rows: list[dict], resolution: int, now: datetime, *, min_jobs: int | None = None
) -> dict:
    """The response-time map: a GeoJSON FeatureCollection of the H3 cells (``resolution``)
    holding jobs, each with ``cell``, ``jobs`` (reached by ``now``), ``median_min``,
    ``p90_min`` and ``sparse`` (fewer than ``min_jobs`` jobs, the settings' by default: too
    few for its median to be shown)."""
    from gis.hexagons import cell_of, cell_polygon

    if min_jobs is None:
        min_jobs = current().reports.min_jobs_per_hexagon
    try:
        cells = {id(r): cell_of(r["lon"], r["lat"], resolution) for r in rows}
    except ValueError as exc:
        raise InvalidInput(str(exc), "resolution") from None
    summaries = kpis.response_by(rows, lambda r: cells[id(r)], now)
    features = []
    for cell, summary in sorted(summaries.items()):
        if summary["jobs"] == 0:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": cell_polygon(cell),
                "properties": {"cell": cell, **summary, "sparse": summary["jobs"] < min_jobs},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def territory_today(uow: UnitOfWork, now: datetime) -> tuple[date, str]:
    """The territory's local date at ``now`` and its time zone."""
    timezone = repo.territory_timezone(uow.cur)
    return now.astimezone(ZoneInfo(timezone)).date(), timezone


def period_report(
    uow: UnitOfWork,
    actor: Actor,
    first: date,
    last: date,
    now: datetime,
    *,
    types: list[str] | None = None,
    priorities: list[int] | None = None,
    resolution: int = 8,
) -> dict:
    """What the manager's page shows for a period: the response-time map, the overall
    response summary and the compliance table against every clock policy."""
    rows = period_rows(uow, first, last, types=types, priorities=priorities)
    return {
        "map": response_map(rows, resolution, now),
        "summary": kpis.response_summary(rows, now),
        "compliance": compliance_table(rows, now),
    }
