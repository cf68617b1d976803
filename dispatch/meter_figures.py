"""The meter desk's figures of a reading month, as pure functions: which month is shown (the
last one whose reading day, the 20th, has come), its read rate (抄见率: meters read / meters
due), the readings missed, and the tasks per kind.

Every meter is due every month (:mod:`dispatch.meter_rules`), so a month's missed readings
are the meters due less the meters read in it.
"""

from __future__ import annotations

from datetime import date

from dispatch.meter_rules import READING_DAY, TASK_KINDS, add_months, window_ending


def reading_month(today: date) -> date:
    """The first day of the last month whose reading day is ``today`` or before."""
    return window_ending(today, 1).first_month


def recent_months(today: date, count: int = 12) -> list[date]:
    """The ``count`` reading months up to :func:`reading_month`, newest first."""
    last = reading_month(today)
    return [add_months(last, -i) for i in range(count)]


def month_figures(month: date, due: int, read: int, tasks: dict[str, dict[str, int]]) -> dict:
    """The figures of ``month``: ``read`` of ``due`` meters read; ``tasks`` per kind, the
    counts raised for the month and still open (kinds without any count 0)."""
    if read > due:  # a reading of a meter since removed: never a rate above 100 %
        read = due
    return {
        "month": month.isoformat()[:7],
        "reading_day": month.replace(day=READING_DAY).isoformat(),
        "due": due,
        "read": read,
        "missed": due - read,
        "read_rate": round(read / due, 4) if due else None,
        "tasks": {
            kind: {
                "of_month": tasks.get(kind, {}).get("of_month", 0),
                "open": tasks.get(kind, {}).get("open", 0),
            }
            for kind in TASK_KINDS
        },
    }
