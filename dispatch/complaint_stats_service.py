"""Quarterly complaint statistics (季度统计) per staff-at-fault class, per department and per
worker, as JSON and as CSV, counted by the territory's local date of receipt. The counting
rule is :func:`dispatch.complaint_model.quarterly_stats`; the SQL is in
:mod:`dispatch.desk_repository`."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dispatch import desk_repository as desk
from dispatch import repository as repo
from dispatch.complaint_model import FAULT_CLASSES, Complaint, quarterly_stats
from dispatch.errors import InvalidInput
from dispatch.unit_of_work import UnitOfWork

CLASS_COLUMNS = (*FAULT_CLASSES, "unclassified")


def quarter_of(now: datetime) -> tuple[int, int]:
    return now.year, (now.month - 1) // 3 + 1


def quarterly_statistics(uow: UnitOfWork, year: int, quarter: int) -> dict:
    """The quarter's counts (see :func:`quarterly_stats`) plus ``by_department_and_class``."""
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput("`year` must be a year from 2000 to 2100", "year")
    if isinstance(quarter, bool) or quarter not in (1, 2, 3, 4):
        raise InvalidInput("`quarter` must be 1, 2, 3 or 4", "quarter")
    zone = ZoneInfo(repo.territory_timezone(uow.cur))
    first = datetime(year, 3 * quarter - 2, 1, tzinfo=UTC) - timedelta(days=1)
    last = datetime(year + (quarter == 4), (3 * quarter) % 12 + 1, 1, tzinfo=UTC) + timedelta(
        days=1
    )
    complaints = [
        _complaint(r, zone) for r in desk.complaints_received_between(uow.cur, first, last)
    ]
    stats = quarterly_stats(complaints, year, quarter)
    months = range(3 * quarter - 2, 3 * quarter + 1)
    chosen = [c for c in complaints if c.received_at.year == year and c.received_at.month in months]
    by_dept: dict[str, dict[str, int]] = {}
    for c in chosen:
        counts = by_dept.setdefault(c.department or "unassigned", dict.fromkeys(CLASS_COLUMNS, 0))
        counts[c.fault_class or "unclassified"] += 1
    stats["by_department_and_class"] = dict(sorted(by_dept.items()))
    stats["by_level"] = {str(k): v for k, v in stats["by_level"].items()}
    return stats


def statistics_csv(stats: dict) -> str:
    """One row per class, department and worker: dimension, name, total and the count per
    class (A, B, C, unclassified)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["year", "quarter", "dimension", "name", "total", *CLASS_COLUMNS])
    head = [stats["year"], stats["quarter"]]
    for name in CLASS_COLUMNS:
        n = stats["by_fault_class"][name]
        writer.writerow([*head, "class", name, n, *(n if c == name else 0 for c in CLASS_COLUMNS)])
    for name, counts in stats["by_department_and_class"].items():
        writer.writerow(
            [*head, "department", name, sum(counts.values()), *(counts[c] for c in CLASS_COLUMNS)]
        )
    for name, counts in stats["by_worker_and_class"].items():
        writer.writerow(
            [*head, "worker", name, sum(counts.values()), *(counts[c] for c in CLASS_COLUMNS)]
        )
    writer.writerow(
        [
            *head,
            "all",
            "total",
            stats["total"],
            *(stats["by_fault_class"][c] for c in CLASS_COLUMNS),
        ]
    )
    return out.getvalue()


def _complaint(row: dict, zone: ZoneInfo) -> Complaint:
    def local(value):
        return None if value is None else value.astimezone(zone)

    return Complaint(
        id=int(row["id"]),
        channel=row["channel"],
        level=int(row["level"]),
        received_at=local(row["received_at"]),
        reply_due_at=local(row["reply_due_at"]),
        status=row["status"],
        fault_class=row["fault_class"],
        department=row["department"],
        worker=row["worker"],
        reply=row["reply"],
        replied_at=local(row["replied_at"]),
        callback_result=row["callback_result"],
        closed_at=local(row["closed_at"]),
    )
