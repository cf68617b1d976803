"""``dispatch cameras``: give a camera its real source, or list the cameras' sources.

    dispatch cameras source 7 rtsp://10.0.0.7:554/stream1 --credentials env:CAM7
    dispatch cameras source 7 --none          # back to the generated demo feed
    dispatch cameras list

A URL with a user name or password in it is refused: credentials live in the environment or
in the secrets file (``[cameras] secrets_file``), named by ``--credentials``.
"""

from __future__ import annotations

import argparse

from dispatch.camera_sources import check_credentials_ref, check_source_url
from dispatch.errors import InvalidInput
from dispatch.unit_of_work import UnitOfWork
from gis import cameras


def add_parser(commands) -> None:
    cams = commands.add_parser("cameras", help="the cameras' video sources").add_subparsers(
        dest="cameras_command", required=True
    )
    source = cams.add_parser("source", help="set (or clear) a camera's source URL")
    source.add_argument("camera_id", type=int)
    source.add_argument("url", nargs="?", help="rtsp://…, http(s)://… (MJPEG) or ….m3u8 (HLS)")
    source.add_argument("--credentials", help="env:VAR or file:name (user:password)")
    source.add_argument("--none", action="store_true", help="back to the generated feed")
    cams.add_parser("list", help="every camera's source kind, URL and last signal")


def run(dsn: str, args: argparse.Namespace, say=print, out=print) -> int:
    """``say`` tells what was done (the CLI: standard error); ``out`` prints the list."""
    if args.cameras_command == "list":
        with UnitOfWork(dsn) as uow:
            rows = cameras.list_sources(uow.cur)
        for row in rows:
            where = row["source_url"] or "(generated demo feed)"
            signal = row["signal_at"].isoformat(timespec="seconds") if row["signal_at"] else "-"
            station_id = row["regulator_station_id"]
            station = f" station {station_id}" if station_id else ""
            out(
                f"{row['id']:>5} {row['name']}: {row['source_kind'] or 'demo'} {where}{station}"
                f" (signal {signal})"
            )
        return 0
    if args.none == bool(args.url):
        raise InvalidInput("`url`: give a source URL or --none", field="url")
    url = None
    if args.url:
        url, _kind = check_source_url(args.url, field="url")
    ref = check_credentials_ref(args.credentials, field="credentials")
    with UnitOfWork(dsn) as uow:
        found = cameras.set_source(uow.cur, args.camera_id, url, ref)
    if not found:
        raise InvalidInput(f"`camera_id`: no camera {args.camera_id}", field="camera_id")
    say(f"camera {args.camera_id}: " + (f"source {url}" if url else "generated demo feed"))
    return 0
