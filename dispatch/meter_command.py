"""``dispatch meters import|scan`` and ``dispatch demo readings``: meter reading from the
command line (the commands are registered by :mod:`dispatch.cli`)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from dispatch.errors import InvalidInput


def add_parser(commands) -> None:
    meters = commands.add_parser("meters", help="meter reading").add_subparsers(
        dest="meters_command", required=True
    )
    imp = meters.add_parser(
        "import",
        help="import a reading round (CSV: meter_no or account_no, read_on, reading_m3, reader);"
        " good rows in one transaction, a reject report for the others",
    )
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument("--rejects", metavar="FILE.csv", help="write the reject report here")
    scan = meters.add_parser(
        "scan",
        help="run the reading rules over every meter on Dask; store the tasks; print JSON",
    )
    scan.add_argument(
        "--scheduler", metavar="ADDRESS", help="an existing Dask cluster (default: a local one)"
    )
    scan.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    scan.add_argument("--as-of", metavar="YYYY-MM-DD", help="the day of the scan (default today)")
    scan.add_argument("--months", type=int, default=12, help="months scanned (default 12)")
    scan.add_argument("--chunk-meters", type=int, default=50_000, help="meters per Dask task")
    scan.add_argument("--missed", metavar="FILE.csv", help="write every missed reading here")


def add_demo_parser(demo) -> None:
    readings = demo.add_parser(
        "readings", help="a year of monthly meter readings for the demo's meters"
    )
    readings.add_argument("--seed", type=int, default=7, help="same seed, same readings")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _day(text: str | None, name: str) -> date:
    try:
        return date.fromisoformat(text) if text else datetime.now(UTC).date()
    except ValueError:
        raise InvalidInput(f"`{name}` must be a date YYYY-MM-DD", name) from None


def run(args: argparse.Namespace, dsn: str) -> int:
    from gis.migrations import migrate

    migrate(dsn)
    if args.meters_command == "import":
        return _import(dsn, args)
    return _scan(dsn, args)


def _import(dsn: str, args: argparse.Namespace) -> int:
    from dispatch.meter_import import import_readings

    now = datetime.now(UTC)
    report = import_readings(dsn, Path(args.file), today=now.date(), now=now)
    _say(
        f"readings: read {report.read} rows from {args.file}, imported {report.imported},"
        f" rejected {len({r.row for r in report.rejects})}"
    )
    if args.rejects:
        Path(args.rejects).write_text(report.rejects_csv(), encoding="utf-8")
        _say(f"reject report written to {args.rejects}")
    elif report.rejects:
        sys.stdout.write(report.rejects_csv())
    return 0


def _scan(dsn: str, args: argparse.Namespace) -> int:
    from dispatch import meter_repository
    from dispatch.meter_rules import window_ending
    from dispatch.meter_scan import dask_client, scan_database
    from dispatch.unit_of_work import UnitOfWork

    if args.months < 1 or args.workers < 1 or args.chunk_meters < 1:
        raise InvalidInput(
            "`--months`, `--workers` and `--chunk-meters` must be positive", "months"
        )
    window = window_ending(_day(args.as_of, "as-of"), args.months)
    where = args.scheduler or f"a local cluster of {args.workers} workers"
    _say(f"scan: {window.months} months from {window.first_month:%Y-%m} on {where}")
    with dask_client(args.scheduler, args.workers) as client:
        run = scan_database(dsn, window, client, chunk_meters=args.chunk_meters)
    with UnitOfWork(dsn) as uow:
        new = meter_repository.insert_tasks(uow.cur, run.summary.tasks)
    if args.missed:
        run.summary.missed.to_csv(args.missed, index=False)
        _say(f"missed readings written to {args.missed}")
    report = run.summary.as_dict() | {
        "new_tasks": new,
        "chunks": run.chunks,
        "seconds": run.seconds,
    }
    print(json.dumps(report, ensure_ascii=False))
    _say(
        f"scan: {run.summary.meters} meters, read rate {run.summary.read_rate},"
        f" {len(run.summary.tasks)} tasks ({new} new), {len(run.summary.missed)} missed readings"
    )
    return 0


def demo_readings(dsn: str, args: argparse.Namespace) -> int:
    from dispatch import meter_repository as repo
    from dispatch.meter_demo import generate
    from dispatch.unit_of_work import UnitOfWork
    from gis.demo.store import loaded_territory
    from gis.migrations import migrate

    migrate(dsn)
    if loaded_territory(dsn) is None:
        raise InvalidInput("`territory`: none loaded; run `dispatch demo load` first", "territory")
    now = datetime.now(UTC)
    with UnitOfWork(dsn) as uow:
        if repo.has_demo_readings(uow.cur):
            _say("readings: the demo's readings are loaded already; nothing done")
            return 0
        made = generate(repo.all_meters(uow.cur), now.date(), seed=args.seed)
        repo.ensure_month_partitions(uow.cur, made.frame["read_on"])
        rows = repo.copy_readings(uow.cur, made.frame, at=now)
    picked = ", ".join(f"{k} {v}" for k, v in made.anomalies.items())
    _say(f"readings: {rows} demo readings stored; anomalies on meters: {picked}")
    return 0
