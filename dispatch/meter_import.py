"""``dispatch meters import FILE.csv``: a reading round's file into the readings table.

Columns: ``meter_no`` or ``account_no`` (either or both), ``read_on`` (YYYY-MM-DD),
``reading_m3`` (the register, m³, up to 3 decimals) and ``reader``. Every row is checked
first; the good ones are stored in one transaction (their month partitions made in it too),
and each bad one is reported once per problem with its line in the file (the header is line 1),
the field and the problem. A file that cannot be read as such (not UTF-8 text, no header, a
column missing) is refused whole: :class:`UnusableFile`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from dispatch import meter_repository as repo
from dispatch.errors import InvalidInput
from dispatch.unit_of_work import UnitOfWork

REQUIRED = ("read_on", "reading_m3", "reader")
IDENTIFIERS = ("meter_no", "account_no")
EARLIEST = date(2000, 1, 1)
MAX_READING_M3 = Decimal("999999999.999")  # numeric(12, 3)
MAX_READER = 100


class UnusableFile(InvalidInput):
    """The file as a whole cannot be imported; nothing is read from it."""


@dataclass(frozen=True)
class Reject:
    row: int  # the line in the file; the header is line 1
    field: str
    problem: str


@dataclass
class ImportReport:
    read: int = 0
    imported: int = 0
    rejects: list[Reject] = field(default_factory=list)
    partitions: list[str] = field(default_factory=list)

    def rejects_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["row", "field", "problem"])
        for r in self.rejects:
            writer.writerow([r.row, r.field, r.problem])
        return out.getvalue()


@dataclass
class _Row:
    line: int
    meter_no: str
    account_no: str
    read_on: date | None = None
    reading: Decimal | None = None
    reader: str = ""
    meter_id: int | None = None


def read_rows(path: Path) -> list[dict]:
    """The file's rows as dicts, or :class:`UnusableFile` saying why it cannot be used."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UnusableFile(f"`file`: {path} does not exist", "file") from None
    except UnicodeDecodeError:
        raise UnusableFile(f"`file`: {path} is not UTF-8 text", "file") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not header:
        raise UnusableFile(f"`file`: {path} is empty; it needs a header line", "file")
    missing = [c for c in REQUIRED if c not in header]
    if not any(c in header for c in IDENTIFIERS):
        missing.insert(0, "meter_no or account_no")
    if missing:
        raise UnusableFile(
            f"`file`: missing column(s) {', '.join(missing)} (has: {', '.join(header)})", "file"
        )
    reader.fieldnames = header
    return list(reader)


def check_row(raw: dict, line: int, today: date) -> tuple[_Row, list[Reject]]:
    """One row's own fields, checked without the database."""

    def cell(name: str) -> str:
        value = raw.get(name)
        return value.strip() if isinstance(value, str) else ""

    row = _Row(line, cell("meter_no"), cell("account_no"))
    rejects: list[Reject] = []

    def refuse(name: str, problem: str) -> None:
        rejects.append(Reject(line, name, problem))

    if None in raw:  # more cells than the header has columns
        refuse("row", "more cells than the header has columns")
    if not row.meter_no and not row.account_no:
        refuse("meter_no", "neither a meter number nor an account number")
    try:
        row.read_on = date.fromisoformat(cell("read_on"))
    except ValueError:
        refuse("read_on", f"{cell('read_on')!r} is not a date YYYY-MM-DD")
    else:
        if row.read_on > today:
            refuse("read_on", f"{row.read_on} is in the future")
        elif row.read_on < EARLIEST:
            refuse("read_on", f"{row.read_on} is before {EARLIEST}")
    try:
        reading = Decimal(cell("reading_m3"))
        if not reading.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        refuse("reading_m3", f"{cell('reading_m3')!r} is not a number")
    else:
        if reading < 0:
            refuse("reading_m3", f"{reading} is negative")
        elif reading > MAX_READING_M3:
            refuse("reading_m3", f"{reading} is more than {MAX_READING_M3}")
        elif reading.as_tuple().exponent < -3:
            refuse("reading_m3", f"{reading} has more than 3 decimals")
        else:
            row.reading = reading
    row.reader = cell("reader")
    if not row.reader:
        refuse("reader", "empty: who read the meter")
    elif len(row.reader) > MAX_READER or "\x00" in row.reader:
        refuse("reader", f"longer than {MAX_READER} characters or not text")
    return row, rejects


def import_readings(dsn: str, path: Path, *, today: date, now: datetime) -> ImportReport:
    """Check every row, then store the good ones in one transaction."""
    raw_rows = read_rows(path)
    report = ImportReport(read=len(raw_rows))
    checked: list[_Row] = []
    for number, raw in enumerate(raw_rows, start=2):
        row, rejects = check_row(raw, number, today)
        report.rejects += rejects
        if not rejects:
            checked.append(row)
    with UnitOfWork(dsn) as uow:
        good = _resolve_meters(uow.cur, checked, report)
        good = _refuse_repeats(uow.cur, good, report)
        if good:
            frame = pd.DataFrame(
                {
                    "meter_id": [r.meter_id for r in good],
                    "read_on": [r.read_on for r in good],
                    "reading_m3": [str(r.reading) for r in good],
                    "consumption": None,
                    "reader": [r.reader for r in good],
                    "source": "import",
                }
            )
            report.partitions = repo.ensure_month_partitions(uow.cur, frame["read_on"])
            report.imported = repo.copy_readings(uow.cur, frame, at=now)
            meters = sorted({r.meter_id for r in good})
            repo.recompute_consumption(uow.cur, meters, min(r.read_on for r in good))
    report.rejects.sort(key=lambda r: r.row)
    return report


def _resolve_meters(cur, rows: list[_Row], report: ImportReport) -> list[_Row]:
    found = repo.meters_by_numbers(
        cur,
        sorted({r.meter_no for r in rows if r.meter_no}),
        sorted({r.account_no for r in rows if r.account_no}),
    )
    by_meter = {m["meter_no"]: m["id"] for m in found}
    by_account = {m["account_no"]: m["id"] for m in found}
    good = []
    for row in rows:
        via_meter = by_meter.get(row.meter_no) if row.meter_no else None
        via_account = by_account.get(row.account_no) if row.account_no else None
        if row.meter_no and via_meter is None:
            report.rejects.append(Reject(row.line, "meter_no", f"no meter {row.meter_no!r}"))
        elif row.account_no and via_account is None:
            report.rejects.append(Reject(row.line, "account_no", f"no account {row.account_no!r}"))
        elif via_meter and via_account and via_meter != via_account:
            problem = f"account {row.account_no!r} is not the account of meter {row.meter_no!r}"
            report.rejects.append(Reject(row.line, "account_no", problem))
        else:
            row.meter_id = via_meter or via_account
            good.append(row)
    return good


def _refuse_repeats(cur, rows: list[_Row], report: ImportReport) -> list[_Row]:
    """One reading a meter a day: a second one in the file, or one already stored, is refused."""
    stored = repo.readings_on(
        cur, sorted({r.meter_id for r in rows}), sorted({r.read_on for r in rows})
    )
    first_line: dict[tuple[int, date], int] = {}
    good = []
    for row in rows:
        key = (row.meter_id, row.read_on)
        if key in stored:
            problem = f"the meter has a reading on {row.read_on} already"
            report.rejects.append(Reject(row.line, "read_on", problem))
        elif key in first_line:
            problem = f"the meter is read on {row.read_on} on line {first_line[key]} already"
            report.rejects.append(Reject(row.line, "read_on", problem))
        else:
            first_line[key] = row.line
            good.append(row)
    return good
