"""Wall-screen refresh benchmark: ``python -m dashboards.bench [--quick]``.

The target: the server-side work of one refresh of the dispatcher's wall stays at or under
150 ms p95 with 500 crews and 200 open incidents. This makes a throw-away database on the
server the product itself would use (:func:`gis.database.resolve_server`), migrates it, loads
the Helsinki demo territory, adds crews up to ``--crews`` and ``--incidents`` open tickets
(:mod:`dispatch.bench_data`), then times the wall's plain callback functions as Dash calls
them:

* ``live_update_full``: :func:`dashboards.wall_callbacks.live_update` with an empty ``seen``
  each time, so every output is sent (a page just opened, the worst case);
* ``live_update_steady_1s_ticks``: each call given the ``seen`` of the one before, the clock
  advancing one second per call as the page's 1 Hz interval does;
* ``live_update_steady_same_second``: the same back to back on the real clock, nothing
  changing in between (the floor: only the queue and the clock are sent);
* ``show_incident`` for random open tickets (the panel: isolation plan, cameras, events),
  without crew recommendations and, when the territory's road graph is at hand, with them;
* ``part:*``: the pieces of a refresh (each read-model query, the pure rest), to find what is
  slow.

Payload sizes are the bytes of the JSON Dash would send for the outputs that are not
``no_update`` (mean over the calls). Times are wall-clock milliseconds on this machine; the
database is dropped at the end, also on error. Prints progress on stderr and one JSON object
on its last line: ``{"results": [{"case", "crews", "incidents", "p50_ms", "p95_ms", "max_ms",
"payload_bytes"}...]}``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
from dash import no_update
from plotly.io.json import to_json_plotly

from dashboards import wall_callbacks
from dashboards.pages.wall import REFRESH_MS
from dispatch import bench_data, wall
from dispatch import repository as repo
from dispatch.api import Api
from dispatch.unit_of_work import UnitOfWork

LANG = "zh-CN"
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

    wall_callbacks.register_wall_callbacks(Recorder(), api=None)
    return found[name]


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
    args = parser.parse_args(argv)
    runs = 50 if args.quick else 200

    from gis.database import drop_database, ensure_database, resolve_server

    server = resolve_server()
    name = f"gd_bench_{uuid.uuid4().hex[:10]}"
    _say(f"server: {server.description}; database {name}")
    try:
        dsn = ensure_database(server, name)
        _prepare(dsn, args)
        results = _measure(dsn, runs, random.Random(args.seed))
    finally:
        drop_database(server, name)
        _say(f"dropped database {name}")
    summary = {
        "results": results,
        "runs": runs,
        "quick": args.quick,
        "history_tickets": args.history,
        "server": server.description,
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def _prepare(dsn: str, args: argparse.Namespace) -> None:
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
        crews = bench_data.add_crews(uow.cur, total=args.crews, now=now, rng=rng)
        tickets = bench_data.add_open_tickets(uow.cur, count=args.incidents, now=now, rng=rng)
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        today = bench_data.add_closed_tickets(uow.cur, count=40, since=day_start, now=now)
        history = bench_data.add_closed_tickets(
            uow.cur, count=args.history, since=now - timedelta(days=365), now=day_start
        )
    with UnitOfWork(dsn) as uow:
        bench_data.analyze(uow.cur)
    _say(
        f"added {len(crews)} crews, {len(tickets)} open tickets, {today} closed today, "
        f"{history} closed before"
    )


def _measure(dsn: str, runs: int, rng: random.Random) -> list[dict]:
    from dispatch.recommend import recommender_for_territory

    api = Api(dsn)
    with api.uow() as uow:
        open_ids = bench_data.open_ticket_ids(uow.cur)
        crews = bench_data.count_crews(uow.cur)
    counts = {"crews": crews, "incidents": len(open_ids)}
    selected = rng.choice(open_ids)
    results = []

    def refresh(seen: dict, on: Api = api) -> tuple:
        return wall_callbacks.live_update(on, LANG, selected, [], seen)

    results.append(_time_refresh("live_update_full", runs, lambda _seen: refresh({}), counts))
    ticking = Api(dsn, clock=SteppingClock(datetime.now(UTC), timedelta(milliseconds=REFRESH_MS)))
    results.append(
        _time_refresh(
            "live_update_steady_1s_ticks", runs, lambda seen: refresh(seen, ticking), counts
        )
    )
    results.append(
        _time_refresh("live_update_steady_same_second", runs, lambda seen: refresh(seen), counts)
    )
    results += _time_parts(api, runs, counts)

    picks = [rng.choice(open_ids) for _ in range(runs)]
    results.append(_time_panel("show_incident", api, picks, counts))
    recommend = recommender_for_territory(dsn)
    if recommend is None:
        _say("show_incident with recommendations skipped: no road graph for the territory")
    else:
        with_recs = Api(dsn, recommend=recommend)
        results.append(_time_panel("show_incident_with_recommendations", with_recs, picks, counts))
    return results


def _time_refresh(case: str, runs: int, call: Callable[[dict], tuple], counts: dict) -> dict:
    seen: dict = {}
    for _ in range(WARM_UP):
        seen = call(seen)[-1]
    times, encode, sizes, sent = [], [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        out = call(seen)
        times.append((time.perf_counter() - started) * 1e3)
        started = time.perf_counter()
        sizes.append(_payload_bytes(REFRESH_OUTPUTS, out))
        encode.append((time.perf_counter() - started) * 1e3)
        sent.append(sum(value is not no_update for value in out))
        seen = out[-1]
    extra = {
        "encode_p50_ms": _pct(encode, 50),
        "encode_p95_ms": _pct(encode, 95),
        "outputs_sent_mean": round(float(np.mean(sent)), 2),
        "payload_bytes_max": max(sizes),
    }
    return _row(case, times, counts, int(np.mean(sizes)), extra)


def _time_parts(api: Api, runs: int, counts: dict) -> list[dict]:
    """Each read of :func:`dispatch.wall.wall_snapshot` alone, and the pure rest of a refresh."""
    parts: dict[str, list[float]] = {
        "part:wall_tickets_query": [],
        "part:list_crews_query": [],
        "part:arrivals_since_query": [],
        "part:pure_rest_of_refresh": [],
    }
    with api.uow() as uow:
        cur = uow.cur
        for _ in range(runs):
            now = api.clock()
            day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
            for key, read, params in (
                ("part:wall_tickets_query", repo.wall_tickets, ()),
                ("part:list_crews_query", repo.list_crews, ()),
                ("part:arrivals_since_query", repo.arrivals_since, (day_start,)),
            ):
                started = time.perf_counter()
                read(cur, *params)
                parts[key].append((time.perf_counter() - started) * 1e3)
            snapshot = wall.wall_snapshot(cur, now)
            started = time.perf_counter()
            _pure_refresh(snapshot, now)
            parts["part:pure_rest_of_refresh"].append((time.perf_counter() - started) * 1e3)
    return [_row(case, times, counts, None) for case, times in parts.items()]


def _pure_refresh(snapshot: dict, now: datetime) -> None:
    """What live_update does after reading: geojson, queue rows, tiles, banner, fingerprints."""
    from dashboards.components import wall_parts

    queue = wall.queue(snapshot)
    alarms = wall.alarms(snapshot, set())
    values = {
        "incidents": wall.incidents_geojson(snapshot["tickets"], None),
        "crews": wall.crews_geojson(snapshot["crews"]),
        "kpis": snapshot["kpis"],
        "alarms": [a["key"] for a in alarms],
    }
    for value in values.values():
        hash(json.dumps(value, sort_keys=True, default=str))
    wall_parts.queue_table(queue, now, LANG, None)
    wall_parts.kpi_tiles(snapshot["kpis"], LANG)
    wall_parts.alarm_banner(alarms, LANG)


def _time_panel(case: str, api: Api, picks: list[int], counts: dict) -> dict:
    started = time.perf_counter()
    wall_callbacks.show_incident(api, picks[0], LANG)  # loads the pipe network once
    _say(f"{case}: first call (cold) {(time.perf_counter() - started) * 1e3:.0f} ms")
    times, sizes = [], []
    for ticket_id in picks:
        started = time.perf_counter()
        out = wall_callbacks.show_incident(api, ticket_id, LANG)
        times.append((time.perf_counter() - started) * 1e3)
        sizes.append(_payload_bytes(PANEL_OUTPUTS, out))
    return _row(case, times, counts, int(np.mean(sizes)), {"payload_bytes_max": max(sizes)})


def _payload_bytes(outputs: tuple, values: tuple) -> int:
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
