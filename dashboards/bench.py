"""Wall-screen refresh benchmark: ``python -m dashboards.bench [--quick]``.

The target: the server-side work of one refresh of the dispatcher's wall stays at or under
150 ms p95 with 500 crews and 200 open incidents. This makes a throw-away database on the
server the product itself would use (:func:`gis.database.resolve_server`), migrates it, loads
the Helsinki demo territory, adds crews up to ``--crews`` and ``--incidents`` open tickets
(:mod:`dispatch.simulation.bench_repository`), then times the wall's plain callback functions
as Dash calls them:

* ``live_update_full``: :func:`dashboards.wall_callbacks.live_update` with an empty ``seen``
  each time, so every output is sent (a page just opened, the worst case), on an
  :class:`dispatch.api.Api` made as ``dispatch serve`` makes it (with the road router when
  the territory's road graph is at hand, for the uncovered-streets figure) and the process's
  :class:`dispatch.wall_live_state.WallLiveState` (read once, then from memory);
  ``live_update_full_without_coverage`` the same without the router;
* ``live_update_steady_1s_ticks``: each call given the ``seen`` of the one before, the clock
  advancing one second per call as the page's 1 Hz interval does;
* ``live_update_steady_same_second``: the same back to back on the real clock, nothing
  changing in between;
* ``show_incident`` for random open tickets (the panel: the stored recommendations and
  isolation plan, cameras, events; nothing is routed or traced);
* ``part:*``: the pieces of a refresh (each read-model query, the whole snapshot, live_update
  on a snapshot already read, the queue table), to find what is slow.

The refresh cases run in turn, one call of each per round, so a change in the machine's load
weighs on all alike; the load average is reported with the results. Payload sizes are the
bytes of the JSON Dash would send for the outputs that are not ``no_update`` (mean over the
calls; ``encode_*_ms`` is the time Dash's encoder takes for it, on top of the callback). Times
are wall-clock milliseconds on this machine; the database is dropped at the end, also on
error. Prints progress on stderr and one JSON object on its last line:
``{"results": [{"case", "crews", "incidents", "p50_ms", "p95_ms", "max_ms", "payload_bytes"}...]}``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import json
import os
import random
import signal
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import numpy as np
from dash import no_update
from plotly.io.json import to_json_plotly

from dashboards import wall_callbacks
from dashboards.components import wall_parts
from dashboards.pages.wall import REFRESH_MS
from dispatch import kpi_repository, wall_read_model
from dispatch import repository as repo
from dispatch.api import Api
from dispatch.simulation import bench_repository
from dispatch.unit_of_work import UnitOfWork
from dispatch.wall_live_state import WallLiveState

LANG = "zh-CN"
#: The wall's callbacks check the role; the benchmark watches as the dispatcher does.
USER = {"username": "dispatcher", "role": "dispatcher", "crew_id": None}
WARM_UP = 3


def callback_outputs(name: str) -> list[tuple[str, str]]:
    """``(component id, property)`` of each output of the wall callback ``name`` (``_refresh``,
    ``_panel``), read from :func:`dashboards.wall_callbacks.register_wall_callbacks` so the
    payload is counted against the outputs the page really has."""
    from dash import Output

    found: dict[str, list[tuple[str, str]]] = {}

    class Recorder:
        def callback(self, *spec, **_options):
            def keep(function):
                found[function.__name__] = [
                    (o.component_id, o.component_property) for o in spec if isinstance(o, Output)
                ]
                return function

            return keep

        def clientside_callback(self, *_spec, **_options) -> None:
            pass  # runs in the browser: no server-side work, no payload

    wall_callbacks.register_wall_callbacks(Recorder(), api=None)
    return found[name]


class BenchClock:
    """The time the load was made at, moving on with real time and put back by :meth:`rewind`
    before each measured call: however long the run, every call sees the fixes as fresh and the
    deadlines as near as they were made (a crew's fix is stale after 5 minutes)."""

    def __init__(self, start: datetime) -> None:
        self.start, self._anchor = start, time.monotonic()

    def rewind(self) -> None:
        self._anchor = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._anchor)


