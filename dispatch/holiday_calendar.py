"""The holiday calendar that working-day deadlines follow (a complaint's reply is due 2
working days later): public holidays, and the make-up working days (调休) that come with
them, read from a CSV file a site can replace (``desks.holidays_file``; the default is
``data/holidays.csv``)::

    date,kind,name
    2026-10-01,holiday,国庆节
    2026-10-10,workday,国庆节调休

Lines starting with ``#`` are comments. A bad line is refused naming the file, line and field.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from dispatch.errors import InvalidInput

KINDS = ("holiday", "workday")
DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "holidays.csv"


@dataclass(frozen=True)
class HolidayCalendar:
    """Days off that fall on weekdays (``holidays``) and weekend days worked (``workdays``)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


def parse_calendar(lines, source: str = "holidays") -> HolidayCalendar:
    """The calendar in the CSV ``lines`` (an iterable of strings)."""
    rows = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    holidays, workdays = set(), set()
    reader = csv.DictReader(rows)
    if reader.fieldnames is None or not {"date", "kind"} <= set(reader.fieldnames):
        raise InvalidInput(f"{source}: the header must name `date` and `kind`", "holidays_file")
    for number, row in enumerate(reader, start=2):
        try:
            day = date.fromisoformat((row["date"] or "").strip())
        except ValueError:
            raise InvalidInput(
                f"{source}, row {number}: `date` must be YYYY-MM-DD, not {row['date']!r}", "date"
            ) from None
        kind = (row["kind"] or "").strip()
        if kind not in KINDS:
            raise InvalidInput(
                f"{source}, row {number}: `kind` must be holiday or workday, not {kind!r}", "kind"
            )
        (holidays if kind == "holiday" else workdays).add(day)
    both = holidays & workdays
    if both:
        raise InvalidInput(
            f"{source}: {min(both)} is both a holiday and a working day", "holidays_file"
        )
    return HolidayCalendar(frozenset(holidays), frozenset(workdays))


@lru_cache(maxsize=4)
def load_calendar(path: str | Path | None = None) -> HolidayCalendar:
    """The calendar in the file at ``path`` (the shipped one when None), read once."""
    file = Path(path) if path else DEFAULT_FILE
    if not file.is_absolute() and not file.exists():
        file = DEFAULT_FILE.parent.parent / file
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"holidays file {file}: {exc.strerror}", "holidays_file") from None
    return parse_calendar(text.splitlines(), str(file))


def configured_calendar() -> HolidayCalendar:
    """The calendar named by the settings (``desks.holidays_file``)."""
    from dispatch.settings import current

    return load_calendar(current().desks.holidays_file)
