"""The meter-reading scan on Dask: every meter's readings through the rules of
:mod:`dispatch.meter_rules`, chunk by chunk.

The readings are split by meter (a chunk holds every month of its meters), not by month, so
each rule needs only its own chunk: ``map_partitions`` runs the rules where the chunk was read
and only the findings travel back, with no shuffle. Each chunk is read by the worker that
scans it, over its own connection (``COPY`` of one meter-id range; the month partitions prune
the year asked for), so the database is read in parallel too.

Where it runs: a local cluster of worker processes by default (``workers``), or an existing
cluster when ``scheduler`` names its address (``tcp://host:8786``), for when a utility's
meters outgrow one machine; the workers then need the code and access to the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

import dask.dataframe as dd
import pandas as pd

from dispatch import meter_repository as repo
from dispatch.meter_rules import (
    FINDINGS_COLUMNS,
    READINGS_COLUMNS,
    ScanSummary,
    ScanWindow,
    scan_readings,
    summarize,
)
from gis.database import connect

DEFAULT_CHUNK_METERS = 50_000


@dataclass(frozen=True)
class ScanRun:
    summary: ScanSummary
    chunks: int
    seconds: float  # the scan itself, without starting a local cluster


def _meta(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


@contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2):
    """A client of the cluster at ``scheduler``, or of a local cluster of ``workers``
    single-threaded processes (pandas holds the GIL for much of the rules)."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit="4GiB",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def scan_chunks(
    load: Callable[..., pd.DataFrame], chunks: Sequence, window: ScanWindow, client
) -> ScanRun:
    """Scan the chunks ``load(chunk)`` returns (frames of READINGS_COLUMNS) on ``client``."""
    started = time.perf_counter()
    readings = dd.from_map(load, list(chunks), meta=_meta(READINGS_COLUMNS))
    findings = readings.map_partitions(scan_readings, window, meta=_meta(FINDINGS_COLUMNS))
    found = client.compute(findings).result()
    summary = summarize(found, window)
    return ScanRun(summary, len(chunks), round(time.perf_counter() - started, 3))


def _load_db_chunk(chunk: tuple[int, int], *, dsn: str, window: ScanWindow) -> pd.DataFrame:
    lo, hi = chunk
    return repo.read_chunk(dsn, lo, hi, window.baseline, window.end)


def scan_database(
    dsn: str, window: ScanWindow, client, *, chunk_meters: int = DEFAULT_CHUNK_METERS
) -> ScanRun:
    """Scan every meter of the database over ``window`` (its baseline month included)."""
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            chunks = repo.meter_chunks(cur, chunk_meters)
        conn.rollback()
    finally:
        conn.close()
    if not chunks:
        return ScanRun(summarize(_meta(FINDINGS_COLUMNS), window), 0, 0.0)
    return scan_chunks(partial(_load_db_chunk, dsn=dsn, window=window), chunks, window, client)