class SteppingClock:
    """A clock that moves on by ``step`` each time it is read: the wall's interval ticks."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.now, self.step = start, step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="50 runs per case instead of 200")
    parser.add_argument("--crews", type=int, default=500, help="crews in total (default 500)")
    parser.add_argument("--incidents", type=int, default=200, help="open tickets (default 200)")
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="closed tickets over the past year besides today's 40 (default 0)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() once everything long-lived is loaded (as a server could at start-up)",
    )
    args = parser.parse_args(argv)
    runs = 50 if args.quick else 200

    from gis.database import drop_database, ensure_database, resolve_server

    server = resolve_server()
    load_at_start = round(os.getloadavg()[0], 2)
    name = f"gd_bench_{uuid.uuid4().hex[:10]}"
    _say(f"server: {server.description}; database {name}")
    # A `kill` unwinds like Ctrl-C does, so the database is dropped then too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        dsn = ensure_database(server, name)
        loaded_at = _prepare(dsn, args)
        results = _measure(dsn, runs, random.Random(args.seed), loaded_at, gc_freeze=args.gc_freeze)
    finally:
        drop_database(server, name)
        _say(f"dropped database {name}")
    summary = {
        "results": results,
        "runs": runs,
        "quick": args.quick,
        "history_tickets": args.history,
        "gc_freeze": args.gc_freeze,
        "server": server.description,
        "cpus": os.cpu_count(),
        "load_average_1min": {"start": load_at_start, "end": round(os.getloadavg()[0], 2)},
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def _prepare(dsn: str, args: argparse.Namespace) -> datetime:
    """Migrate, load the demo territory and the benchmark's load; returns the time the load
    is made for (fixes fresh and deadlines near as of then)."""
    from gis.demo.store import store_territory
    from gis.demo.territory import build_territory
    from gis.migrations import migrate
    from gis.osm_source import default_extract_path, read_pbf

    started = time.perf_counter()
    migrate(dsn)
    territory = build_territory(read_pbf(default_extract_path()), seed=7, progress=_say)
    store_territory(dsn, territory, progress=_say)
    _say(f"demo territory loaded in {time.perf_counter() - started:.1f} s")
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    with UnitOfWork(dsn) as uow:
        crews = bench_repository.add_crews(uow.cur, total=args.crews, now=now, rng=rng)
        tickets = bench_repository.add_open_tickets(uow.cur, count=args.incidents, now=now, rng=rng)
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        today = bench_repository.add_closed_tickets(uow.cur, count=40, since=day_start, now=now)
        history = bench_repository.add_closed_tickets(
            uow.cur, count=args.history, since=now - timedelta(days=365), now=day_start
        )
    with UnitOfWork(dsn) as uow:
        bench_repository.analyze(uow.cur)
    _say(
        f"added {len(crews)} crews, {len(tickets)} open tickets, {today} closed today, "
        f"{history} closed before"
    )
    return now


def _measure(
    dsn: str, runs: int, rng: random.Random, loaded_at: datetime, *, gc_freeze: bool = False
) -> list[dict]:
    from dispatch.territory_ports import ports_for_territory

    refresh_outputs, panel_outputs = callback_outputs("_refresh"), callback_outputs("_panel")
    clock = BenchClock(loaded_at)
    # As `dispatch serve` makes it: with the road router when the road graph is at hand.
    ports = ports_for_territory(dsn)
    if ports.router is None:
        _say("no road graph for the territory: no coverage figure")
    api = Api(dsn, ports=ports, clock=clock)
    live = WallLiveState(api.uow)
    with api.uow() as uow:
        open_ids = bench_repository.open_ticket_ids(uow.cur)
        crews = bench_repository.count_crews(uow.cur)
    counts = {"crews": crews, "incidents": len(open_ids)}
    selected = rng.choice(open_ids)
    _describe_load(api)
    if gc_freeze:
        gc.collect()
        gc.freeze()  # the collector no longer walks what was loaded at start-up
        _say(f"gc.freeze(): {gc.get_freeze_count()} objects set aside")
    results = []

    def refresh(seen: dict, on: Api = api) -> tuple:
        return wall_callbacks.live_update(on, live, LANG, selected, [], seen, USER)

    ticking = Api(
        dsn, ports=ports, clock=SteppingClock(loaded_at, timedelta(milliseconds=REFRESH_MS))
    )
    cases = {
        "live_update_full": lambda _seen: refresh({}),
        "live_update_steady_1s_ticks": lambda seen: refresh(seen, ticking),
        "live_update_steady_same_second": refresh,
    }
    if ports.router is not None:
        plain = Api(dsn, clock=clock)
        cases["live_update_full_without_coverage"] = lambda _seen: refresh({}, plain)
    results += _time_refreshes(cases, runs, refresh_outputs, counts, clock.rewind)
    results += _time_parts(api, runs, counts, selected, clock.rewind)

    picks = [rng.choice(open_ids) for _ in range(runs)]
    plain = Api(dsn, clock=clock)
    results.append(_time_panel("show_incident", plain, picks, panel_outputs, counts, clock.rewind))
    return results


def _describe_load(api: Api) -> None:
    """One line on what the wall shows of the load, to check it looks like a busy day."""
    with api.uow() as uow:
        snap = wall_read_model.wall_snapshot(uow.cur, api.clock())
    tickets, figures = snap["tickets"], snap["kpis"]
    _say(
        f"the wall shows {len(tickets)} open tickets ({figures['open_p1']} P1, "
        f"{figures['at_risk']} at risk, {sum(t['missed'] for t in tickets)} missed), "
        f"{sum(t['crew_id'] is not None for t in tickets)} with a crew, "
        f"{len(wall_read_model.alarms(snap, set()))} alarms; "
        f"crews: {figures['crews_available']} available, "
        f"{figures['crews_busy']} busy, {figures['crews_stale']} stale"
    )


def _time_refreshes(
    cases: dict[str, Callable[[dict], tuple]],
    runs: int,
    outputs: list[tuple[str, str]],
    counts: dict,
    rewind: Callable[[], None],
) -> list[dict]:
    """Time the refresh cases in turn, one call of each per round, so that a change in the
    machine's load weighs on every case alike. Each case keeps its own ``seen``."""
    seen: dict[str, dict] = {case: {} for case in cases}
    for _ in range(WARM_UP):
        for case, call in cases.items():
            rewind()
            seen[case] = call(seen[case])[-1]
    times: dict[str, list[float]] = {case: [] for case in cases}
    encode: dict[str, list[float]] = {case: [] for case in cases}
    sizes: dict[str, list[int]] = {case: [] for case in cases}
    sent: dict[str, list[int]] = {case: [] for case in cases}
    by_output = {case: {f"{c}.{p}": [] for c, p in outputs} for case in cases}
    for _ in range(runs):
        for case, call in cases.items():
            rewind()
            started = time.perf_counter()
            out = call(seen[case])
            times[case].append((time.perf_counter() - started) * 1e3)
            started = time.perf_counter()
            sizes[case].append(_payload_bytes(outputs, out))
            encode[case].append((time.perf_counter() - started) * 1e3)
            sent[case].append(sum(value is not no_update for value in out))
            for (component, prop), value in zip(outputs, out, strict=True):
                by_output[case][f"{component}.{prop}"].append(
                    0 if value is no_update else len(to_json_plotly(value).encode())
                )
            seen[case] = out[-1]
    rows = []
    for case in cases:
        extra = {
            "encode_p50_ms": _pct(encode[case], 50),
            "encode_p95_ms": _pct(encode[case], 95),
            "outputs_sent_mean": round(float(np.mean(sent[case])), 2),
            "payload_bytes_max": max(sizes[case]),
            "payload_bytes_by_output": {k: int(np.mean(v)) for k, v in by_output[case].items()},
        }
        rows.append(_row(case, times[case], counts, int(np.mean(sizes[case])), extra))
    return rows


