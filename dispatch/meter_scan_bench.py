"""Benchmark of the meter-reading scan: ``python -m dispatch.meter_scan_bench [--meters N]``.

Two measurements, said apart in the JSON (the last line printed):

1. ``frame``: the scan over ``--meters`` meters x ``--months`` months (plus the baseline month)
   generated straight into Parquet chunks of ``--chunk-meters`` meters (not through
   PostgreSQL: a million meters' rows would take longer to load than to scan). Timed: the
   rules in one process with pandas alone, then the Dask scan on a local cluster of 1 and of 2
   worker processes (cluster start-up timed apart). Each worker reads its chunks itself, as it
   reads the database in production.
2. ``database``: the same scan end to end from PostgreSQL at ``--db-meters`` meters, in a
   throw-away database dropped afterwards: the COPY extraction by the workers plus the rules,
   with 2 workers; rows a second, and the time scaled linearly to ``--meters`` (an estimate,
   labelled so).

Run it with a small size while developing (``--meters 20000 --db-meters 5000``).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from dispatch.meter_rules import ScanWindow, scan_readings, summarize, window_ending
from dispatch.meter_scan import dask_client, scan_chunks, scan_database

AS_OF = date(2025, 12, 31)


def _chunk(first_id: int, count: int, window: ScanWindow, seed: int) -> pd.DataFrame:
    """Readings of meters first_id.. first_id+count-1 for the window and its baseline:
    households 6-30 m³ a month, 10 % other customers; about 1 % of months over 50, 0.2 % over
    100, 0.5 % of meters standing still, 2 % of readings missed."""
    rng = np.random.default_rng(seed)
    months = window.months + 1
    ids = np.arange(first_id, first_id + count, dtype=np.int64)
    residential = rng.random(count) < 0.9
    base = np.where(residential, rng.uniform(6, 22, count), rng.uniform(80, 450, count))
    use = base[:, None] * rng.uniform(0.8, 1.4, (count, months))
    use[rng.random((count, months)) < 0.01] = 75.0
    use[rng.random((count, months)) < 0.002] = 150.0
    use[rng.random(count) < 0.005, :] = 0.0
    use[:, 0] = 0.0
    register = np.round(rng.uniform(0, 4000, count)[:, None] + np.cumsum(use, axis=1), 1)
    read = rng.random((count, months)) >= 0.02
    who, when = np.nonzero(read)
    first = np.datetime64(window.baseline.isoformat(), "M")
    days = (first + when.astype("timedelta64[M]")).astype("datetime64[D]") + np.timedelta64(19, "D")
    return pd.DataFrame(
        {
            "meter_id": ids[who],
            "residential": residential[who],
            "read_on": days.astype("datetime64[ns]"),
            "reading_m3": register[who, when],
        }
    )


def _write_chunks(folder: Path, meters: int, chunk: int, window: ScanWindow) -> list[str]:
    paths = []
    for k, start in enumerate(range(1, meters + 1, chunk)):
        frame = _chunk(start, min(chunk, meters + 1 - start), window, seed=k)
        path = folder / f"chunk-{k:05d}.parquet"
        frame.to_parquet(path, index=False)
        paths.append(str(path))
    return paths


def _frame_bench(args, window: ScanWindow) -> dict:
    with tempfile.TemporaryDirectory(prefix="meter-bench-") as tmp:
        started = time.perf_counter()
        paths = _write_chunks(Path(tmp), args.meters, args.chunk_meters, window)
        generated = time.perf_counter() - started
        rows = 0
        started = time.perf_counter()
        parts = []
        for path in paths:
            frame = pd.read_parquet(path)
            rows += len(frame)
            parts.append(scan_readings(frame, window))
        plain = summarize(pd.concat(parts, ignore_index=True), window)
        pandas_s = time.perf_counter() - started
        result = {
            "what": "generated frame in Parquet chunks (no PostgreSQL)",
            "meters": args.meters,
            "months": window.months,
            "rows": rows,
            "chunks": len(paths),
            "generate_s": round(generated, 2),
            "pandas_one_process_s": round(pandas_s, 2),
            "read_rate": plain.read_rate,
            "tasks": plain.as_dict()["tasks"],
            "missed": len(plain.missed),
        }
        for workers in (1, 2):
            started = time.perf_counter()
            with dask_client(None, workers) as client:
                client.wait_for_workers(workers)
                startup = time.perf_counter() - started
                run = scan_chunks(pd.read_parquet, paths, window, client)
            assert run.summary.read_per_month == plain.read_per_month  # same answer
            result[f"dask_{workers}_workers_s"] = run.seconds
            result[f"dask_{workers}_workers_startup_s"] = round(startup, 2)
            result[f"dask_{workers}_workers_rows_per_s"] = round(rows / run.seconds)
    return result


def _db_bench(args, window: ScanWindow) -> dict:
    import psycopg2.extensions

    from dispatch import meter_repository as repo
    from gis.database import connect, drop_database, ensure_database, resolve_server
    from gis.migrations import migrate

    server = resolve_server()
    name = f"gd_meter_bench_{uuid.uuid4().hex[:8]}"
    ensure_database(server, name)
    dsn = psycopg2.extensions.make_dsn(server.admin_dsn, dbname=name)
    try:
        migrate(dsn)
        started = time.perf_counter()
        conn = connect(dsn)
        try:
            with conn, conn.cursor() as cur:
                _load_meters(cur, args.db_meters)
                repo.ensure_month_partitions(
                    cur, [window.baseline] + [window.month(i) for i in range(window.months)]
                )
                rows = 0
                for k, start in enumerate(range(1, args.db_meters + 1, args.chunk_meters)):
                    frame = _chunk(
                        start, min(args.chunk_meters, args.db_meters + 1 - start), window, k
                    )
                    frame = frame.assign(
                        read_on=frame["read_on"].dt.date,
                        consumption=None,
                        reader="R",
                        source="demo",
                    )
                    rows += repo.copy_readings(cur, frame, at=datetime.now(UTC))
            with conn.cursor() as cur:
                conn.autocommit = True
                cur.execute("VACUUM ANALYZE meter_readings")
        finally:
            conn.close()
        loaded = time.perf_counter() - started
        with dask_client(None, 2) as client:
            client.wait_for_workers(2)
            run = scan_database(dsn, window, client, chunk_meters=args.chunk_meters)
        return {
            "what": "PostgreSQL end to end: COPY extraction by the workers + rules, 2 workers",
            "meters": args.db_meters,
            "rows": rows,
            "load_s": round(loaded, 2),
            "scan_s": run.seconds,
            "rows_per_s": round(rows / run.seconds),
            "read_rate": run.summary.read_rate,
            "estimate_for_meters": args.meters,
            "estimated_scan_s": round(run.seconds * args.meters / args.db_meters, 1),
        }
    finally:
        drop_database(server, name)


def _load_meters(cur, count: int) -> None:
    """``count`` bare meters (the scan reads only id and category)."""
    cur.execute(
        """
        INSERT INTO customer_meters (id, meter_no, account_no, customer_name, phone, address,
                                     category, geom)
        SELECT i, 'B' || i, 'BA' || i, 'Bench', '010-5550100', 'Bench street',
               CASE WHEN i %% 10 = 0 THEN 'commercial' ELSE 'residential' END,
               ST_SetSRID(ST_MakePoint(24.9, 60.2), 4326)
          FROM generate_series(1, %s) AS i
        """,
        (count,),
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--chunk-meters", type=int, default=50_000)
    parser.add_argument("--db-meters", type=int, default=100_000)
    parser.add_argument("--no-db", action="store_true", help="skip the PostgreSQL measurement")
    args = parser.parse_args(argv)
    window = window_ending(AS_OF, args.months)
    result = {
        "machine_cpus": os.cpu_count(),
        "window": f"{window.first_month:%Y-%m} + {window.months} months (baseline included)",
        "frame": _frame_bench(args, window),
    }
    if not args.no_db:
        result["database"] = _db_bench(args, window)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
