"""``dispatch report ...``: the manager's exports from the command line.

- ``dispatch report pdf --month 2026-10 --out FILE.pdf``: the monthly report.
- ``dispatch report map-html --since D --until D [--resolution 8] --out FILE.html``: the
  response-time map as a standalone HTML page (opens with no server and no internet).
- ``dispatch report leak-log-pdf --date D --out FILE.pdf`` and
  ``dispatch report buckets-pdf --month M --out FILE.pdf``: the regulators' records.
- ``dispatch report rebuild-histograms``: recompute the response-time map's daily histograms
  from every ticket (a back-fill; the database keeps them current by itself otherwise).

Bad input names the flag and exits 2 (:class:`dispatch.errors.InvalidInput`)."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from pathlib import Path

from dispatch.errors import InvalidInput

ACTOR_NAME = "cli"


def add_parser(commands) -> None:
    report = commands.add_parser("report", help="the manager's exports").add_subparsers(
        dest="report_command", required=True
    )
    pdf = report.add_parser("pdf", help="the monthly PDF report")
    pdf.add_argument("--month", required=True, metavar="YYYY-MM")
    pdf.add_argument("--out", required=True, metavar="FILE.pdf")
    html = report.add_parser("map-html", help="the response-time map as standalone HTML")
    html.add_argument("--since", required=True, metavar="YYYY-MM-DD")
    html.add_argument("--until", required=True, metavar="YYYY-MM-DD")
    html.add_argument("--resolution", type=int, default=8, help="H3 level 7, 8 or 9")
    html.add_argument("--out", required=True, metavar="FILE.html")
    log = report.add_parser("leak-log-pdf", help="a day's leak log as PDF")
    log.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    log.add_argument("--out", required=True, metavar="FILE.pdf")
    buckets = report.add_parser("buckets-pdf", help="a month's leak buckets as PDF")
    buckets.add_argument("--month", required=True, metavar="YYYY-MM")
    buckets.add_argument("--out", required=True, metavar="FILE.pdf")
    report.add_parser(
        "rebuild-histograms", help="recompute the response-time map's daily histograms"
    )


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"`--{flag}` must be a date YYYY-MM-DD", flag) from None


def _out(text: str) -> Path:
    path = Path(text)
    if not path.parent.is_dir():
        raise InvalidInput(f"`--out`: no such folder {path.parent}", "out")
    return path


def run(dsn: str, args: argparse.Namespace, now: datetime | None = None) -> int:
    from dispatch import report_exports, report_service
    from dispatch.actor import Actor
    from dispatch.manager_service import Period
    from dispatch.unit_of_work import UnitOfWork

    now = now or datetime.now(UTC)
    actor = Actor(ACTOR_NAME, "admin")
    if args.report_command == "rebuild-histograms":
        from dispatch import manager_repository

        with UnitOfWork(dsn) as uow:
            rows = manager_repository.rebuild_histograms(uow.cur)
        print(f"rebuilt the response histograms: {rows} rows")
        return 0
    out = _out(args.out)
    with UnitOfWork(dsn) as uow:
        if args.report_command == "pdf":
            month = report_service.parse_month(args.month)
            data = report_exports.monthly_pdf(uow, month, now)
        elif args.report_command == "buckets-pdf":
            month = report_service.parse_month(args.month)
            data = report_exports.buckets_pdf(report_service.leak_buckets(uow, actor, month, now))
        elif args.report_command == "leak-log-pdf":
            log = report_service.leak_log(uow, actor, _day(args.date, "date"), now)
            data = report_exports.leak_log_pdf(log)
        else:
            period = Period(uow, _day(args.since, "since"), _day(args.until, "until"))
            data = report_exports.map_html(uow, period, now, args.resolution).encode("utf-8")
    out.write_bytes(data)
    print(f"wrote {out} ({len(data)} bytes)")
    return 0