def _time_parts(
    api: Api, runs: int, counts: dict, selected: int, rewind: Callable[[], None]
) -> list[dict]:
    """The pieces of a refresh: each read of the wall's read model alone, the whole snapshot
    (reads and dicts), and live_update on a snapshot already read (the pure rest: GeoJSON,
    fingerprints, queue rows, tiles, banner), with the queue table alone."""
    parts: dict[str, list[float]] = {
        "part:wall_tickets_query": [],
        "part:list_crews_query": [],
        "part:kpi_rows_query": [],
        "part:wall_snapshot": [],
        "part:live_update_without_db": [],
        "part:queue_table": [],
    }

    def timed(key: str, function: Callable, *params):
        started = time.perf_counter()
        value = function(*params)
        parts[key].append((time.perf_counter() - started) * 1e3)
        return value

    with api.uow() as uow:
        cur = uow.cur
        for _ in range(runs):
            rewind()
            now = api.clock()
            timed("part:wall_tickets_query", repo.wall_tickets, cur)
            timed("part:list_crews_query", repo.list_crews, cur)
            timed("part:kpi_rows_query", kpi_repository.kpi_rows, cur, now)
            snapshot = timed("part:wall_snapshot", wall_read_model.wall_snapshot, cur, now)
            replay = _ReplayApi(snapshot, now, api.ports)
            timed(
                "part:live_update_without_db",
                wall_callbacks.live_update,
                replay,
                replay,
                LANG,
                selected,
                [],
                {},
                USER,
            )
            timed(
                "part:queue_table",
                wall_parts.queue_table,
                wall_read_model.queue(snapshot),
                now,
                LANG,
                None,
            )
    return [_row(case, times, counts, None) for case, times in parts.items()]


