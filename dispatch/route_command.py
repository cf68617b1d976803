"""``dispatch route nearest``: check a recommendation on any extract from the command line.

Crews come from a CSV with columns ``id,lon,lat`` and optionally ``skills`` (separated by
``;``), ``status``, ``fix_age_s`` and ``remaining_job_s``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

from routing.build import load_road_graph
from routing.crews import DEFAULT_MAX_FIX_AGE_S, prepare_crews
from routing.errors import InvalidArgument
from routing.nearest import Router

REQUIRED_COLUMNS = ("id", "lon", "lat")
#: Options whose value is a point, which west of Greenwich or south of the equator starts with "-".
POINT_OPTIONS = ("--at",)


def join_point_options(argv: list[str]) -> list[str]:
    """``["--at", "-76.6,39.3"]`` as ``["--at=-76.6,39.3"]``: argparse would take a value
    starting with "-" for an option and refuse it ("expected one argument")."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        following = argv[i + 1] if i + 1 < len(argv) else None
        if arg in POINT_OPTIONS and following is not None and following.startswith("-"):
            try:
                float(following.split(",")[0])
            except ValueError:
                pass  # a real option: argparse says what is missing
            else:
                out.append(f"{arg}={following}")
                i += 2
                continue
        out.append(arg)
        i += 1
    return out


def add_parser(commands) -> None:
    route = commands.add_parser("route", help="road routing checks").add_subparsers(
        dest="route_command", required=True
    )
    nearest = route.add_parser("nearest", help="the crews that reach a point first by road")
    nearest.add_argument("--osm", required=True, metavar="FILE.pbf", help="an OSM extract")
    nearest.add_argument(
        "--crews",
        required=True,
        metavar="CREWS.csv",
        help="columns id,lon,lat[,skills,status,fix_age_s,remaining_job_s]",
    )
    nearest.add_argument("--at", required=True, metavar="LON,LAT", help="the incident")
    nearest.add_argument("--k", type=int, default=3, help="how many crews (default 3)")
    nearest.add_argument("--skill", help="only crews with this skill")
    nearest.add_argument(
        "--include-busy",
        action="store_true",
        help="offer busy crews with ETA = remaining job + travel",
    )
    nearest.add_argument(
        "--max-fix-age",
        type=float,
        default=DEFAULT_MAX_FIX_AGE_S,
        metavar="SECONDS",
        help="exclude older GPS fixes (default 300)",
    )
    nearest.add_argument("--json", action="store_true", help="print JSON")
    nearest.add_argument("--cache-dir", help="where road graphs are cached")


def run_nearest(args: argparse.Namespace) -> int:
    """Print the ranking; raise :class:`InvalidArgument` (exit 2) for bad input."""
    lon, lat = parse_point(args.at)
    if args.k <= 0:
        raise InvalidArgument(f"`--k` must be a positive integer, got {args.k}")
    rows = read_crews_csv(Path(args.crews))
    if not Path(args.osm).is_file():
        raise InvalidArgument(f"`--osm`: file not found: {args.osm}")
    graph = load_road_graph(args.osm, cache_dir=args.cache_dir)
    router = Router(graph)
    crews = prepare_crews(
        graph,
        router.edge_index.snap([r["lon"] for r in rows], [r["lat"] for r in rows]),
        ids=[r["id"] for r in rows],
        lon=[r["lon"] for r in rows],
        lat=[r["lat"] for r in rows],
        status=[r["status"] for r in rows],
        skills=[r["skills"] for r in rows],
        fix_age_s=[r["fix_age_s"] for r in rows],
        remaining_job_s=[r["remaining_job_s"] for r in rows],
    )
    ranking = router.nearest_crews(
        router.snap_incident(lon, lat),
        crews,
        k=args.k,
        skill=args.skill,
        max_fix_age_s=args.max_fix_age,
        include_busy=args.include_busy,
    )
    result = {
        "incident": {"lon": lon, "lat": lat, "snap_m": round(ranking.incident_snap_m, 1)},
        "crews": [
            {
                "id": c.crew_id,
                "travel_time_s": round(c.travel_time_s, 1),
                "eta_s": round(c.eta_s, 1),
                "distance_m": round(c.distance_m, 1),
                "finishes_first": c.finishes_first,
            }
            for c in ranking.crews
        ],
        "excluded": [{"id": e.crew_id, "reason": e.reason} for e in ranking.excluded],
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        _print_table(result)
    return 0


def parse_point(text: str) -> tuple[float, float]:
    parts = text.split(",")
    try:
        lon, lat = (float(p) for p in parts)
    except ValueError:
        raise InvalidArgument(f"`--at` must be LON,LAT in degrees, got {text!r}") from None
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
        raise InvalidArgument(f"`--at`: {text!r} is not a longitude,latitude pair")
    return lon, lat


def read_crews_csv(path: Path) -> list[dict]:
    """Rows of the crews file, checked: a bad cell names its line and column."""
    if not path.is_file():
        raise InvalidArgument(f"`--crews`: file not found: {path}")
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidArgument(f"`--crews`: missing column(s) {', '.join(missing)}")
        rows = []
        for line, row in enumerate(reader, start=2):
            rows.append(
                {
                    "id": row["id"],
                    "lon": _number(row, "lon", line, path),
                    "lat": _number(row, "lat", line, path),
                    "skills": (row.get("skills") or None) and row["skills"].split(";"),
                    "status": row.get("status") or "available",
                    "fix_age_s": _number(row, "fix_age_s", line, path, default=0.0),
                    "remaining_job_s": _number(row, "remaining_job_s", line, path, default=0.0),
                }
            )
    return rows


def _number(row: dict, column: str, line: int, path: Path, default: float | None = None):
    text = row.get(column)
    if text in (None, "") and default is not None:
        return default
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise InvalidArgument(f"`--crews`: {path.name} line {line}: `{column}` must be a number")
    return value


def _print_table(result: dict) -> None:
    out = sys.stdout
    inc = result["incident"]
    out.write(f"incident at {inc['lon']:.6f},{inc['lat']:.6f} ({inc['snap_m']} m from a road)\n")
    if not result["crews"]:
        out.write("no eligible crew can reach it\n")
    for rank, crew in enumerate(result["crews"], 1):
        flag = "  (busy: finishes first)" if crew["finishes_first"] else ""
        out.write(
            f"{rank}. {crew['id']}: {crew['eta_s'] / 60:.1f} min, "
            f"{crew['distance_m'] / 1000:.2f} km{flag}\n"
        )
    for item in result["excluded"]:
        out.write(f"   left out {item['id']}: {item['reason']}\n")