class _ReplayApi:
    """Stands in for :class:`dispatch.api.Api` with a snapshot already read: no database."""

    def __init__(self, snapshot: dict, now: datetime, ports) -> None:
        self._snapshot, self._now, self.ports = snapshot, now, ports

    def clock(self) -> datetime:
        return self._now

    def snapshot(self, _now) -> dict:
        return copy.deepcopy(self._snapshot)

    @contextlib.contextmanager
    def uow(self):
        yield SimpleNamespace(cur=None)


def _time_panel(
    case: str,
    api: Api,
    picks: list[int],
    outputs: list[tuple[str, str]],
    counts: dict,
    rewind: Callable[[], None],
) -> dict:
    rewind()
    started = time.perf_counter()
    wall_callbacks.show_incident(api, picks[0], LANG, USER)  # loads the pipe network once
    _say(f"{case}: first call (cold) {(time.perf_counter() - started) * 1e3:.0f} ms")
    times, sizes = [], []
    for ticket_id in picks:
        rewind()
        started = time.perf_counter()
        out = wall_callbacks.show_incident(api, ticket_id, LANG, USER)
        times.append((time.perf_counter() - started) * 1e3)
        sizes.append(_payload_bytes(outputs, out))
    return _row(case, times, counts, int(np.mean(sizes)), {"payload_bytes_max": max(sizes)})


def _payload_bytes(outputs: list[tuple[str, str]], values: tuple) -> int:
    """Bytes of the JSON body Dash answers a callback with, for the outputs it sends."""
    response: dict = {}
    for (component, prop), value in zip(outputs, values, strict=True):
        if value is not no_update:
            response.setdefault(component, {})[prop] = value
    return len(to_json_plotly({"multi": True, "response": response}).encode())


def _row(
    case: str, times: list[float], counts: dict, payload: int | None, extra: dict | None = None
) -> dict:
    row = {
        "case": case,
        **counts,
        "p50_ms": _pct(times, 50),
        "p95_ms": _pct(times, 95),
        "max_ms": round(max(times), 2),
        "payload_bytes": payload,
        "runs": len(times),
        **(extra or {}),
    }
    size = "" if payload is None else f"  {payload / 1024:8.1f} KiB"
    _say(
        f"{case:<38} p50 {row['p50_ms']:>8.2f} ms  p95 {row['p95_ms']:>8.2f} ms"
        f"  max {row['max_ms']:>8.2f} ms{size}"
    )
    return row


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 2)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
